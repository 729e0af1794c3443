/* What the handlers share: the worker's store handle, the lock lines and
 * the "account is locked" message. */
#include <config.h>
#include "handlers.h"

#include <stdio.h>
#include <string.h>

#include "base/fsutil.h"
#include "keyring_cache.h"

/* Is the store file still the one WS opened, with safe modes? A store
 * deleted, replaced, made readable or its directory writable by others,
 * or rewritten by something else (mtime, size) is opened and checked
 * again, as a fresh process would: a kept handle must not hide it. For
 * the shared store the file watched is the connection string's: new
 * credentials take effect at the next request. */
static bool store_file_unchanged(struct worker_store *ws, const struct sosafe_config *cfg,
				 bool update)
{
	char path[PATH_MAX];
	struct stat sb;
	if (cfg->store_backend == STORE_BACKEND_POSTGRESQL) {
		if (fs_check_file(cfg->pg_conninfo_file, true, NULL) ||
		    lstat(cfg->pg_conninfo_file, &sb))
			return false;
	} else if ((size_t)snprintf(path, sizeof(path), "%s/" STORE_FILE, cfg->state_dir) >=
		   sizeof(path) || fs_check_dir(cfg->state_dir, NULL) ||
		   fs_check_file(path, true, NULL) || lstat(path, &sb)) {
		return false;
	}
	bool same = sb.st_dev == ws->dev && sb.st_ino == ws->ino && sb.st_size == ws->size &&
		    sb.st_mtim.tv_sec == ws->mtime.tv_sec && sb.st_mtim.tv_nsec == ws->mtime.tv_nsec;
	if (update) {
		ws->dev = sb.st_dev;
		ws->ino = sb.st_ino;
		ws->size = sb.st_size;
		ws->mtime = sb.st_mtim;
	}
	return same;
}

/* Hand ST the keyring of C's secret_key_file (read again if it changed). */
static struct store *with_keys(struct decision_ctx *c, struct store *st)
{
	struct keyring *kr = keyring_cached(c->cfg.secret_key_file);
	store_set_keyring(st, kr);
	keyring_unref(kr);
	return store_ref(st);
}

struct store *decision_store(struct decision_ctx *c)
{
	struct worker_store *ws = c->ws;
	struct store_target t;
	store_target_from_config(&t, &c->cfg);
	if (ws->st && store_reusable(ws->st, store_target_ident(&t)) &&
	    store_file_unchanged(ws, &c->cfg, false))
		return with_keys(c, ws->st);
	if (ws->st) {
		store_close(ws->st);
		ws->st = NULL;
	}
	struct sosafe_err err;
	/* commits are not fsynced inside SQLite's write lock: with
	 * store_sync_commits the worker flushes before it replies, sharing the
	 * flush with concurrent logins (group_sync.h) */
	enum store_status s = store_open_target(&ws->st, &t, STORE_SYNC_NORMAL, &err);
	if (s != ST_OK) {
		ws->st = NULL;
		/* the shared store out of reach refuses every login: loud */
		log_event(s == ST_UNREACHABLE ? LOG_CRIT : LOG_ERR, &c->log, "store-error", "%s: %s",
			  store_status_name(s), err.msg);
		return NULL;
	}
	if (store_insecure(ws->st))
		log_event(LOG_WARNING, &c->log, "store-insecure",
			  "pg_insecure = yes: the database link is not verified TLS 1.2+ (tests only)");
	ws->opens++;
	store_file_unchanged(ws, &c->cfg, true);
	return with_keys(c, ws->st);
}

void log_store_error(struct decision_ctx *c, struct store *st, enum store_status s)
{
	/* the shared store out of reach, or a missing or wrong key, refuses
	 * every login or every enrolled user: critical */
	log_event(s == ST_UNREACHABLE || s == ST_KEY ? LOG_CRIT : LOG_ERR, &c->log, "store-error",
		  "%s: %s", store_status_name(s), store_error(st));
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
