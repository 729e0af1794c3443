/* The account phase: whatever authenticated the user (password, ssh public
 * key, GSSAPI), a locked account is refused, and a directory user is
 * refused
 *   - when deactivated in the directory (also shown as sp_expire = 1),
 *   - when the snapshot is older than max_snapshot_age (the sync broke:
 *     fail closed rather than serve a stale "active"),
 *   - when inactive_days > 0 and the last successful login (or, for one
 *     who never logged in, the first time the directory listed them) is
 *     older than that.
 * Local /etc/passwd accounts are not directory users and pass untouched,
 * unless inactive_local_days > 0: then a local account other than root and
 * admin_group members is refused when its last login recorded here is older
 * than that (one never recorded has no evidence against it and passes).
 * A user the phase lets in for a privileged caller (sshd, login, su) has
 * logged in, whatever the method: the time is recorded as the last success,
 * so that a key-only user is not taken for an inactive one. */
#include <config.h>
#include "handlers.h"

#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/util.h"
#include "snapshot/snapshot.h"
#include "store/lockout_store.h"

/* A login recorded this recently needs no second write: the auth phase of
 * the same login has just recorded it (authsucc, otp). */
#define LAST_SUCCESS_SLACK 60

enum dir_result { DIR_OK, DIR_DENY, DIR_EXPIRED, DIR_UNAVAILABLE };

/* Is USER in the local passwd file? (Read as a file: NSS would answer
 * from our own snapshot too.) */
static bool local_user(const char *user)
{
	FILE *f = fopen("/etc/passwd", "re");
	struct passwd pwbuf, *p = NULL;
	char buf[4096];
	bool found = false;
	if (!f)
		return false;
	while (!found && fgetpwent_r(f, &pwbuf, buf, sizeof(buf), &p) == 0)
		found = !strcmp(p->pw_name, user);
	fclose(f);
	return found;
}

static void fmt_day(int64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;
	if (!gmtime_r(&tt, &tm) || !strftime(buf, len, "%Y-%m-%d", &tm))
		snprintf(buf, len, "%lld", (long long)t);
}

/* Inactivity: the last success, else SINCE_DEFAULT (the day the directory
 * first listed the user; 0 for local accounts: no evidence). KEY names the
 * rule's setting of DAYS in the log line. */
static enum dir_result check_inactive(struct decision_ctx *c, int64_t since_default, unsigned days,
				      const char *key, int64_t now)
{
	_cleanup_store_ struct store *st = decision_store(c);
	if (!st)
		return DIR_UNAVAILABLE;
	struct tally t;
	enum store_status ss = store_tally_get(st, c->req->user, &t);
	if (ss != ST_OK && ss != ST_NOTFOUND) {
		log_store_error(c, st, ss);
		return DIR_UNAVAILABLE;
	}
	int64_t since = ss == ST_OK && t.last_success > 0 ? t.last_success : since_default;
	if (since > 0 && now - since > (int64_t)days * SOSAFE_DAY) {
		char day[32];
		fmt_day(since, day, sizeof(day));
		log_event(LOG_NOTICE, &c->log, "deny-inactive", "no successful login since %s (%s %u)",
			  day, key, days);
		return DIR_EXPIRED;
	}
	return DIR_OK;
}

/* Deactivated, stale snapshot, inactivity. */
static enum dir_result account_directory(struct decision_ctx *c)
{
	const char *user = c->req->user;
	char path[4200];
	struct sosafe_err why;
	struct snap pw_snap, sp_snap;
	struct snap_pw pw;
	struct snap_sp sp;

	snprintf(path, sizeof(path), "%s/%s", c->cfg.state_dir, SNAP_PASSWD_FILE);
	enum snap_status s = snap_open(&pw_snap, path, SNAP_KIND_PASSWD, &why);
	if (s == SNAP_MISSING)
		return DIR_OK;   /* no directory on this host: nobody is a directory user */
	if (s != SNAP_OK) {
		if (local_user(user))
			return DIR_OK;
		log_event(LOG_ERR, &c->log, "deny-directory",
			  "snapshot unusable, directory users refused: %s", why.msg);
		return DIR_DENY;
	}
	s = snap_pw_by_name(&pw_snap, user, &pw);
	int64_t generated_at = pw_snap.hdr.generated_at;
	snap_close(&pw_snap);
	if (s == SNAP_NOTFOUND)
		return DIR_OK;
	if (s != SNAP_OK) {
		log_event(LOG_ERR, &c->log, "deny-directory", "snapshot record damaged: %s", path);
		return DIR_DENY;
	}
	if (local_user(user))
		return DIR_OK;   /* sosafectl sync refuses this; be safe anyway */

	int64_t now = time(NULL);
	if (now - generated_at > (int64_t)c->cfg.max_snapshot_age) {
		log_event(LOG_WARNING, &c->log, "deny-stale",
			  "directory snapshot is %lld s old (max_snapshot_age %u s): the directory "
			  "sync has not run; run sosafectl sync", (long long)(now - generated_at),
			  c->cfg.max_snapshot_age);
		return DIR_DENY;
	}

	snprintf(path, sizeof(path), "%s/%s", c->cfg.state_dir, SNAP_SHADOW_FILE);
	s = snap_open(&sp_snap, path, SNAP_KIND_SHADOW, &why);
	if (s != SNAP_OK) {
		log_event(LOG_ERR, &c->log, "deny-directory",
			  "cannot read the directory status: %s", why.msg);
		return DIR_DENY;
	}
	s = snap_sp_by_name(&sp_snap, user, &sp);
	snap_close(&sp_snap);
	if (s != SNAP_OK) {
		log_event(LOG_ERR, &c->log, "deny-directory",
			  "user in passwd.snap but not in shadow.snap (sync interrupted?)");
		return DIR_DENY;
	}
	if ((sp.flags & SNAP_SP_DEACTIVATED) || sp.expire == 1) {
		char day[32];
		fmt_day(sp.deactivated_at, day, sizeof(day));
		log_event(LOG_NOTICE, &c->log, "deny-deactivated",
			  "deactivated in the directory since %s", day);
		return DIR_EXPIRED;
	}
	if (c->cfg.inactive_days > 0)
		return check_inactive(c, sp.first_seen, c->cfg.inactive_days, "inactive_days", now);
	return DIR_OK;
}

/* The lock, and the login recorded, in one short write transaction. */
static enum sd_verdict account_lock(struct decision_ctx *c)
{
	_cleanup_store_ struct store *st = decision_store(c);
	if (!st)
		return SD_UNAVAILABLE;
	enum store_status s = store_begin(st);
	if (s != ST_OK) {
		log_store_error(c, st, s);
		return SD_UNAVAILABLE;
	}
	struct tally t;
	s = store_tally_get(st, c->req->user, &t);
	if (s != ST_OK && s != ST_NOTFOUND) {
		log_store_error(c, st, s);
		store_rollback(st);
		return SD_UNAVAILABLE;
	}
	int64_t now = time(NULL);
	if (s == ST_OK && lockout_is_locked(&c->policy, &t, now)) {
		store_rollback(st);
		log_event(LOG_NOTICE, &c->log, "deny-locked", "account phase: account is locked");
		tell_locked(c, &t, now);
		return SD_DENY;
	}
	/* an unprivileged peer (a screen locker, or the user's own program)
	 * is no login: it must not keep an idle account alive */
	if (!c->privileged ||
	    (now - t.last_success < LAST_SUCCESS_SLACK && t.last_success <= now)) {
		store_rollback(st);
		return SD_ALLOW;
	}
	t.last_success = now;
	s = store_tally_put(st, c->req->user, &t);
	if (s == ST_OK)
		s = store_commit(st);
	if (s != ST_OK) {
		log_store_error(c, st, s);
		store_rollback(st);
		return SD_UNAVAILABLE;
	}
	return SD_ALLOW;
}

void handle_account(struct decision_ctx *c)
{
	if (!c->user_valid) {
		log_bad_user(c);
		c->rep->verdict = SD_DENY;
		return;
	}
	enum dir_result r = account_directory(c);
	/* the same rule for local accounts, as an option; root and admins are
	 * exempt as from the lockout (they must be able to repair the host) */
	if (r == DIR_OK && c->cfg.inactive_local_days > 0 && !c->is_root && !c->is_admin &&
	    local_user(c->req->user))
		r = check_inactive(c, 0, c->cfg.inactive_local_days, "inactive_local_days",
				   time(NULL));
	switch (r) {
	case DIR_OK:
		break;
	case DIR_DENY:
		c->rep->verdict = SD_DENY;
		return;
	case DIR_EXPIRED:
		c->rep->verdict = SD_EXPIRED;
		return;
	case DIR_UNAVAILABLE:
		c->rep->verdict = SD_UNAVAILABLE;
		return;
	}
	c->rep->verdict = account_lock(c);
}
