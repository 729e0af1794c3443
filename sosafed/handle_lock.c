/* preauth and authsucc: the lockout around the modules that check the
 * password. preauth counts the attempt up front (a caller killed after a
 * guess cannot erase it); authsucc clears it after they succeeded. Both
 * commit before the reply leaves the daemon. */
#include <config.h>
#include "handlers.h"

#include <time.h>

#include "lockout/attempt.h"

/* The worker's store and the attempt transaction open on it; NULL after
 * logging why (the store is unavailable until the commit says otherwise). */
static struct store *begin(struct decision_ctx *c, struct attempt *a)
{
	c->rep->verdict = SD_UNAVAILABLE;
	struct store *st = decision_store(c);
	if (!st)
		return NULL;
	enum store_status s = attempt_begin(a, st, &c->policy, &c->log, c->req->user, time(NULL));
	if (s != ST_OK) {
		log_store_error(c, st, s);
		store_close(st);
		return NULL;
	}
	return st;
}

void handle_preauth(struct decision_ctx *c)
{
	struct sd_reply *rep = c->rep;
	if (!c->user_valid) {
		log_bad_user(c);
		rep->verdict = SD_DENY_AS_FAILURE;
		return;
	}
	struct attempt a;
	_cleanup_store_ struct store *st = begin(c, &a);
	if (!st)
		return;
	int64_t seq = 0;
	enum lock_verdict v = attempt_count(&a, &seq);
	/* the "lock" record comes with the commit; a refusal gets its own */
	enum store_status s = attempt_commit(&a, v == LOCK_DENY_LOCKED ? "deny-locked" : NULL, "level %u, %u failures",
			   a.tally.lock_level, a.tally.nfails);
	if (s != ST_OK) {
		if (!a.audit_failed)   /* audit_append has logged audit-error */
			log_store_error(c, st, s);
		return;
	}
	log_lock_verdict(c, &a.tally, v, a.locked_now);
	if (v == LOCK_DENY_LOCKED) {
		if (c->cfg.show_lock && !c->silent) {
			tell_locked(c, &a.tally, a.now);
			rep->verdict = SD_DENY;
		} else {
			rep->verdict = SD_DENY_AS_FAILURE;
		}
		return;
	}
	rep->verdict = SD_ALLOW;
	rep->seq_action = SD_SEQ_SET;
	rep->seq = seq;
	if (c->cfg.debug)
		log_event(LOG_DEBUG, &c->log, "attempt", "attempt %lld counted (%u in interval)",
			  (long long)seq, a.tally.nfails);
}

void handle_authsucc(struct decision_ctx *c)
{
	struct sd_reply *rep = c->rep;
	rep->verdict = SD_DENY;
	if (!c->user_valid)
		return;
	struct attempt a;
	_cleanup_store_ struct store *st = begin(c, &a);
	if (!st)
		return;
	int64_t seq = c->req->seq;
	if (!seq)
		log_event(LOG_WARNING, &c->log, "config-warning",
			  "no 'preauth' line ran before this one: attempts are not counted up front");
	bool ok = attempt_succeed(&a, seq) != LOCK_DENY_LOCKED;
	if (!ok) {
		log_event(LOG_NOTICE, &c->log, "deny-locked", "credentials right but the account is locked");
		tell_locked(c, &a.tally, a.now);
	}
	enum store_status s = attempt_commit(&a, ok ? "success" : "deny-locked", "%s",
			   ok ? "authsucc" : "credentials right, account locked");
	if (s != ST_OK) {
		if (!a.audit_failed)
			log_store_error(c, st, s);
		rep->ninfo = 0;
		return;
	}
	if (!ok) {
		rep->verdict = SD_DENY;
		return;
	}
	log_event(LOG_INFO, &c->log, "success", NULL);
	rep->verdict = SD_ALLOW;
	rep->seq_action = SD_SEQ_FORGET;   /* settled: a second success line must not reuse it */
}
