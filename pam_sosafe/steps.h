/* The module's steps; each returns a PAM status. Each step file calls only
 * lib/ and the shared bits below (step_common.c), never another step file. */
#ifndef PAM_SOSAFE_STEPS_H
#define PAM_SOSAFE_STEPS_H
#include "context.h"
#include "lockout/lockout.h"
#include "store/store.h"
#include "store/lockout_store.h"

/* preauth and authsucc: the lockout (lock_steps.c). */
int step_preauth(struct sosafe_ctx *c);
int step_authsucc(struct sosafe_ctx *c);
/* The account phase: lock, directory status, inactivity (account_steps.c). */
int step_account(struct sosafe_ctx *c);
/* The second factor: otp, forward_pass, check_password (otp_steps.c). */
int step_otp(struct sosafe_ctx *c);

/* Shared by the steps (step_common.c). */

/* The attempt counted up front, kept on the handle for the success line:
 * remember its number; its number (0: none counted on this handle); forget
 * it once settled, so that a second success line cannot reuse it. */
int remember_attempt(struct sosafe_ctx *c, int64_t seq);
int64_t counted_attempt(struct sosafe_ctx *c);
void forget_attempt(struct sosafe_ctx *c);

/* Log what lockout_begin decided: event=deny-locked or event=lock. */
void log_lock_verdict(struct sosafe_ctx *c, const struct tally *t, enum lock_verdict v,
		      bool locked_now);

/* Tell the user the account is locked (show_lock), and until when. */
void tell_locked(struct sosafe_ctx *c, const struct tally *t, int64_t now);

/* Open the store for a decision; on failure logs event=store-error. */
struct store *open_store_or_log(struct sosafe_ctx *c, bool readonly);

/* Log event=store-error with ST's last error. */
void log_store_error(struct sosafe_ctx *c, struct store *st, enum store_status s);

/* Refuse the way a wrong password is refused: same prompt, same delay. */
int refuse_like_failure(struct sosafe_ctx *c);

#endif
