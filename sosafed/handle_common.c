/* What the handlers share: the worker's store handle, the lock lines and
 * the "account is locked" message. */
#include <config.h>
#include "handlers.h"

#include <string.h>

struct store *decision_store(struct decision_ctx *c)
{
	struct worker_store *ws = c->ws;
	bool sync_normal = !c->cfg.store_sync_commits;
	if (ws->st && ws->sync_normal == sync_normal && store_reusable(ws->st, c->cfg.state_dir))
		return store_ref(ws->st);
	if (ws->st) {
		store_close(ws->st);
		ws->st = NULL;
	}
	struct sosafe_err err;
	/* store_sync_commits = no trades the fsync of each commit for power-loss
	 * durability of the last logins (see sosafe.conf(5)); default: fsync */
	enum store_status s = store_open(&ws->st, c->cfg.state_dir,
					 sync_normal ? STORE_SYNC_NORMAL : 0,
					 c->cfg.store_timeout_ms, &err);
	if (s != ST_OK) {
		ws->st = NULL;
		log_event(LOG_ERR, &c->log, "store-error", "%s: %s", store_status_name(s), err.msg);
		return NULL;
	}
	ws->sync_normal = sync_normal;
	return store_ref(ws->st);
}

void log_store_error(struct decision_ctx *c, struct store *st, enum store_status s)
{
	log_event(LOG_ERR, &c->log, "store-error", "%s: %s", store_status_name(s), store_error(st));
}

void log_bad_user(struct decision_ctx *c)
{
	log_event(LOG_NOTICE, &c->log, "bad-user", "user name refused (invalid characters or length)");
}

void tell_locked(struct decision_ctx *c, const struct tally *t, int64_t now)
{
	if (!c->cfg.show_lock)
		return;
	if (t->locked_until == LOCK_FOREVER)
		sd_reply_info(c->rep, "The account is locked; ask an administrator.");
	else
		sd_reply_info(c->rep, "The account is locked; try again in %lld minute(s).",
			      (long long)((t->locked_until - now + 59) / 60));
}

void log_lock_verdict(struct decision_ctx *c, const struct tally *t, enum lock_verdict v,
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
