/* RFC 6238 TOTP over liboath: HMAC-SHA1/SHA256/SHA512, 6 or 8 digits,
 * 30 or 60 second steps.
 *
 * The caller keeps the last accepted time step per user and passes it in;
 * a code is accepted only for a step strictly greater than that one, so a
 * code works once, and stepping the clock back cannot revive an old code. */
#ifndef SOSAFE_TOTP_H
#define SOSAFE_TOTP_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TOTP_SECRET_MIN 10      /* 80 bits: the least any importer accepts */
#define TOTP_SECRET_NEW 20      /* 160 bits: what enroll generates (SHA1) */
#define TOTP_SECRET_MAX 128
#define TOTP_WINDOW_MAX 10
#define TOTP_MAX_DIGITS 8

enum totp_algorithm {
	TOTP_SHA1 = 0,
	TOTP_SHA256 = 1,
	TOTP_SHA512 = 2,
};

struct totp_params {
	enum totp_algorithm algorithm;
	unsigned digits;   /* 6 or 8 */
	unsigned period;   /* 30 or 60 */
};

enum totp_result {
	TOTP_OK = 0,       /* matched a step > last_step: *STEP is that step */
	TOTP_MISMATCH,     /* no step in the window matches */
	TOTP_REPLAY,       /* matches only steps <= last_step (used, or clock stepped back) */
	TOTP_BADLEN,       /* answer length is not the enrolled digit count */
	TOTP_ERROR,        /* bad parameters or liboath failure */
};

/* Call once per process before the first use (idempotent, thread-safe). */
int totp_init(void);

/* Names as in otpauth:// URIs: "SHA1", "SHA256", "SHA512". */
const char *totp_algorithm_name(enum totp_algorithm a);
/* Parse a name (case-insensitive). Returns 0 or -1. */
int totp_algorithm_parse(const char *name, enum totp_algorithm *out);
/* True if P is a combination this product accepts. */
bool totp_params_valid(const struct totp_params *p);

/* The code for time step STEP into OUT (size >= TOTP_MAX_DIGITS + 1). */
int totp_code_at_step(const struct totp_params *p, const uint8_t *secret, size_t len,
		      int64_t step, char *out);
/* The time step of NOW (seconds since the epoch). */
int64_t totp_step_of(const struct totp_params *p, int64_t now);

/* Check CODE (exactly P->digits ASCII digits, already validated) against
 * every step in [now - WINDOW, now + WINDOW]. All steps are computed and
 * compared in constant time whatever matches. Among the matching steps the
 * greatest one above LAST_STEP is returned in *STEP. */
enum totp_result totp_verify(const struct totp_params *p, const uint8_t *secret, size_t len,
			     int64_t now, unsigned window, const char *code, int64_t last_step,
			     int64_t *step);

/* otpauth://totp/ISSUER:ACCOUNT?secret=...&issuer=...&algorithm=...&digits=...&period=...
 * into OUT (malloc'd; wipe with secure_free_str, it holds the secret). */
char *totp_uri(const struct totp_params *p, const uint8_t *secret, size_t len,
	       const char *issuer, const char *account);

#endif
