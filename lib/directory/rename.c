/* Renames by stable identity. An account keeps its directory identity
 * (objectSid in AD, entryUUID in OpenLDAP) when its name changes. A row
 * whose ext_id is the export user's but whose name is not is renamed, in
 * every per-user table of every schema part (TOTP secret, recovery codes,
 * lockout tally, reviews, lifecycle row), inside the sync transaction.
 * Rows a table holds for the new name while no directory user had it
 * (failed attempts of an unknown name) are dropped first. A rename onto a
 * name another lifecycle row holds waits until that row moves away in the
 * same pass (chains x->y, y->z); what is left (a swap, or a name another
 * account holds) is quarantined: those records change nothing. */
#include <config.h>
#include "directory/lifecycle.h"
#include "directory/parse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct rename {
	struct dir_user *u;         /* NULL once done */
	char *from;
	long long uid;
};

struct renames {
	struct rename *v;
	size_t n;
};

static void renames_free(struct renames *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->v[i].from);
	free(r->v);
}

/* The export users whose stable id a row of another name holds. */
static int find_renames(struct store *st, struct directory *d, struct renames *out,
			struct sosafe_err *e)
{
	for (size_t i = 0; i < d->nusers; i++) {
		struct dir_user *u = &d->users[i];
		char name[257];
		long long uid = 0;
		if (!u->ext_id || u->held)   /* a quarantined record moves nothing */
			continue;
		enum store_status s = dir_user_by_ext_id(st, u->ext_id, name, sizeof(name), &uid);
		if (s == ST_NOTFOUND)
			continue;
		if (s != ST_OK)
			return err_set(e, "%s", store_error(st));
		if (!strcmp(name, u->name))
			continue;
		struct rename *t = realloc(out->v, (out->n + 1) * sizeof(*t));
		if (!t)
			return err_set(e, "out of memory");
		out->v = t;
		if (!(t[out->n].from = strdup(name)))
			return err_set(e, "out of memory");
		t[out->n].u = u;
		t[out->n].uid = uid;
		out->n++;
	}
	return 0;
}

/* Move R if its new name is free now: 1 moved, 0 still taken, -1 error. */
static int try_rename(struct store *st, struct rename *r, struct sync_result *res,
		      struct sosafe_err *e)
{
	struct dir_state s;
	enum store_status ss = dir_user_get(st, r->u->name, &s);
	if (ss == ST_OK)
		return 0;
	if (ss != ST_NOTFOUND)
		return err_set(e, "%s", store_error(st));
	long rows = 0;
	if (dir_user_rename(st, r->from, r->u->name, &rows) != ST_OK)
		return err_set(e, "%s", store_error(st));
	if (sync_note_rename(res, r->u->name, r->uid, r->from, r->u->ext_id, rows, e))
		return -1;
	r->u = NULL;
	return 1;
}

int apply_renames(struct store *st, struct directory *d, struct sync_result *res,
		  struct sosafe_err *e)
{
	struct renames todo = { 0 };
	int ret = find_renames(st, d, &todo, e);
	size_t left = ret ? 0 : todo.n;
	bool progress = true;
	while (!ret && left && progress) {
		progress = false;
		for (size_t i = 0; i < todo.n && !ret; i++) {
			if (!todo.v[i].u)
				continue;
			int r = try_rename(st, &todo.v[i], res, e);
			if (r < 0)
				ret = -1;
			else if (r > 0) {
				left--;
				progress = true;
			}
		}
	}
	for (size_t i = 0; i < todo.n && !ret && left; i++) {
		const struct rename *r = &todo.v[i];
		if (r->u)
			ret = directory_hold(r->u, e, "line %u: renamed from '%s' (same stable id "
					     "%s), but the name is still held by another account "
					     "in the store; rename one of them in the directory "
					     "first", r->u->line, r->from, r->u->ext_id);
	}
	renames_free(&todo);
	return ret;
}
