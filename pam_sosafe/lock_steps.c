/* preauth, authsucc and the account phase: the lockout of R1. */
#include <config.h>
#include "steps.h"

#include <security/pam_ext.h>
#include <stdlib.h>
#include <time.h>

#include "audit/audit.h"
#include "conv.h"
#include "base/util.h"


#define STORE_KEY "pam_sosafe_store"

static void store_cleanup(pam_handle_t *pamh, void *data, int status)
{
	store_close(data);
}

/* One connection per PAM handle: preauth, otp and the account phase of one
 * login share it, so the store is opened and checked once per login. */
struct store *open_store_or_log(struct sosafe_ctx *c, bool readonly)
{
	const void *cached = NULL;
	if (pam_get_data(c->pamh, STORE_KEY, &cached) == PAM_SUCCESS && cached &&
	    store_reusable(cached, c->cfg.state_dir))
		return store_ref((struct store *)cached);
	struct store *st = NULL;
	char err[512];
	/* store_sync_commits = no trades the fsync of each commit for power-loss
	 * durability of the last logins (see sosafe.conf(5)); default: fsync */
	enum store_status s = store_open(&st, c->cfg.state_dir,
					 c->cfg.store_sync_commits ? 0 : STORE_SYNC_NORMAL,
					 c->cfg.store_timeout_ms, err, sizeof(err));
	if (s != ST_OK) {
		log_event(LOG_ERR, &c->log, "store-error", "%s: %s", store_status_name(s), err);
		return NULL;
	}
	(void)readonly; /* the account phase never writes, but shares the handle's connection */
	if (pam_set_data(c->pamh, STORE_KEY, store_ref(st), store_cleanup) != PAM_SUCCESS)
		store_close(st);
	return st;
}

void log_store_error(struct sosafe_ctx *c, struct store *st, enum store_status s)
{
	log_event(LOG_ERR, &c->log, "store-error", "%s: %s", store_status_name(s), store_error(st));
}

static void tell_locked(struct sosafe_ctx *c, const struct tally *t, int64_t now)
{
	if (!c->cfg.show_lock)
		return;
	if (t->locked_until == LOCK_FOREVER)
		conv_info(c->pamh, c->cfg.silent, "The account is locked; ask an administrator.");
	else
		conv_info(c->pamh, c->cfg.silent, "The account is locked; try again in %lld minute(s).",
			  (long long)((t->locked_until - now + 59) / 60));
}

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

static void attempt_cleanup(pam_handle_t *pamh, void *data, int status)
{
	free(data);
}

int remember_attempt(struct sosafe_ctx *c, int64_t seq)
{
	int64_t *data = malloc(sizeof(*data));
	if (!data || pam_set_data(c->pamh, ATTEMPT_KEY, data, attempt_cleanup) != PAM_SUCCESS) {
		free(data);
		return PAM_BUF_ERR;
	}
	*data = seq;
	return PAM_SUCCESS;
}

bool attempt_counted(struct sosafe_ctx *c)
{
	const void *data = NULL;
	return pam_get_data(c->pamh, ATTEMPT_KEY, &data) == PAM_SUCCESS && data;
}

void log_lock_verdict(struct sosafe_ctx *c, const struct tally *t, enum lock_verdict v,
		      bool locked_now)
{
	if (v == LOCK_DENY_LOCKED)
		log_event(LOG_NOTICE, &c->log, "deny-locked", "locked until %s; %lld attempts refused",
			  t->locked_until == LOCK_FOREVER ? "admin unlock" : "timeout",
			  (long long)t->refused);
	else if (locked_now)
		log_event(LOG_WARNING, &c->log, "lock", "%u failures within %u s; lock %u lasts %s",
			  t->nfails, c->policy.fail_interval, t->lock_level,
			  t->locked_until == LOCK_FOREVER ? "until admin unlock" : "a timeout");
}

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
	enum store_status s = store_begin(st);
	struct tally t;
	if (s == ST_OK) {
		s = store_tally_get(st, c->user, &t);
		if (s == ST_NOTFOUND)
			s = ST_OK;
	}
	if (s != ST_OK) {
		log_store_error(c, st, s);
		return PAM_AUTH_ERR;
	}
	int64_t now = time(NULL), seq = 0;
	bool locked_now = false;
	enum lock_verdict v = lockout_begin(&c->policy, &t, now, &seq, &locked_now);
	s = store_tally_put(st, c->user, &t);
	/* audit inside the transaction: no record, no decision (fail closed) */
	if (s == ST_OK && (v == LOCK_DENY_LOCKED || locked_now) &&
	    audit_append(st, &c->log, v == LOCK_DENY_LOCKED ? "deny-locked" : "lock", NULL,
			 "level %u, %u failures", t.lock_level, t.nfails))
		return PAM_AUTH_ERR;   /* store_close rolls back */
	if (s == ST_OK)
		s = store_commit(st);
	if (s != ST_OK) {
		log_store_error(c, st, s);
		return PAM_AUTH_ERR;
	}
	log_lock_verdict(c, &t, v, locked_now);
	if (v == LOCK_DENY_LOCKED) {
		if (c->cfg.show_lock && !c->cfg.silent) {
			tell_locked(c, &t, now);
			return PAM_AUTH_ERR;
		}
		return refuse_like_failure(c);
	}
	int rc = remember_attempt(c, seq);
	if (rc == PAM_SUCCESS && c->cfg.debug)
		log_event(LOG_DEBUG, &c->log, "attempt", "attempt %lld counted (%u in interval)",
			  (long long)seq, t.nfails);
	return rc;
}

int lock_record_success(struct sosafe_ctx *c, struct store *st, struct tally *t)
{
	const void *data = NULL;
	int64_t seq = 0;
	if (pam_get_data(c->pamh, ATTEMPT_KEY, &data) == PAM_SUCCESS && data)
		seq = *(const int64_t *)data;
	else
		log_event(LOG_WARNING, &c->log, "config-warning",
			  "no 'preauth' line ran before this one: attempts are not counted up front");
	int64_t now = time(NULL);
	if (lockout_success(&c->policy, t, now, seq) == LOCK_DENY_LOCKED) {
		log_event(LOG_NOTICE, &c->log, "deny-locked", "credentials right but the account is locked");
		tell_locked(c, t, now);
		return PAM_AUTH_ERR;
	}
	/* the attempt is settled: a second success line must not reuse it */
	pam_set_data(c->pamh, ATTEMPT_KEY, NULL, NULL);
	(void)st;
	return PAM_SUCCESS;
}

int step_authsucc(struct sosafe_ctx *c)
{
	ctx_request_delay(c);
	if (!c->user_valid)
		return PAM_AUTH_ERR;
	_cleanup_store_ struct store *st = open_store_or_log(c, false);
	if (!st)
		return PAM_AUTH_ERR;
	struct tally t;
	enum store_status s = store_begin(st);
	if (s == ST_OK) {
		s = store_tally_get(st, c->user, &t);
		if (s == ST_NOTFOUND)
			s = ST_OK;
	}
	if (s != ST_OK) {
		log_store_error(c, st, s);
		return PAM_AUTH_ERR;
	}
	int rc = lock_record_success(c, st, &t);
	s = store_tally_put(st, c->user, &t);
	if (s == ST_OK && audit_append(st, &c->log, rc == PAM_SUCCESS ? "success" : "deny-locked", NULL,
				       "%s", rc == PAM_SUCCESS ? "authsucc" : "credentials right, account locked"))
		return PAM_AUTH_ERR;   /* store_close rolls back */
	if (s == ST_OK)
		s = store_commit(st);
	if (s != ST_OK) {
		log_store_error(c, st, s);
		return PAM_AUTH_ERR;
	}
	if (rc == PAM_SUCCESS)
		log_event(LOG_INFO, &c->log, "success", NULL);
	return rc;
}

int step_account(struct sosafe_ctx *c)
{
	if (!c->user_valid) {
		log_event(LOG_NOTICE, &c->log, "bad-user", "user name refused (invalid characters or length)");
		return PAM_PERM_DENIED;
	}
	int dir_rc = step_account_directory(c);   /* deactivated, stale, inactive */
	if (dir_rc != PAM_SUCCESS)
		return dir_rc;
	_cleanup_store_ struct store *st = open_store_or_log(c, true);
	if (!st)
		return PAM_PERM_DENIED;
	struct tally t;
	enum store_status s = store_tally_get(st, c->user, &t);
	if (s == ST_NOTFOUND)
		return PAM_SUCCESS;
	if (s != ST_OK) {
		log_store_error(c, st, s);
		return PAM_PERM_DENIED;
	}
	int64_t now = time(NULL);
	if (lockout_is_locked(&c->policy, &t, now)) {
		log_event(LOG_NOTICE, &c->log, "deny-locked", "account phase: account is locked");
		tell_locked(c, &t, now);
		return PAM_PERM_DENIED;
	}
	return PAM_SUCCESS;
}
