/* The account phase: whatever authenticated the user (password, ssh public
 * key, GSSAPI), a locked account is refused, and a directory user
 * (R3, R4, R5) is refused
 *   - when deactivated in the directory (also shown as sp_expire = 1),
 *   - when the snapshot is older than max_snapshot_age (the sync broke:
 *     fail closed rather than serve a stale "active"),
 *   - when inactive_days > 0 and the last successful login (or, for one
 *     who never logged in, the first time the directory listed them) is
 *     older than that.
 * Local /etc/passwd accounts are not directory users and pass untouched. */
#include <config.h>
#include "steps.h"

#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/util.h"
#include "snapshot/snapshot.h"


/* Is USER in the local passwd file? (Read as a file: NSS would answer
 * from our own snapshot too.) */
static bool local_user(const char *user)
{
	FILE *f = fopen("/etc/passwd", "re");
	struct passwd *p;
	bool found = false;
	if (!f)
		return false;
	while (!found && (p = fgetpwent(f)))
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

/* Deactivated, stale snapshot, inactivity. */
static int account_directory(struct sosafe_ctx *c)
{
	char path[4200], why[300];
	struct snap pw_snap, sp_snap;
	struct snap_pw pw;
	struct snap_sp sp;
	int rc = PAM_SUCCESS;

	snprintf(path, sizeof(path), "%s/%s", c->cfg.state_dir, SNAP_PASSWD_FILE);
	enum snap_status s = snap_open(&pw_snap, path, SNAP_KIND_PASSWD, why, sizeof(why));
	if (s == SNAP_MISSING)
		return PAM_SUCCESS;   /* no directory on this host: nobody is a directory user */
	if (s != SNAP_OK) {
		if (local_user(c->user))
			return PAM_SUCCESS;
		log_event(LOG_ERR, &c->log, "deny-directory",
			  "snapshot unusable, directory users refused: %s", why);
		return PAM_PERM_DENIED;
	}
	s = snap_pw_by_name(&pw_snap, c->user, &pw);
	int64_t generated_at = pw_snap.hdr.generated_at;
	snap_close(&pw_snap);
	if (s == SNAP_NOTFOUND)
		return PAM_SUCCESS;
	if (s != SNAP_OK) {
		log_event(LOG_ERR, &c->log, "deny-directory", "snapshot record damaged: %s", path);
		return PAM_PERM_DENIED;
	}
	if (local_user(c->user))
		return PAM_SUCCESS;   /* sosafectl sync refuses this; be safe anyway */

	int64_t now = time(NULL);
	if (now - generated_at > (int64_t)c->cfg.max_snapshot_age) {
		log_event(LOG_WARNING, &c->log, "deny-stale",
			  "directory snapshot is %lld s old (max_snapshot_age %u s): the directory "
			  "sync has not run; run sosafectl sync", (long long)(now - generated_at),
			  c->cfg.max_snapshot_age);
		return PAM_PERM_DENIED;
	}

	snprintf(path, sizeof(path), "%s/%s", c->cfg.state_dir, SNAP_SHADOW_FILE);
	s = snap_open(&sp_snap, path, SNAP_KIND_SHADOW, why, sizeof(why));
	if (s != SNAP_OK) {
		log_event(LOG_ERR, &c->log, "deny-directory",
			  "cannot read the directory status: %s", why);
		return PAM_PERM_DENIED;
	}
	s = snap_sp_by_name(&sp_snap, c->user, &sp);
	snap_close(&sp_snap);
	if (s != SNAP_OK) {
		log_event(LOG_ERR, &c->log, "deny-directory",
			  "user in passwd.snap but not in shadow.snap (sync interrupted?)");
		return PAM_PERM_DENIED;
	}
	if ((sp.flags & SNAP_SP_DEACTIVATED) || sp.expire == 1) {
		char day[32];
		fmt_day(sp.deactivated_at, day, sizeof(day));
		log_event(LOG_NOTICE, &c->log, "deny-deactivated",
			  "deactivated in the directory since %s", day);
		return PAM_ACCT_EXPIRED;
	}

	if (c->cfg.inactive_days > 0) {
		_cleanup_store_ struct store *st = open_store_or_log(c, true);
		if (!st)
			return PAM_PERM_DENIED;
		struct tally t;
		enum store_status ss = store_tally_get(st, c->user, &t);
		if (ss != ST_OK && ss != ST_NOTFOUND) {
			log_event(LOG_ERR, &c->log, "store-error", "%s: %s", store_status_name(ss),
				  store_error(st));
			return PAM_PERM_DENIED;
		}
		int64_t since = t.last_success > 0 ? t.last_success : sp.first_seen;
		if (since > 0 && now - since > (int64_t)c->cfg.inactive_days * SOSAFE_DAY) {
			char day[32];
			fmt_day(since, day, sizeof(day));
			log_event(LOG_NOTICE, &c->log, "deny-inactive",
				  "no successful login since %s (inactive_days %u)", day,
				  c->cfg.inactive_days);
			rc = PAM_ACCT_EXPIRED;
		}
	}
	return rc;
}

int step_account(struct sosafe_ctx *c)
{
	if (!c->user_valid) {
		log_event(LOG_NOTICE, &c->log, "bad-user", "user name refused (invalid characters or length)");
		return PAM_PERM_DENIED;
	}
	int dir_rc = account_directory(c);   /* deactivated, stale, inactive */
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
