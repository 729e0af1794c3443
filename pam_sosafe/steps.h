/* The module's steps; each sends one request to the daemon, acts on the
 * verdict and returns a PAM status. */
#ifndef PAM_SOSAFE_STEPS_H
#define PAM_SOSAFE_STEPS_H
#include "context.h"
#include "proto/proto.h"

/* preauth and authsucc: the lockout around the password modules
 * (lock_steps.c). */
int step_preauth(struct sosafe_ctx *c);
int step_authsucc(struct sosafe_ctx *c);
/* The second factor: otp, forward_pass, check_password (otp_step.c). */
int step_otp(struct sosafe_ctx *c);
/* The account phase: lock, directory status, inactivity (lock_steps.c). */
int step_account(struct sosafe_ctx *c);

/* Refuse the way a wrong password is refused: same prompt, same delay. */
int refuse_like_failure(struct sosafe_ctx *c);

/* Log event=bad-user: the name is not sent to the daemon. */
void log_bad_user(struct sosafe_ctx *c);

/* An auth step's status for the daemon's VERDICT. */
int auth_status(struct sosafe_ctx *c, enum sd_verdict verdict);

#endif
