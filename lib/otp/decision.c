#include <config.h>
#include "otp/decision.h"

#include <string.h>
#include <time.h>

#include "base/util.h"
#include "lockout/attempt.h"
#include "otp/shadow_check.h"
#include "otp/totp.h"
#include "store/otp_store.h"

void otp_decision_init(struct otp_decision *d, struct store *st, const struct sosafe_config *cfg,
		       const struct lock_policy *policy, const struct log_ctx *log,
		       const char *user)
{
	memset(d, 0, sizeof(*d));
	d->st = st;
	d->cfg = cfg;
	d->policy = policy;
	d->log = log;
	d->user = user;
	d->digits = 6;
	d->reason = "error";
}

enum store_status otp_decision_lookup(struct otp_decision *d)
{
	_cleanup_otp_record_ struct otp_record r;
	enum store_status s = d->st ? otp_get(d->st, d->user, &r) : ST_ERROR;
	if (s == ST_OK) {
		d->enrolled = true;
		d->digits = r.params.digits;
	}
	return s;
}

/* The same work as a check against a secret, for users who have none. */
static void dummy_totp(const struct otp_answer *ans)
{
	static const uint8_t zero[TOTP_SECRET_NEW];
	struct totp_params p = { TOTP_SHA1, 6, 30 };
	int64_t step;
	(void)totp_verify(&p, zero, sizeof(zero), time(NULL), 1,
			  ans->kind == ANSWER_TOTP ? ans->code : "000000", -1, &step);
}

void otp_decision_prepare(struct otp_decision *d, const struct otp_answer *ans,
			  const char *password)
{
	if (d->check_password)
		d->password_ok = password && shadow_password_ok(d->user, password);
	if (ans->kind == ANSWER_RECOVERY) {
		/* a short read of the candidate hash; otp_decide's consume checks
		 * it is still the stored, unused one */
		recovery_id_of(ans->code, d->rec_id);
		bool have = d->st && otp_recovery_hash(d->st, d->user, d->rec_id, d->rec_hash,
						       sizeof(d->rec_hash)) == ST_OK;
		d->rec_match = recovery_check(ans->code, have ? d->rec_hash : NULL);
	}
	if (!d->enrolled)
		dummy_totp(ans);
}

/* A user without a secret: the no_secret policy decides. */
static enum store_status decide_unenrolled(struct otp_decision *d, int64_t now, bool *ok)
{
	int64_t deadline = 0;
	enum store_status s;
	switch (d->cfg->no_secret) {
	case NO_SECRET_ALLOW:
		*ok = true;
		d->reason = "no secret enrolled; no_secret=allow";
		return ST_OK;
	case NO_SECRET_ENROLL_WINDOW:
		s = otp_window_get(d->st, d->user, &deadline);
		if (s != ST_OK && s != ST_NOTFOUND)
			return s;
		if (deadline > now) {
			*ok = true;
			d->reason = "no secret enrolled; inside the enrollment window";
		} else {
			d->reason = deadline ? "no secret enrolled; enrollment window closed"
					     : "no secret enrolled; no enrollment window";
		}
		return ST_OK;
	default:
		d->reason = "no secret enrolled";
		return ST_OK;
	}
}

static enum store_status decide_recovery(struct otp_decision *d, int64_t now, bool *ok)
{
	enum store_status s;
	if (d->rec_match) {
		s = otp_recovery_consume(d->st, d->user, d->rec_id, d->rec_hash, now,
					 &d->recovery_used);
		if (s != ST_OK)
			return s;
	}
	if (!d->recovery_used) {
		d->reason = d->rec_match ? "recovery code already used" : "wrong recovery code";
		return ST_OK;
	}
	unsigned total = 0;
	s = otp_recovery_count(d->st, d->user, &d->recovery_left, &total);
	if (s != ST_OK)
		return s;
	*ok = true;
	d->reason = "recovery code used";
	return ST_OK;
}

static enum store_status decide_totp(struct otp_decision *d, const struct otp_record *r,
				     const struct otp_answer *ans, int64_t now, bool *ok)
{
	int64_t step = -1;
	enum store_status s;
	switch (totp_verify(&r->params, r->secret, r->secret_len, now, d->cfg->window, ans->code,
			    r->last_step, &step)) {
	case TOTP_OK:
		/* only forward: a parallel login that took this step first wins */
		s = otp_advance_step(d->st, d->user, step);
		if (s == ST_NOTFOUND) {
			d->reason = "replayed code";
			return ST_OK;
		}
		if (s != ST_OK)
			return s;
		*ok = true;
		d->reason = "code accepted";
		return ST_OK;
	case TOTP_REPLAY:
		d->reason = "replayed code (or the clock stepped back)";
		return ST_OK;
	case TOTP_ERROR:
		log_event(LOG_ERR, d->log, "error", "TOTP computation failed (liboath)");
		d->reason = "internal error";
		return ST_OK;
	default:
		d->reason = "wrong code";
		return ST_OK;
	}
}

/* The check proper, inside the transaction: *OK when the answer is right. */
static enum store_status check_answer(struct otp_decision *d, const struct otp_answer *ans,
				      int64_t now, bool *ok)
{
	_cleanup_otp_record_ struct otp_record r;
	enum store_status s = otp_get(d->st, d->user, &r);
	if (s != ST_OK && s != ST_NOTFOUND)
		return s;
	if (d->check_password && !d->password_ok) {
		d->reason = "wrong password";
		return ST_OK;
	}
	if (s == ST_NOTFOUND)
		return decide_unenrolled(d, now, ok);
	if (ans->kind == ANSWER_RECOVERY)
		return decide_recovery(d, now, ok);
	if (ans->kind != ANSWER_TOTP) {
		d->reason = "malformed answer";
		return ST_OK;
	}
	return decide_totp(d, &r, ans, now, ok);
}

/* An exempt account's code path: count this code in its own tally and
 * refuse it unchecked while that tally's lock stands (attempt.h). */
static enum store_status count_code(struct otp_decision *d, struct attempt *a, int64_t *code_seq)
{
	enum lock_verdict v = LOCK_ALLOW;
	enum store_status s = attempt_count_code(a, &v, code_seq);
	if (s == ST_OK && v == LOCK_DENY_LOCKED) {
		d->code_locked = true;
		d->reason = "second factor locked after too many wrong codes (the account is not)";
	}
	return s;
}

static void log_code_lock(const struct otp_decision *d, const struct attempt *a, int64_t now)
{
	if (a->code_locked_now && a->code.locked_until > now)
		log_event(LOG_WARNING, d->log, "lock",
			  "second factor: %u wrong codes within %u s; codes are refused for %lld s, "
			  "the account stays usable", a->code.nfails, a->code_policy.fail_interval,
			  (long long)(a->code.locked_until - now));
}

enum store_status otp_decide(struct otp_decision *d, const struct otp_answer *ans, int64_t now)
{
	struct attempt a;
	d->outcome = OTP_REFUSED;
	if (!d->st)
		return ST_ERROR;
	enum store_status s = attempt_begin(&a, d->st, d->policy, d->log, d->user, now);
	if (s != ST_OK)
		return s;
	bool ok = false;
	if (d->seq == 0) {
		if (attempt_count(&a, &d->seq) == LOCK_DENY_LOCKED)
			d->outcome = OTP_DENY_LOCKED;
		else
			d->counted_here = true;
		d->locked_now = a.locked_now;
		d->counted_tally = a.tally;
	}
	int64_t code_seq = 0;
	if (d->outcome != OTP_DENY_LOCKED && d->policy->exempt)
		s = count_code(d, &a, &code_seq);
	if (s == ST_OK && d->outcome != OTP_DENY_LOCKED && !d->code_locked)
		s = check_answer(d, ans, now, &ok);
	if (s != ST_OK) {
		attempt_abort(&a);
		d->tally = a.tally;
		return s;
	}
	if (ok)
		attempt_succeed_code(&a, code_seq);
	if (ok && d->keep_counted)
		d->outcome = OTP_ACCEPTED_COUNTED;
	else if (ok)
		d->outcome = attempt_succeed(&a, d->seq) == LOCK_ALLOW ? OTP_ACCEPTED
								       : OTP_RIGHT_BUT_LOCKED;
	bool accepted = d->outcome == OTP_ACCEPTED || d->outcome == OTP_ACCEPTED_COUNTED;
	bool denied = d->outcome == OTP_DENY_LOCKED || d->code_locked;
	s = attempt_commit(&a, accepted ? "success" : denied ? "deny-locked" : "fail", "otp: %s",
			   d->outcome == OTP_DENY_LOCKED ? "account locked" : d->reason);
	d->audit_failed = a.audit_failed;
	d->tally = a.tally;
	if (s == ST_OK)
		log_code_lock(d, &a, now);
	return s;
}

void otp_decision_wipe(struct otp_decision *d)
{
	explicit_bzero(d->rec_hash, sizeof(d->rec_hash));
	explicit_bzero(d->rec_id, sizeof(d->rec_id));
	d->rec_match = false;
	d->password_ok = false;
}
