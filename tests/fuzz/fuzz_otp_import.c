/* libFuzzer: the pam_oath users-file and google-authenticator importers. */
#include <config.h>
#include "fuzz_util.h"
#include <stdint.h>
#include <stdlib.h>

#include "otp_import.h"

static void check(const struct import_entry *e, void *ctx)
{
	if (e->ok && (!totp_params_valid(&e->rec.params) || e->rec.secret_len < TOTP_SECRET_MIN ||
		      e->rec.secret_len > TOTP_SECRET_MAX || !name_is_valid(e->user)))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	import_oath_usersfile((const char *)data, size, check, NULL);
	import_google_authenticator((const char *)data, size, "alice", check, NULL);
	return 0;
}
