/* What the steps share: the store connection of the PAM handle, the attempt
 * counted up front, and the way a refusal looks. */
#include <config.h>
#include "steps.h"

#include <security/pam_ext.h>
#include <stdlib.h>

#include "base/util.h"
#include "conv.h"

#define STORE_KEY "pam_sosafe_store"
/* pam data: the number of the attempt preauth counted (int64_t). */
#define ATTEMPT_KEY "pam_sosafe_attempt"

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
	struct sosafe_err err;
	/* store_sync_commits = no trades the fsync of each commit for power-loss
	 * durability of the last logins (see sosafe.conf(5)); default: fsync */
	enum store_status s = store_open(&st, c->cfg.state_dir,
					 c->cfg.store_sync_commits ? 0 : STORE_SYNC_NORMAL,
					 c->cfg.store_timeout_ms, &err);
	if (s != ST_OK) {
		log_event(LOG_ERR, &c->log, "store-error", "%s: %s", store_status_name(s), err.msg);
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

void tell_locked(struct sosafe_ctx *c, const struct tally *t, int64_t now)
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

int64_t counted_attempt(struct sosafe_ctx *c)
{
	const void *data = NULL;
	if (pam_get_data(c->pamh, ATTEMPT_KEY, &data) == PAM_SUCCESS && data)
		return *(const int64_t *)data;
	return 0;
}

void forget_attempt(struct sosafe_ctx *c)
{
	pam_set_data(c->pamh, ATTEMPT_KEY, NULL, NULL);
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
