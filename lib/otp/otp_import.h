/* Importers for the files of the peers this product replaces:
 *   pam_oath's users file (/etc/users.oath): "TYPE USER PIN HEXSECRET [OTP [TIME]]"
 *   google-authenticator's ~/.google_authenticator: base32 secret, '" OPTION'
 *   lines, then 8-digit scratch codes.
 * The parsers are pure (text in, entries out) so they can be tested and
 * fuzzed; the caller decides what to store. Every line that is not imported
 * is reported with its line number and the reason. */
#ifndef SOSAFE_OTP_IMPORT_H
#define SOSAFE_OTP_IMPORT_H
#include <stdbool.h>
#include <stddef.h>

#include "base/names.h"
#include "store/otp_store.h"

#define IMPORT_MAX_BYTES (16u << 20)

struct import_entry {
	unsigned line;
	bool ok;                        /* false: refused, see reason */
	char user[SOSAFE_NAME_MAX + 1];
	struct otp_record rec;          /* when ok */
	char reason[160];               /* why refused, or a note when ok */
};

/* Called for every entry (imported or refused); E is wiped afterwards. */
typedef void (*import_fn)(const struct import_entry *e, void *ctx);

/* Parse a pam_oath users file. Returns the number of entries reported. */
unsigned import_oath_usersfile(const char *text, size_t len, import_fn fn, void *ctx);

/* Parse one ~/.google_authenticator of USER. Returns entries reported
 * (one; more if scratch codes are reported as not imported). */
unsigned import_google_authenticator(const char *text, size_t len, const char *user,
				     import_fn fn, void *ctx);

#endif
