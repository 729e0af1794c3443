/* A secret that `enroll --pending` has shown and that waits for
 * `enroll --confirm CODE`, so a script can show the QR code first and
 * confirm later with a second command. It is not in the store: the module
 * never sees it, and nothing but its owner's confirmation activates it. One
 * root-only file per user (0600 in a 0700 directory of state_dir), named by
 * the SHA-256 of the user name, valid for ENROLL_PENDING_TTL seconds. The
 * secret in it is sealed with the store's key (store/seal.h) for its user,
 * so a copy of state_dir holds no usable secret here either. */
#ifndef SOSAFECTL_ENROLL_PENDING_H
#define SOSAFECTL_ENROLL_PENDING_H

#include <stdbool.h>
#include <stdint.h>

#include "base/err.h"
#include "store/keyring.h"
#include "store/otp_store.h"

#define ENROLL_PENDING_TTL 3600

/* Keep R (secret and parameters; R->enrolled_at is when it was made) for
 * USER, sealed with KR's first key, replacing an older pending one. FORCE:
 * the confirmation may replace an active secret. Returns 0, or -1 with E. */
int enroll_pending_save(const char *state_dir, const struct keyring *kr, const char *user,
			const struct otp_record *r, bool force, struct sosafe_err *e);

/* The pending secret of USER into R (wipe it after use) and *FORCE.
 * Returns 0; 1 if there is none or it is older than ENROLL_PENDING_TTL at
 * NOW (an expired one is removed); -1 with E if it cannot be read. */
int enroll_pending_load(const char *state_dir, const struct keyring *kr, const char *user,
			int64_t now, struct otp_record *r, bool *force, struct sosafe_err *e);

/* Forget USER's pending secret (none is fine). */
void enroll_pending_remove(const char *state_dir, const char *user);

#endif
