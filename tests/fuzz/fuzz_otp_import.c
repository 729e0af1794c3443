/* Fuzz the importers of the peers' files: pam_oath's users file and
 * google-authenticator's ~/.google_authenticator. Every reported entry must
 * be well formed: terminated strings, a valid user name when imported, a
 * secret within bounds; every refusal must say why. */
#include <config.h>

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "base/names.h"
#include "otp/otp_import.h"

struct seen {
	unsigned calls;
	unsigned last_line;
};

static void on_entry(const struct import_entry *e, void *ctx)
{
	struct seen *s = ctx;
	s->calls++;
	fuzz_require(memchr(e->user, '\0', sizeof(e->user)) != NULL, "user not terminated");
	fuzz_require(memchr(e->reason, '\0', sizeof(e->reason)) != NULL, "reason not terminated");
	if (e->ok) {
		fuzz_require(name_is_valid(e->user), "imported an invalid user name");
		fuzz_require(e->rec.secret_len > 0 && e->rec.secret_len <= sizeof(e->rec.secret),
			     "secret length %zu", e->rec.secret_len);
	} else {
		fuzz_require(e->reason[0] != '\0', "refusal without a reason (line %u)", e->line);
	}
	s->last_line = e->line;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 256 * 1024)
		return 0;
	char *text = malloc(size ? size : 1);
	if (!text)
		abort();
	if (size)
		memcpy(text, data, size);
	struct seen s = { 0, 0 };
	unsigned n = import_oath_usersfile(text, size, on_entry, &s);
	fuzz_require(n == s.calls, "oath: returned %u, reported %u", n, s.calls);
	s.calls = 0;
	n = import_google_authenticator(text, size, "alice", on_entry, &s);
	fuzz_require(n == s.calls, "google: returned %u, reported %u", n, s.calls);
	free(text);
	return 0;
}
