/* preauth and authsucc: the lockout around the modules that check the
 * password. preauth counts the attempt up front (a caller killed after a
 * guess cannot erase it); authsucc clears it after they succeeded. */
#include <config.h>
#include "steps.h"

#include <time.h>

#include "lockout/attempt.h"

int step_preauth(struct sosafe_ctx *c)
{
	ctx_request_delay(c);
	if (!c->user_valid) {
		log_event(LOG_NOTICE, &c->log, "bad-user", "user name refused (invalid characters or length)");
		return refuse_like_failure(c);
	}
	_cleanup_store_ struct store *st = open_store_or_log(c, false);
	if (!st)
		return PAM_AUTH_ERR;
	struct attempt a;
	enum store_status s = attempt_begin(&a, st, &c->policy, &c->log, c->user, time(NULL));
	if (s != ST_OK) {
		log_store_error(c, st, s);
		return PAM_AUTH_ERR;
	}
	int64_t seq = 0;
	enum lock_verdict v = attempt_count(&a, &seq);
	/* the "lock" record comes with the commit; a refusal gets its own */
	s = attempt_commit(&a, v == LOCK_DENY_LOCKED ? "deny-locked" : NULL, "level %u, %u failures",
			   a.tally.lock_level, a.tally.nfails);
	if (s != ST_OK) {
		if (!a.audit_failed)   /* audit_append has logged audit-error */
			log_store_error(c, st, s);
		return PAM_AUTH_ERR;
	}
	log_lock_verdict(c, &a.tally, v, a.locked_now);
	if (v == LOCK_DENY_LOCKED) {
		if (c->cfg.show_lock && !c->cfg.silent) {
			tell_locked(c, &a.tally, a.now);
			return PAM_AUTH_ERR;
		}
		return refuse_like_failure(c);
	}
	int rc = remember_attempt(c, seq);
	if (rc == PAM_SUCCESS && c->cfg.debug)
		log_event(LOG_DEBUG, &c->log, "attempt", "attempt %lld counted (%u in interval)",
			  (long long)seq, a.tally.nfails);
	return rc;
}

int step_authsucc(struct sosafe_ctx *c)
{
	ctx_request_delay(c);
	if (!c->user_valid)
		return PAM_AUTH_ERR;
	_cleanup_store_ struct store *st = open_store_or_log(c, false);
	if (!st)
		return PAM_AUTH_ERR;
	struct attempt a;
	enum store_status s = attempt_begin(&a, st, &c->policy, &c->log, c->user, time(NULL));
	if (s != ST_OK) {
		log_store_error(c, st, s);
		return PAM_AUTH_ERR;
	}
	int64_t seq = counted_attempt(c);
	if (!seq)
		log_event(LOG_WARNING, &c->log, "config-warning",
			  "no 'preauth' line ran before this one: attempts are not counted up front");
	int rc = PAM_SUCCESS;
	if (attempt_succeed(&a, seq) == LOCK_DENY_LOCKED) {
		log_event(LOG_NOTICE, &c->log, "deny-locked", "credentials right but the account is locked");
		tell_locked(c, &a.tally, a.now);
		rc = PAM_AUTH_ERR;
	} else {
		forget_attempt(c);   /* settled: a second success line must not reuse it */
	}
	s = attempt_commit(&a, rc == PAM_SUCCESS ? "success" : "deny-locked", "%s",
			   rc == PAM_SUCCESS ? "authsucc" : "credentials right, account locked");
	if (s != ST_OK) {
		if (!a.audit_failed)
			log_store_error(c, st, s);
		return PAM_AUTH_ERR;
	}
	if (rc == PAM_SUCCESS)
		log_event(LOG_INFO, &c->log, "success", NULL);
	return rc;
}
