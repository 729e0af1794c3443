/* Publishing: every lifecycle row becomes a passwd/shadow entry of the
 * snapshot nss_sosafe serves (deactivated users stay resolvable, with
 * sp_expire = 1), directory groups with a gidNumber and a safe name get
 * their active members, and users whose gid is their uid get a private
 * group. The passwd fields come from the export; the serial counts up.
 * A quarantined user keeps what the snapshot before said (fields and
 * group memberships): nothing of the record that was left out shows. */
#include <config.h>
#include "directory/lifecycle.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snapshot/snapshot_write.h"

struct build {
	struct snap_user *users;
	size_t nusers;
	struct snap_group *groups;
	size_t ngroups;
	char **strs;          /* everything allocated for the snapshot */
	size_t nstrs;
	const char ***members;
	size_t nmembers;
};

static const char *keep(struct build *b, char *s)
{
	if (!s)
		return NULL;
	char **n = realloc(b->strs, (b->nstrs + 1) * sizeof(*n));
	if (!n) {
		free(s);
		return NULL;
	}
	b->strs = n;
	b->strs[b->nstrs++] = s;
	return s;
}

static void build_free(struct build *b)
{
	for (size_t i = 0; i < b->nstrs; i++)
		free(b->strs[i]);
	for (size_t i = 0; i < b->nmembers; i++)
		free(b->members[i]);
	free(b->strs);
	free(b->members);
	free(b->users);
	free(b->groups);
	memset(b, 0, sizeof(*b));
}

static int cmp_snapuser(const void *a, const void *b)
{
	return strcmp(((const struct snap_user *)a)->name, ((const struct snap_user *)b)->name);
}

static const struct snap_user *find_published(const struct build *b, const char *name)
{
	struct snap_user key = { .name = name };
	if (!b->nusers)
		return NULL;
	return bsearch(&key, b->users, b->nusers, sizeof(key), cmp_snapuser);
}

/* Where the published fields and groups of the users come from. */
struct sources {
	const struct directory *d;
	struct export_index x;       /* the export by name */
	const struct directory *prev;
	struct export_index px;      /* the snapshot before by name (quarantined users) */
};

/* The record that gives NAME's fields: the export's, or for a quarantined
 * user the previous snapshot's (NULL: the defaults). */
static const struct dir_user *source_of(const struct sources *src, const char *name)
{
	const struct dir_user *e = export_find(&src->x, name);
	if (e && e->held)
		e = src->prev ? export_find(&src->px, name) : NULL;
	return e;
}

struct add_ctx {
	struct build *b;
	const struct sources *src;
	int64_t now;
	struct sync_result *res;
	bool oom;
};

/* One row (they come sorted by name, so b->users stays sorted). */
static int add_user(const struct dir_row *r, void *vctx)
{
	struct add_ctx *c = vctx;
	struct build *b = c->b;
	struct snap_user *nu = realloc(b->users, (b->nusers + 1) * sizeof(*nu));
	if (!nu) {
		c->oom = true;
		return 1;
	}
	b->users = nu;
	struct snap_user *u = &nu[b->nusers];
	memset(u, 0, sizeof(*u));
	u->name = keep(b, strdup(r->user));
	if (!u->name) {
		c->oom = true;
		return 1;
	}
	u->uid = (uint32_t)r->uid;
	u->gid = (uint32_t)r->gid;
	u->first_seen = r->first_seen;
	u->deactivated_at = r->deactivated_at;
	u->deactivated = u->deactivated_at != 0;
	u->lstchg = c->now / SOSAFE_DAY;
	const struct dir_user *e = source_of(c->src, u->name);
	char *home = NULL;
	if (e && e->home)
		home = strdup(e->home);
	else if (asprintf(&home, "/home/%s", u->name) < 0)
		home = NULL;
	u->dir = keep(b, home);
	u->shell = keep(b, strdup(e && e->shell ? e->shell : "/bin/bash"));
	u->gecos = keep(b, strdup(e && e->gecos ? e->gecos : ""));
	u->pwdp = "*";
	if (!u->dir || !u->shell || !u->gecos) {
		c->oom = true;
		return 1;
	}
	b->nusers++;
	if (u->deactivated)
		c->res->deactivated++;
	else
		c->res->active++;
	return 0;
}

static int add_users(struct store *st, const struct sources *src, int64_t now,
		     struct build *b, struct sync_result *res, struct sosafe_err *e)
{
	struct add_ctx c = { b, src, now, res, false };
	int ret = 0;
	if (dir_users_foreach(st, add_user, &c) != ST_OK)
		ret = err_set(e, "%s", store_error(st));
	else if (c.oom)
		ret = err_set(e, "out of memory");
	if (!ret)
		res->published = b->nusers;
	return ret;
}

/* Was quarantined user NAME a member of group GROUP in the snapshot before? */
static bool was_member(const struct directory *prev, const char *group, const char *name)
{
	for (size_t g = 0; prev && g < prev->ngroups; g++) {
		if (strcmp(prev->groups[g].name, group))
			continue;
		for (size_t k = 0; k < prev->groups[g].nmembers; k++)
			if (!strcmp(prev->groups[g].members[k], name))
				return true;
	}
	return false;
}

/* Does the export make NAME a member of DG (USER_SAYS: its memberOf does)?
 * A quarantined user's membership is the one of the snapshot before. */
static bool member_of(const struct sources *src, const struct dir_group *dg, const char *name,
		      bool user_says)
{
	const struct dir_user *e = export_find(&src->x, name);
	if (e && e->held)
		return was_member(src->prev, dg->name, name);
	return user_says;
}

/* The published active members of DG, named by either side (member of the
 * group, memberOf of the user), sorted, each once. */
static int group_members(const struct sources *src, const struct dir_group *dg,
			 struct build *b, uint32_t *count, struct sosafe_err *e)
{
	const struct directory *d = src->d;
	const char **mem = calloc(d->nusers + dg->nmembers + 1, sizeof(*mem));
	if (!mem)
		return err_set(e, "out of memory");
	b->members[b->nmembers++] = mem;
	uint32_t n = 0;
	for (size_t k = 0; k < dg->nmembers; k++) {
		const struct snap_user *pu = find_published(b, dg->members[k]);
		if (pu && !pu->deactivated && member_of(src, dg, pu->name, true))
			mem[n++] = pu->name;
	}
	for (size_t i = 0; i < d->nusers; i++) {
		const struct dir_user *du = &d->users[i];
		bool says = false;
		for (size_t k = 0; k < du->ngroups && !says; k++)
			says = !strcmp(du->groups[k], dg->name);
		if (!says && !du->held)
			continue;
		const struct snap_user *pu = find_published(b, du->name);
		if (pu && !pu->deactivated && member_of(src, dg, du->name, says))
			mem[n++] = pu->name;
	}
	qsort(mem, n, sizeof(*mem), cmp_str);
	uint32_t u = 0;
	for (uint32_t m = 0; m < n; m++)
		if (u == 0 || strcmp(mem[u - 1], mem[m]))
			mem[u++] = mem[m];
	*count = u;
	return 0;
}

static int add_groups(const struct sources *src, const struct local *lg, struct build *b,
		      struct sync_result *res, struct sosafe_err *e)
{
	const struct directory *d = src->d;
	b->groups = calloc(d->ngroups + b->nusers + 1, sizeof(*b->groups));
	b->members = calloc(d->ngroups + 1, sizeof(*b->members));
	if (!b->groups || !b->members)
		return err_set(e, "out of memory");
	b->ngroups = b->nmembers = 0;
	for (size_t g = 0; g < d->ngroups; g++) {
		const struct dir_group *dg = &d->groups[g];
		if (dg->gid == DIR_NO_ID || !directory_name_ok(dg->name))
			continue;
		if (local_has_name(lg, dg->name))
			return err_set(e, "line %u: group '%s' exists in the local group file",
				       dg->line, dg->name);
		if (local_has_id(lg, dg->gid))
			return err_set(e, "line %u: gid %lld of group '%s' is a local group's",
				       dg->line, dg->gid, dg->name);
		uint32_t n = 0;
		if (group_members(src, dg, b, &n, e))
			return -1;
		b->groups[b->ngroups++] = (struct snap_group){ dg->name, (uint32_t)dg->gid,
							       b->members[b->nmembers - 1], n };
	}
	size_t ndir = b->ngroups;
	for (size_t i = 0; i < b->nusers; i++) {
		const struct snap_user *u = &b->users[i];
		bool have = false;
		for (size_t g = 0; g < ndir && !have; g++)
			have = b->groups[g].gid == u->gid || !strcmp(b->groups[g].name, u->name);
		if (have || u->gid != u->uid)
			continue;
		if (local_has_name(lg, u->name) || local_has_id(lg, u->gid))
			return err_set(e, "user private group '%s' (%u) collides with a local group",
				       u->name, u->gid);
		b->groups[b->ngroups++] = (struct snap_group){ u->name, u->gid, NULL, 0 };
	}
	res->groups = b->ngroups;
	return 0;
}

int publish(struct store *st, const struct sosafe_config *cfg, const struct directory *d,
	    const struct directory *prev, const struct local *lg, const struct sync_opts *o,
	    int64_t generated_at, struct sync_result *res, struct sosafe_err *e)
{
	struct build b = { 0 };
	struct sources src = { .d = d, .prev = prev };
	int ret = export_index_build(&src.x, d, e);
	if (!ret && prev)
		ret = export_index_build(&src.px, prev, e);
	if (!ret)
		ret = add_users(st, &src, o->now, &b, res, e);
	if (!ret)
		ret = add_groups(&src, lg, &b, res, e);
	if (ret)
		goto out;
	long long serial = dir_meta_get(st, "serial", 0) + 1;
	if (dir_meta_set(st, "serial", serial) != ST_OK ||
	    (generated_at == o->now && dir_meta_set(st, "last_sync", o->now) != ST_OK)) {
		ret = err_set(e, "%s", store_error(st));
		goto out;
	}
	res->serial = (uint64_t)serial;
	if (o->dry_run)
		goto out;
	struct snap_data sd = { b.users, b.nusers, b.groups, b.ngroups, generated_at,
				(uint64_t)serial };
	if (snap_write(cfg->state_dir, &sd, e))
		ret = err_prefix(e, "snapshot not replaced");
out:
	build_free(&b);
	export_index_free(&src.x);
	export_index_free(&src.px);
	return ret;
}
