/* The lifecycle transitions of one sync, user by user:
 *
 *   export user active, no row         -> new row, uid from the directory
 *                                         or allocated; published
 *   active, row deactivated            -> re-activated: same uid, same state
 *   not active (or absent), row active -> deactivated_at = now: still
 *                                         resolvable, sp_expire = 1
 * (purging after grace_days is purge.c). A record that cannot be applied
 * without harm (a local account's name or id, a purged user's uid, a uid
 * that changed) is quarantined: left out with the reason, its row and
 * snapshot entry as they were, and the rest of the export goes through. */
#include <config.h>
#include "directory/lifecycle.h"
#include "directory/parse.h"

#include <stdlib.h>
#include <string.h>

static int store_err(struct store *st, struct sosafe_err *e)
{
	return err_set(e, "%s", store_error(st));
}

/* A directory user may not shadow a local account. Only users who are or
 * were published count: a pull from AD lists every account of the domain,
 * and one that was never entitled here (say a service account called
 * "backup") is never published, so it must not stop the sync for all. */
int check_against_local(struct store *st, const struct sosafe_config *cfg,
			struct directory *d, const struct local *lp, const struct local *lg,
			int64_t now, struct sosafe_err *e)
{
	for (size_t i = 0; i < d->nusers; i++) {
		struct dir_user *u = &d->users[i];
		const char *why;
		struct dir_state s;
		if (!directory_user_active(d, u, cfg->entitled_group, now, &why)) {
			enum store_status ss = dir_user_get(st, u->name, &s);
			if (ss == ST_NOTFOUND)
				continue;
			if (ss != ST_OK)
				return store_err(st, e);
		}
		int r = 0;
		if (local_has_name(lp, u->name))
			r = directory_hold(u, e, "line %u: the name exists in the local passwd file; "
					   "a directory user may not shadow a local account", u->line);
		else if (u->uid != DIR_NO_ID && local_has_id(lp, u->uid))
			r = directory_hold(u, e, "line %u: uid %lld belongs to a local account",
					   u->line, u->uid);
		else if (u->gid != DIR_NO_ID && local_has_id(lg, u->gid))
			r = directory_hold(u, e, "line %u: gid %lld is a local group's (would grant "
					   "its rights)", u->line, u->gid);
		if (r)
			return -1;
	}
	return 0;
}

/* Does the stable id of U match the one stored for its row? Re-keys the row
 * when none was stored or ldap_attr_id now names another attribute; sets
 * *OTHER when another account took the name. */
static int check_ext_id(struct store *st, const struct dir_user *u, bool *other,
			struct sosafe_err *e)
{
	char have[256];
	*other = false;
	if (dir_user_ext_id(st, u->name, have, sizeof(have)) != ST_OK)
		return store_err(st, e);
	const char *hc = strchr(have, ':'), *uc = strchr(u->ext_id, ':');
	bool same_kind = (!hc && !uc) ||
			 (hc && uc && hc - have == uc - u->ext_id &&
			  !strncmp(have, u->ext_id, (size_t)(hc - have)));
	if (!have[0] || !same_kind) {
		if (dir_user_set_ext_id(st, u->name, u->ext_id) != ST_OK)
			return store_err(st, e);
	} else if (strcmp(have, u->ext_id)) {
		*other = true;
	}
	return 0;
}

/* U has a row S: keep its gid current, (re)activate or deactivate it. */
static int update_known(struct store *st, struct dir_user *u, const struct dir_state *s,
			bool active, const char *why, const struct sync_opts *o,
			struct sync_result *res, struct sosafe_err *e)
{
	if (u->uid != DIR_NO_ID && u->uid != s->uid)
		return directory_hold(u, e, "line %u: uidNumber changed from %lld to %lld; a "
				      "user's uid never changes", u->line, s->uid, u->uid);
	if (u->gid != DIR_NO_ID && dir_user_set_gid(st, u->name, u->gid) != ST_OK)
		return store_err(st, e);
	if (active && s->deactivated_at) {
		if (dir_user_reactivate(st, u->name) != ST_OK)
			return store_err(st, e);
		return sync_note(res, u->name, s->uid, "reactivated", "active in the directory again",
				 e);
	}
	if (!active && !s->deactivated_at) {
		if (dir_user_deactivate(st, u->name, o->now, why) != ST_OK)
			return store_err(st, e);
		return sync_note(res, u->name, s->uid, "deactivated", why, e);
	}
	return 0;
}

/* U is active and has no row: a new user. */
static int add_new(struct store *st, const struct sosafe_config *cfg, struct dir_user *u,
		   const struct local *lp, const struct local *lg, const struct idset *ids,
		   const struct sync_opts *o, struct sync_result *res, struct sosafe_err *e)
{
	long long uid = u->uid;
	if (uid != DIR_NO_ID) {
		if (dir_uid_tombstoned(st, uid))
			return directory_hold(u, e, "line %u: uid %lld belonged to a purged user; "
					      "uids are never reused (give the account a new "
					      "uidNumber)", u->line, uid);
		if (dir_id_taken(st, uid))
			return directory_hold(u, e, "line %u: uid %lld is held by another directory "
					      "user", u->line, uid);
	} else if (uid_allocate(st, cfg, lp, lg, ids, &uid, e)) {
		return -1;
	}
	long long gid = u->gid != DIR_NO_ID ? u->gid : uid;
	if (u->gid == DIR_NO_ID && local_has_id(lg, gid))
		return directory_hold(u, e, "line %u: uid %lld (also its private group) is a "
				      "local group's gid", u->line, uid);
	if (dir_user_insert(st, u->name, uid, gid, o->now, u->ext_id) != ST_OK)
		return store_err(st, e);
	return sync_note(res, u->name, uid, "new",
			 u->uid == DIR_NO_ID ? "uid allocated" : "uid from the directory", e);
}

/* U has a row S: the stable id decides whether it is still the same account. */
static int apply_known(struct store *st, struct dir_user *u, const struct dir_state *s,
		       bool active, const char *why, const struct sync_opts *o,
		       struct sync_result *res, struct sosafe_err *e)
{
	bool other = false;
	if (u->ext_id && check_ext_id(st, u, &other, e))
		return -1;
	if (other) {
		/* another account took the name: the old one's data (secret,
		 * lockout) must not pass to it. The row stays deactivated until
		 * purged after grace_days; then the new account is a new user. */
		struct dir_user stand_in = { .name = u->name, .uid = DIR_NO_ID, .gid = DIR_NO_ID,
					     .line = u->line };
		return update_known(st, &stand_in, s, false,
				    "the name now belongs to another directory account (stable id "
				    "changed); the old account's data stays until it is purged",
				    o, res, e);
	}
	return update_known(st, u, s, active, why, o, res, e);
}

int apply_user(struct store *st, const struct sosafe_config *cfg, const struct directory *d,
	       struct dir_user *u, const struct local *lp, const struct local *lg,
	       const struct idset *ids, const struct sync_opts *o, struct sync_result *res,
	       struct sosafe_err *e)
{
	const char *why = "";
	bool active = directory_user_active(d, u, cfg->entitled_group, o->now, &why);
	struct dir_state s;
	enum store_status ss = dir_user_get(st, u->name, &s);
	if (ss != ST_OK && ss != ST_NOTFOUND)
		return store_err(st, e);
	if (ss == ST_NOTFOUND && !active)
		return 0;   /* never active here: not published, nothing to quarantine */
	int r = 0;
	if (!u->held) {
		r = ss == ST_NOTFOUND ? add_new(st, cfg, u, lp, lg, ids, o, res, e)
				      : apply_known(st, u, &s, active, why, o, res, e);
	} else if (ss == ST_OK && !active) {
		/* deactivating grants nothing: a disabled account is disabled here
		 * whatever else its record holds */
		struct dir_user stand_in = { .name = u->name, .uid = DIR_NO_ID, .gid = DIR_NO_ID,
					     .line = u->line };
		r = update_known(st, &stand_in, &s, false, why, o, res, e);
	}
	if (r || !u->held)
		return r;
	return sync_note(res, u->name, ss == ST_OK ? s.uid : u->uid, "quarantined", u->held, e);
}


struct absent {
	const struct export_index *x;
	struct local gone;
	bool oom;
};

static int note_absent(const struct dir_row *r, void *ctx)
{
	struct absent *a = ctx;
	if (export_find(a->x, r->user) || !local_add(&a->gone, r->user, r->uid))
		return 0;
	a->oom = true;
	return 1;
}

/* Rows whose user is missing from the export are deactivated. */
int deactivate_absent(struct store *st, const struct directory *d, const struct sync_opts *o,
		      struct sync_result *res, struct sosafe_err *e)
{
	struct export_index x;
	if (export_index_build(&x, d, e))
		return -1;
	struct absent a = { .x = &x };
	int ret = 0;
	if (dir_users_active_foreach(st, note_absent, &a) != ST_OK)
		ret = store_err(st, e);
	else if (a.oom)
		ret = err_set(e, "out of memory");
	export_index_free(&x);
	for (size_t i = 0; i < a.gone.nnames && !ret; i++) {
		const char *why = "absent from the directory export";
		if (dir_user_deactivate(st, a.gone.names[i], o->now, why) != ST_OK)
			ret = store_err(st, e);
		else if (sync_note(res, a.gone.names[i], a.gone.ids[i], "deactivated", why, e))
			ret = -1;
	}
	local_free(&a.gone);
	return ret;
}
