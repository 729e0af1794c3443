/* The module's steps; each returns a PAM status. */
#ifndef PAM_SOSAFE_STEPS_H
#define PAM_SOSAFE_STEPS_H
#include "context.h"
#include "lockout/lockout.h"
#include "store/store.h"
#include "store/lockout_store.h"

/* pam data: the number of the attempt preauth counted (int64_t). */
#define ATTEMPT_KEY "pam_sosafe_attempt"

int step_preauth(struct sosafe_ctx *c);
int step_authsucc(struct sosafe_ctx *c);
int step_account(struct sosafe_ctx *c);
/* The second factor: otp, forward_pass, check_password (otp_steps.c). */
int step_otp(struct sosafe_ctx *c);
/* Directory users: deactivated, stale snapshot, inactivity (account_steps.c). */
int step_account_directory(struct sosafe_ctx *c);

/* Record a full success (clears the attempt counted by preauth) inside the
 * open transaction of ST. Used by authsucc and by the second factor. */
int lock_record_success(struct sosafe_ctx *c, struct store *st, struct tally *t);

/* The attempt counted up front, kept on the handle (ATTEMPT_KEY) for the
 * success line: remember its number; was one counted on this handle? */
int remember_attempt(struct sosafe_ctx *c, int64_t seq);
bool attempt_counted(struct sosafe_ctx *c);
/* Log what lockout_begin decided: event=deny-locked or event=lock. */
void log_lock_verdict(struct sosafe_ctx *c, const struct tally *t, enum lock_verdict v,
		      bool locked_now);

/* Open the store for a decision; on failure logs event=store-error. */
struct store *open_store_or_log(struct sosafe_ctx *c, bool readonly);

/* Log event=store-error with ST's last error. */
void log_store_error(struct sosafe_ctx *c, struct store *st, enum store_status s);

/* Refuse the way a wrong password is refused: same prompt, same delay. */
int refuse_like_failure(struct sosafe_ctx *c);

#endif
