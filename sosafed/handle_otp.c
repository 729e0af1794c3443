/* The second factor: modes otp, forward_pass and check_password. The
 * module has conversed already; the answer arrives here. Order of work, so
 * that nothing can be learned without being counted and nothing holds the
 * store's write lock longer than one transaction:
 *   1. read the enrolled parameters (digit count) without a transaction;
 *   2. take the answer apart (the single field of forward_pass is split
 *      here, and the module told which part is the password);
 *   3. slow checks outside the lock (otp_decision_prepare);
 *   4. one attempt transaction decides (otp_decide), committed before the
 *      reply is written.
 * Users without a secret and unknown users go through the same work, so
 * enrollment cannot be probed. */
#include <config.h>
#include "handlers.h"

#include <string.h>
#include <time.h>

#include "base/util.h"
#include "otp/decision.h"

struct otp_input {
	char *password;             /* password part (forward_pass, check_password) */
	struct otp_answer ans;
};

static void input_wipe(struct otp_input *in)
{
	secure_free_str(in->password);
	otp_answer_wipe(&in->ans);
	explicit_bzero(in, sizeof(*in));
}

/* Step 2 of forward_pass: split RAW; tell the module what to hand on as the
 * password (all of the field when it cannot be split). */
static int split_field(struct decision_ctx *c, const char *raw, unsigned digits, bool enrolled,
		       struct otp_input *in)
{
	/* A user without a secret has no code to type: under no_secret=allow
	 * or an enrollment window the whole field is the password. */
	if (!enrolled || otp_answer_split(raw, digits, &in->password, &in->ans)) {
		otp_answer_wipe(&in->ans);
		secure_free_str(in->password);
		in->password = strdup(raw);
		if (!in->password)
			return -1;
	}
	size_t n = strlen(in->password);
	struct sd_reply *rep = c->rep;
	if (!strncmp(raw, in->password, n)) {
		rep->has_password_len = true;
		rep->password_len = (uint32_t)n;
	} else {                    /* decoded, not a prefix (SCRV1) */
		if (n > SD_SECRET_MAX)
			return -1;
		memcpy(rep->authtok, in->password, n + 1);
		rep->has_authtok = true;
	}
	return 0;
}

/* Steps 2 for the prompt modes. */
static void parse_answer(const char *raw, unsigned digits, struct otp_input *in)
{
	if (otp_answer_parse(raw, strnlen(raw, OTP_ANSWER_MAX + 1), digits, &in->ans))
		otp_answer_wipe(&in->ans);   /* refused as a malformed answer */
}

/* Say how it ended. */
static void tell_outcome(struct decision_ctx *c, const struct otp_decision *d, int64_t now)
{
	if (d->outcome == OTP_ACCEPTED || d->outcome == OTP_ACCEPTED_COUNTED) {
		bool kept = d->outcome == OTP_ACCEPTED_COUNTED;
		if (d->recovery_used)
			sd_reply_info(c->rep, "Recovery code accepted; %u left. Ask for new codes when "
				      "few are left.", d->recovery_left);
		log_event(LOG_INFO, &c->log, kept ? "code-ok" : "success", "%s%s", d->reason,
			  kept ? "; the attempt stays counted until authsucc" : "");
		c->rep->verdict = SD_ALLOW;
		return;
	}
	if (d->outcome == OTP_REFUSED)
		log_event(LOG_NOTICE, &c->log, "fail", "%s", d->reason);
	if (c->cfg.show_lock && lockout_is_locked(&c->policy, &d->tally, now))
		sd_reply_info(c->rep, "The account is locked.");
	c->rep->verdict = SD_DENY;
}

void handle_otp(struct decision_ctx *c)
{
	const struct sd_request *req = c->req;
	bool forward_pass = req->flags & SDF_FORWARD_PASS;
	bool check_password = req->flags & SDF_CHECK_PASSWORD;
	const char *raw = req->answer ? req->answer : "";
	struct otp_input in;
	memset(&in, 0, sizeof(in));

	_cleanup_store_ struct store *st = c->user_valid ? decision_store(c) : NULL;
	struct otp_decision d;
	otp_decision_init(&d, st, &c->cfg, &c->policy, &c->log, req->user);
	d.check_password = check_password;
	d.keep_counted = forward_pass && !check_password;

	/* 1. enrolled digit count (6 when unknown: the split is the same) */
	if (st) {
		enum store_status s = otp_decision_lookup(&d);
		if (s != ST_OK && s != ST_NOTFOUND) {
			log_store_error(c, st, s);
			store_close(st);
			st = d.st = NULL;
		}
	}

	/* 2. the answer's parts, always, so that a bad name or a broken store
	 * costs the same */
	if (forward_pass) {
		if (split_field(c, raw, d.digits, d.enrolled, &in) < 0) {
			input_wipe(&in);
			sd_reply_wipe(c->rep);
			c->rep->verdict = SD_DENY;
			return;
		}
	} else {
		if (check_password && req->password) {
			in.password = strdup(req->password);
			if (!in.password) {
				c->rep->verdict = SD_DENY;
				return;
			}
		}
		parse_answer(raw, d.digits, &in);
	}
	/* 3. slow checks outside the lock (a refused name costs no password hash) */
	otp_decision_prepare(&d, &in.ans, c->user_valid ? in.password : NULL);
	if (!c->user_valid) {
		log_bad_user(c);
		otp_decision_wipe(&d);
		input_wipe(&in);
		c->rep->verdict = SD_DENY;
		return;
	}
	if (!st) {
		otp_decision_wipe(&d);
		input_wipe(&in);
		c->rep->verdict = SD_UNAVAILABLE;
		return;
	}

	/* 4. one transaction decides; an unprivileged peer's attempt number is
	 * not trusted (peer_check dropped it): counted here */
	int64_t now = time(NULL);
	d.seq = req->seq;
	enum store_status s = otp_decide(&d, &in.ans, now);
	otp_decision_wipe(&d);
	input_wipe(&in);
	if (d.counted_here)
		log_lock_verdict(c, &d.counted_tally, LOCK_ALLOW, d.locked_now);
	else if (d.outcome == OTP_DENY_LOCKED)
		log_lock_verdict(c, &d.counted_tally, LOCK_DENY_LOCKED, false);
	if (d.outcome == OTP_RIGHT_BUT_LOCKED) {
		log_event(LOG_NOTICE, &c->log, "deny-locked", "credentials right but the account is locked");
		tell_locked(c, &d.tally, now);
	}
	if (s != ST_OK) {
		log_store_error(c, st, s);
		c->rep->verdict = SD_UNAVAILABLE;
		return;
	}
	if (d.outcome == OTP_ACCEPTED) {
		c->rep->seq_action = SD_SEQ_FORGET;   /* settled: a second success line must not reuse it */
	} else if (d.counted_here) {
		c->rep->seq_action = SD_SEQ_SET;
		c->rep->seq = d.seq;
	}
	tell_outcome(c, &d, now);
}
