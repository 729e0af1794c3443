/* Purging: a user deactivated longer than grace_days loses every per-user
 * row of every schema part; the uid is tombstoned (never handed out
 * again) and a deletion report row says who, when, how much and by which
 * rule. Idle lockout rows (names that never logged in) are forgotten in
 * the same pass. */
#include <config.h>
#include "directory/lifecycle.h"
#include "store/lockout_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct victim {
	char *user, *reason;
	long long uid;
	int64_t deact;
};

struct victims {
	struct victim *v;
	size_t n;
	bool oom;
};

static int collect(const struct dir_row *r, void *ctx)
{
	struct victims *vs = ctx;
	struct victim *nv = realloc(vs->v, (vs->n + 1) * sizeof(*nv));
	if (!nv) {
		vs->oom = true;
		return 1;
	}
	vs->v = nv;
	nv[vs->n++] = (struct victim){ strdup(r->user), strdup(r->reason), r->uid,
				       r->deactivated_at };
	return 0;
}

static int purge_one(struct store *st, const struct sosafe_config *cfg,
		     const struct sync_opts *o, const struct victim *v, struct sync_result *res,
		     struct sosafe_err *e)
{
	long rows = 0;
	if (!v->user || !v->reason)
		return err_set(e, "out of memory");
	if (store_delete_user(st, v->user, &rows) != ST_OK)
		return err_set(e, "%s", store_error(st));
	struct deletion_row r = { .uid = v->uid, .deactivated_at = v->deact, .purged_at = o->now,
				  .records = rows };
	snprintf(r.user, sizeof(r.user), "%s", v->user);
	snprintf(r.rule, sizeof(r.rule), "grace_days=%u after deactivation (%s)", cfg->grace_days,
		 v->reason);
	snprintf(r.admin, sizeof(r.admin), "%s", o->admin ? o->admin : "-");
	if (dir_tombstone_add(st, v->uid, v->user, o->now) != ST_OK ||
	    dir_report_add(st, &r) != ST_OK)
		return err_set(e, "%s", store_error(st));
	char why[300];
	snprintf(why, sizeof(why), "%ld record(s) deleted; %s", rows, r.rule);
	if (sync_note(res, v->user, v->uid, "purged", why, e))
		return -1;
	return 0;
}

int purge_overdue(struct store *st, const struct sosafe_config *cfg, const struct sync_opts *o,
		  struct sync_result *res, struct sosafe_err *e)
{
	struct victims vs = { 0 };
	int64_t limit = o->now - (int64_t)cfg->grace_days * SOSAFE_DAY;
	int ret = 0;
	if (dir_users_deactivated_before(st, limit, collect, &vs) != ST_OK)
		ret = err_set(e, "%s", store_error(st));
	else if (vs.oom)
		ret = err_set(e, "out of memory");
	for (size_t i = 0; i < vs.n && !ret; i++)
		ret = purge_one(st, cfg, o, &vs.v[i], res, e);
	if (!ret) {
		struct lock_policy lp;
		lock_policy_from_conf(&lp, cfg, false, false);
		if (store_tally_prune_idle(st, &lp, o->now, &res->idle_pruned) != ST_OK)
			ret = err_set(e, "%s", store_error(st));
	}
	for (size_t i = 0; i < vs.n; i++) {
		free(vs.v[i].user);
		free(vs.v[i].reason);
	}
	free(vs.v);
	return ret;
}
