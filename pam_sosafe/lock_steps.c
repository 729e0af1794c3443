/* preauth, authsucc and the account phase: the daemon counts, clears and
 * checks; this file asks and applies the verdict. */
#include <config.h>
#include "steps.h"

#include "ask.h"
#include "base/util.h"
#include "conv.h"

int refuse_like_failure(struct sosafe_ctx *c)
{
	char *answer = NULL;
	ctx_request_delay(c);
	/* Ask what a wrong password would have been asked, and throw it away,
	 * so a locked account looks exactly like a failed one. */
	if (conv_ask(c->pamh, c->cfg.password_prompt, false, &answer) == PAM_SUCCESS)
		secure_free_str(answer);
	return PAM_AUTH_ERR;
}

int auth_status(struct sosafe_ctx *c, enum sd_verdict verdict)
{
	switch (verdict) {
	case SD_ALLOW:
		return PAM_SUCCESS;
	case SD_DENY_AS_FAILURE:
		return refuse_like_failure(c);
	default:
		return PAM_AUTH_ERR;
	}
}

void log_bad_user(struct sosafe_ctx *c)
{
	log_event(LOG_NOTICE, &c->log, "bad-user", "user name refused (invalid characters or length)");
}

/* One request of KIND carrying SEQ; the verdict as an auth status. */
static int lock_request(struct sosafe_ctx *c, enum sd_kind kind, int64_t seq)
{
	struct sd_request req;
	struct sd_reply rep;
	ask_init(c, &req, kind);
	req.seq = seq;
	int rc = ask_daemon(c, &req, &rep, PAM_AUTH_ERR);
	if (rc != PAM_SUCCESS)
		return rc;
	rc = ask_apply(c, &rep);
	return rc != PAM_SUCCESS ? rc : auth_status(c, rep.verdict);
}

int step_preauth(struct sosafe_ctx *c)
{
	ctx_request_delay(c);
	if (!c->user_valid) {
		log_bad_user(c);
		return refuse_like_failure(c);
	}
	return lock_request(c, SD_PREAUTH, 0);
}

int step_authsucc(struct sosafe_ctx *c)
{
	ctx_request_delay(c);
	if (!c->user_valid)
		return PAM_AUTH_ERR;
	return lock_request(c, SD_AUTHSUCC, ask_counted_attempt(c));
}

int step_account(struct sosafe_ctx *c)
{
	if (!c->user_valid) {
		log_bad_user(c);
		return PAM_PERM_DENIED;
	}
	struct sd_request req;
	struct sd_reply rep;
	ask_init(c, &req, SD_ACCOUNT);
	int rc = ask_daemon(c, &req, &rep, PAM_PERM_DENIED);
	if (rc != PAM_SUCCESS)
		return rc;
	rc = ask_apply(c, &rep);
	if (rc != PAM_SUCCESS)
		return rc;
	switch (rep.verdict) {
	case SD_ALLOW:
		return PAM_SUCCESS;
	case SD_EXPIRED:
		return PAM_ACCT_EXPIRED;
	default:
		return PAM_PERM_DENIED;
	}
}
