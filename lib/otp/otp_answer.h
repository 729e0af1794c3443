/* What the user typed at the code prompt, checked at the edge.
 *
 * An answer is either a TOTP code (exactly the enrolled number of digits,
 * surrounding spaces ignored) or a recovery code (16 base32 characters,
 * shown as XXXX-XXXX-XXXX-XXXX; case, dashes and spaces ignored). Anything
 * else (empty, too long, NUL bytes, other characters, wrong length) is
 * refused before any secret is looked at. */
#ifndef SOSAFE_OTP_ANSWER_H
#define SOSAFE_OTP_ANSWER_H
#include <stddef.h>

#define OTP_ANSWER_MAX 256        /* longer code answers are refused outright */
#define OTP_FIELD_MAX 4096        /* longest single-field (password + code) answer */
#define RECOVERY_ID_LEN 4         /* public part: which stored hash to check */
#define RECOVERY_SECRET_LEN 12    /* 60 bits */
#define RECOVERY_LEN (RECOVERY_ID_LEN + RECOVERY_SECRET_LEN)
#define RECOVERY_SHOWN_LEN (RECOVERY_LEN + 3)

enum otp_answer_kind {
	ANSWER_INVALID = 0,
	ANSWER_TOTP,
	ANSWER_RECOVERY,
};

struct otp_answer {
	enum otp_answer_kind kind;
	/* TOTP: the digits; recovery: 16 upper-case base32 characters */
	char code[RECOVERY_LEN + 1];
};

/* Parse LEN bytes of IN for a token of DIGITS digits. Returns 0 and fills
 * OUT, or -1 (OUT->kind = ANSWER_INVALID). */
int otp_answer_parse(const char *in, size_t len, unsigned digits, struct otp_answer *out);

/* Single-field mode: IN is the password followed directly by the code
 * (DIGITS digits, or a recovery code written with its dashes), or OpenVPN's
 * static-challenge form "SCRV1:<base64 password>:<base64 response>".
 * On success returns 0, *PASSWORD is a malloc'd copy of the password part
 * (wipe it with secure_free_str) and OUT holds the code. -1 if IN cannot be
 * split; *PASSWORD is then NULL. */
int otp_answer_split(const char *in, unsigned digits, char **password, struct otp_answer *out);

/* Wipe OUT. */
void otp_answer_wipe(struct otp_answer *out);

#endif
