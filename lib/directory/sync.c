/* The two lifecycle runs sosafectl drives, each all or nothing in one
 * store transaction together with the snapshot write (a refused export
 * changes nothing; the clock is injected):
 *
 *   directory_sync:  purge overdue users, apply renames, each export
 *                    user's transition, deactivate the absent, publish
 *                    (a record that cannot be applied is quarantined, see
 *                    transitions.c; only a bad export as a whole refuses);
 *   directory_purge: purge overdue users and republish the current
 *                    snapshot without them.
 *
 * Purging runs first, so a user who comes back after the grace period is
 * a new user with a new uid and none of the old data. */
#include <config.h>
#include "directory/lifecycle.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "snapshot/snapshot.h"

static int in_tx_hook(struct store *st, const struct sync_opts *o, const struct sync_result *res,
		      struct sosafe_err *e)
{
	if (!o->dry_run && o->in_tx && o->in_tx(st, res, o->in_tx_ctx))
		return err_set(e, "audit records not written (see syslog)");
	return 0;
}

/* Commit (or, for a dry run, roll back) and tell nscd. */
static int end_tx(struct store *st, const struct sync_opts *o, bool changed, struct sosafe_err *e)
{
	if (o->dry_run) {
		store_rollback(st);
		return 0;
	}
	if (store_commit(st) != ST_OK)
		return err_set(e, "%s", store_error(st));
	if (changed)
		directory_invalidate_nscd();
	return 0;
}

static int sync_in_tx(struct store *st, const struct sosafe_config *cfg, struct directory *d,
		      const struct directory *prev, const struct local *lp,
		      const struct local *lg, const struct idset *ids, const struct sync_opts *o,
		      struct sync_result *res, struct sosafe_err *e)
{
	if (purge_overdue(st, cfg, o, res, e) || apply_renames(st, d, res, e))
		return -1;
	for (size_t i = 0; i < d->nusers; i++)
		if (apply_user(st, cfg, d, &d->users[i], lp, lg, ids, o, res, e))
			return -1;
	if (deactivate_absent(st, d, o, res, e) || in_tx_hook(st, o, res, e))
		return -1;
	return publish(st, cfg, d, prev, lg, o, o->now, res, e);
}

/* The snapshot before, for the fields of quarantined users; NULL when
 * there is none or it cannot be read (they get the defaults then). */
static struct directory *previous_snapshot(const struct sosafe_config *cfg)
{
	struct directory *prev = calloc(1, sizeof(*prev));
	struct sosafe_err ignored;
	int64_t at;
	if (prev && snapshot_load(cfg->state_dir, prev, &at, &ignored)) {
		free(prev);
		prev = NULL;
	}
	return prev;
}

/* The configuration with entitled_group as the export names it (see
 * directory_entitled). */
static int entitled_config(const struct directory *d, const struct sosafe_config *cfg,
			   struct sosafe_config *out, struct sosafe_err *e)
{
	const char *name;
	if (!cfg->entitled_group[0] && !(d->by_dn && cfg->entitled_group_dn[0]))
		return err_set(e, "entitled_group is not set in the configuration");
	if (directory_entitled(d, cfg, &name, e))
		return -1;
	*out = *cfg;
	snprintf(out->entitled_group, sizeof(out->entitled_group), "%s", name);
	return 0;
}

int directory_sync(struct store *st, const struct sosafe_config *cfg_in, struct directory *d,
		   const struct sync_opts *o, struct sync_result *res, struct sosafe_err *e)
{
	struct local lp = { 0 }, lg = { 0 };
	struct idset ids = { 0 };
	struct directory *prev = NULL;
	int ret = -1;
	memset(res, 0, sizeof(*res));
	if (d->nusers == 0)
		return err_set(e, "the export holds no user at all; refusing to deactivate everyone "
			       "(check the export)");
	struct sosafe_config *cfg = malloc(sizeof(*cfg));
	if (!cfg)
		return err_set(e, "out of memory");
	if (entitled_config(d, cfg_in, cfg, e) ||
	    local_load(&lp, o->passwd_path ? o->passwd_path : "/etc/passwd", false, e) ||
	    local_load(&lg, o->group_path ? o->group_path : "/etc/group", true, e) ||
	    check_against_local(st, cfg, d, &lp, &lg, o->now, e) ||
	    idset_from_export(&ids, d, e))
		goto out;
	if (store_begin(st) != ST_OK) {
		err_set(e, "%s", store_error(st));
		goto out;
	}
	prev = previous_snapshot(cfg);
	if (sync_in_tx(st, cfg, d, prev, &lp, &lg, &ids, o, res, e)) {
		store_rollback(st);
		goto out;
	}
	ret = end_tx(st, o, true, e);
out:
	if (prev)
		directory_free(prev);
	free(prev);
	free(cfg);
	local_free(&lp);
	local_free(&lg);
	idset_free(&ids);
	if (ret) /* all or nothing: no half list of changes for the caller to leak */
		sync_result_free(res);
	return ret;
}

/* Does the snapshot still list a user the store no longer has? On a
 * shared store another host's purge removed the row: this host publishes
 * again without the user, as if it had purged it itself. */
static bool snapshot_lists_purged(struct store *st, const struct directory *d)
{
	for (size_t i = 0; i < d->nusers; i++) {
		struct dir_state ds;
		if (dir_user_get(st, d->users[i].name, &ds) == ST_NOTFOUND)
			return true;
	}
	return false;
}

/* The current snapshot is the source of the published data: it is read,
 * the purged users are left out, and it is written again with its original
 * generation time (a purge is no sync: staleness must still show). */
static int purge_in_tx(struct store *st, const struct sosafe_config *cfg,
		       const struct sync_opts *o, struct directory *d, bool no_snapshot,
		       const char *path, int64_t generated_at, struct sync_result *res,
		       struct sosafe_err *e)
{
	struct local lg = { 0 };
	if (purge_overdue(st, cfg, o, res, e))
		return -1;
	if (res->nchanges == 0 && (no_snapshot || !snapshot_lists_purged(st, d)))
		return in_tx_hook(st, o, res, e);
	if (no_snapshot)
		return err_set(e, "the snapshot %s is missing: run 'sosafectl sync' first", path);
	/* groups from the snapshot keep their members (purged users drop out
	 * because they are no longer published); only the user private
	 * groups are rebuilt */
	for (size_t i = 0; i < d->ngroups; i++) {
		bool upg = false;
		for (size_t k = 0; k < d->nusers && !upg; k++)
			upg = d->users[k].gid == d->groups[i].gid &&
			      !strcmp(d->users[k].name, d->groups[i].name);
		if (upg)
			d->groups[i].gid = DIR_NO_ID;
	}
	if (in_tx_hook(st, o, res, e))
		return -1;
	return publish(st, cfg, d, NULL, &lg, o, generated_at, res, e);
}

int directory_purge(struct store *st, const struct sosafe_config *cfg, const struct sync_opts *o,
		    struct sync_result *res, struct sosafe_err *e)
{
	struct directory d;
	int64_t generated_at = 0;
	int ret = -1;
	memset(res, 0, sizeof(*res));
	memset(&d, 0, sizeof(d));
	/* a host without directory sync still forgets idle lockout rows */
	char path[4096];
	struct stat sb;
	snprintf(path, sizeof(path), "%s/%s", cfg->state_dir, SNAP_PASSWD_FILE);
	bool no_snapshot = lstat(path, &sb) != 0 && errno == ENOENT;
	if (!no_snapshot && snapshot_load(cfg->state_dir, &d, &generated_at, e))
		return -1;
	if (store_begin(st) != ST_OK) {
		err_set(e, "%s", store_error(st));
		goto out;
	}
	if (purge_in_tx(st, cfg, o, &d, no_snapshot, path, generated_at, res, e)) {
		store_rollback(st);
		goto out;
	}
	/* another host's purge may have changed what this one publishes */
	ret = end_tx(st, o, true, e);
out:
	directory_free(&d);
	if (ret)
		sync_result_free(res);
	return ret;
}
