/* The second factor's part of the state store: TOTP secrets with the last
 * accepted time step, hashed recovery codes and enrollment windows.
 * All functions work inside the caller's transaction (store_begin). */
#ifndef SOSAFE_OTP_STORE_H
#define SOSAFE_OTP_STORE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"
#include "otp/totp.h"


struct otp_record {
	uint8_t secret[TOTP_SECRET_MAX];
	size_t secret_len;
	struct totp_params params;
	int64_t last_step;     /* last accepted time step; -1 = none yet */
	int64_t enrolled_at;
};

/* Wipe R (it holds a secret). */
void otp_record_wipe(struct otp_record *r);
static inline void otp_record_wipep(struct otp_record *r) { otp_record_wipe(r); }
#define _cleanup_otp_record_ __attribute__((cleanup(otp_record_wipep)))

enum store_status otp_get(struct store *st, const char *user, struct otp_record *r);
enum store_status otp_put(struct store *st, const char *user, const struct otp_record *r,
			  const char *by);
/* Only ever moves forward: a STEP not above the stored one changes nothing
 * and gives ST_NOTFOUND. */
enum store_status otp_advance_step(struct store *st, const char *user, int64_t step);
/* Remove the secret and recovery codes of USER; *ROWS = rows removed. */
enum store_status otp_revoke(struct store *st, const char *user, long *rows);

/* Enrollment window: users without a secret pass until DEADLINE (0 = none). */
enum store_status otp_window_get(struct store *st, const char *user, int64_t *deadline);
enum store_status otp_window_set(struct store *st, const char *user, int64_t deadline,
				 const char *by);

/* Recovery codes: replace all of USER's codes with N (id, hash) pairs. */
enum store_status otp_recovery_replace(struct store *st, const char *user, unsigned n,
				       const char *const *ids, const char *const *hashes,
				       int64_t now);
/* Hash of the unused code with ID; ST_NOTFOUND if none. */
enum store_status otp_recovery_hash(struct store *st, const char *user, const char *id,
				    char *hash, size_t hashlen);
/* Mark the code used if it is still unused and still has HASH; *USED tells
 * whether this call consumed it (exactly one caller can). */
enum store_status otp_recovery_consume(struct store *st, const char *user, const char *id,
				       const char *hash, int64_t now, bool *used);
enum store_status otp_recovery_count(struct store *st, const char *user, unsigned *unused,
				     unsigned *total);

#endif
