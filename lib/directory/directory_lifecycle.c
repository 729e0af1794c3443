/* The user lifecycle of R3/R4: who is published, deactivated, re-activated
 * and purged, with ids that are never handed out twice.
 *
 *   export user active, no row         -> new row, uid from the directory
 *                                         or allocated; published
 *   active, row deactivated            -> re-activated: same uid, same state
 *   not active (or absent), row active -> deactivated_at = now: still
 *                                         resolvable, sp_expire = 1
 *   deactivated_at + grace_days <= now -> purged: every per-user row
 *                                         deleted, uid tombstoned, a
 *                                         deletion report row written
 * Purging runs first, so a user who comes back after the grace period is
 * a new user with a new uid and none of the old data.
 *
 * Everything runs in one store transaction together with the snapshot
 * write: a refused export changes nothing. The clock is injected. */
#include <config.h>
#include "directory/directory.h"
#include "store/lockout_store.h"

#include <errno.h>
#include <pwd.h>
#include <grp.h>
#include <spawn.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "snapshot/snapshot_write.h"
#include "base/util.h"

#define DAY 86400

static int fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static int sqlfail(struct store *st, int rc, const char *what, char *err, size_t errlen)
{
	store_fail(st, rc, what);
	return fail(err, errlen, "%s", store_error(st));
}

/* ---- local accounts ---------------------------------------------------- */

struct local {
	char **names;
	size_t nnames;
	long long *ids;
	size_t nids;
};

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;
	return x < y ? -1 : x > y;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void local_free(struct local *l)
{
	for (size_t i = 0; i < l->nnames; i++)
		free(l->names[i]);
	free(l->names);
	free(l->ids);
	memset(l, 0, sizeof(*l));
}

static int local_add(struct local *l, const char *name, long long id)
{
	char **n = realloc(l->names, (l->nnames + 1) * sizeof(*n));
	long long *i = realloc(l->ids, (l->nids + 1) * sizeof(*i));
	if (n)
		l->names = n;
	if (i)
		l->ids = i;
	if (!n || !i || !(l->names[l->nnames] = strdup(name)))
		return -1;
	l->nnames++;
	l->ids[l->nids++] = id;
	return 0;
}

/* /etc/passwd and /etc/group read as files (not through NSS, which would
 * show our own users back to us). */
static int local_load(struct local *l, const char *path, bool group, char *err, size_t errlen)
{
	memset(l, 0, sizeof(*l));
	FILE *f = fopen(path, "re");
	if (!f) {
		if (errno == ENOENT)
			return 0;
		return fail(err, errlen, "%s: %s", path, strerror(errno));
	}
	int rc = 0;
	if (group) {
		struct group *g;
		while ((g = fgetgrent(f)))
			if (local_add(l, g->gr_name, g->gr_gid)) {
				rc = -1;
				break;
			}
	} else {
		struct passwd *p;
		while ((p = fgetpwent(f)))
			if (local_add(l, p->pw_name, p->pw_uid)) {
				rc = -1;
				break;
			}
	}
	fclose(f);
	if (rc)
		return fail(err, errlen, "out of memory");
	if (l->nnames) /* qsort/bsearch must not get a NULL base, even with 0 members */
		qsort(l->names, l->nnames, sizeof(char *), cmp_str);
	if (l->nids)
		qsort(l->ids, l->nids, sizeof(long long), cmp_ll);
	return 0;
}

static bool local_has_name(const struct local *l, const char *name)
{
	return l->nnames && bsearch(&name, l->names, l->nnames, sizeof(char *), cmp_str) != NULL;
}

static bool local_has_id(const struct local *l, long long id)
{
	return l->nids && bsearch(&id, l->ids, l->nids, sizeof(long long), cmp_ll) != NULL;
}

/* ---- small SQL helpers -------------------------------------------------- */

/* During one directory_sync() the per-user statements are prepared once and
 * reused (preparing them for each of 100k users was a fifth of a sync).
 * Off elsewhere (the account phase calls directory_state_get in PAM
 * processes): there a statement is prepared and finalized each time. */
#define STMT_CACHE 24
static struct {
	sqlite3 *db;
	sqlite3_stmt *q;
} stmt_cache[STMT_CACHE];
static bool stmt_cache_on;

static int stmt_get(struct store *st, const char *sql, sqlite3_stmt **out)
{
	sqlite3 *db = store_db(st);
	if (stmt_cache_on)
		for (size_t i = 0; i < STMT_CACHE; i++)
			if (stmt_cache[i].q && stmt_cache[i].db == db &&
			    !strcmp(sqlite3_sql(stmt_cache[i].q), sql)) {
				*out = stmt_cache[i].q;
				return SQLITE_OK;
			}
	int rc = sqlite3_prepare_v3(db, sql, -1, stmt_cache_on ? SQLITE_PREPARE_PERSISTENT : 0, out,
				    NULL);
	if (rc != SQLITE_OK || !stmt_cache_on)
		return rc;
	for (size_t i = 0; i < STMT_CACHE; i++)
		if (!stmt_cache[i].q) {
			stmt_cache[i].db = db;
			stmt_cache[i].q = *out;
			break;
		}
	return rc;
}

/* Done with Q: reset if cached, else finalized. */
static void stmt_put(sqlite3_stmt *q)
{
	for (size_t i = 0; stmt_cache_on && i < STMT_CACHE; i++)
		if (stmt_cache[i].q == q) {
			sqlite3_reset(q);
			sqlite3_clear_bindings(q);
			return;
		}
	sqlite3_finalize(q);
}

static void stmt_cache_end(void)
{
	for (size_t i = 0; i < STMT_CACHE; i++)
		sqlite3_finalize(stmt_cache[i].q);
	memset(stmt_cache, 0, sizeof(stmt_cache));
	stmt_cache_on = false;
}

static int exec_bind(struct store *st, const char *sql, const char *fmt, ...)
{
	sqlite3_stmt *q;
	int rc = stmt_get(st, sql, &q);
	if (rc != SQLITE_OK)
		return rc;
	va_list ap;
	va_start(ap, fmt);
	for (int i = 0; fmt[i]; i++) {
		if (fmt[i] == 's')
			sqlite3_bind_text(q, i + 1, va_arg(ap, const char *), -1, SQLITE_TRANSIENT);
		else
			sqlite3_bind_int64(q, i + 1, va_arg(ap, long long));
	}
	va_end(ap);
	rc = sqlite3_step(q);
	stmt_put(q);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? SQLITE_OK : rc;
}

/* One integer from a query with one text or integer parameter; *FOUND. */
static int query_ll(struct store *st, const char *sql, const char *s, long long n, long long *out,
		    bool *found)
{
	sqlite3_stmt *q;
	int rc = stmt_get(st, sql, &q);
	if (rc != SQLITE_OK)
		return rc;
	if (s)
		sqlite3_bind_text(q, 1, s, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_int64(q, 1, n);
	rc = sqlite3_step(q);
	*found = rc == SQLITE_ROW;
	if (*found)
		*out = sqlite3_column_int64(q, 0);
	stmt_put(q);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static long long meta_get(struct store *st, const char *key, long long dflt)
{
	long long v;
	bool found;
	if (query_ll(st, "SELECT value FROM dir_meta WHERE key = ?", key, 0, &v, &found) ||
	    !found)
		return dflt;
	return v;
}

static int meta_set(struct store *st, const char *key, long long v)
{
	return exec_bind(st, "INSERT OR REPLACE INTO dir_meta (key, value) VALUES (?, ?)", "si",
			 key, v);
}

bool directory_uid_tombstoned(struct store *st, long long uid)
{
	long long v;
	bool found = false;
	query_ll(st, "SELECT uid FROM uid_tombstone WHERE uid = ?", NULL, uid, &v, &found);
	return found;
}

enum store_status directory_state_get(struct store *st, const char *user, struct dir_state *s)
{
	sqlite3_stmt *q;
	memset(s, 0, sizeof(*s));
	int rc = stmt_get(st, "SELECT uid, first_seen, deactivated_at FROM dir_user WHERE user = ?",
			  &q);
	if (rc != SQLITE_OK)
		return store_fail(st, rc, "cannot read");
	sqlite3_bind_text(q, 1, user, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(q);
	enum store_status r = ST_NOTFOUND;
	if (rc == SQLITE_ROW) {
		s->uid = sqlite3_column_int64(q, 0);
		s->first_seen = sqlite3_column_int64(q, 1);
		s->deactivated_at = sqlite3_column_int64(q, 2);
		r = ST_OK;
	} else if (rc != SQLITE_DONE) {
		r = store_fail(st, rc, "cannot read");
	}
	stmt_put(q);
	return r;
}

/* ---- results -------------------------------------------------------------- */

void sync_result_free(struct sync_result *r)
{
	for (size_t i = 0; i < r->nchanges; i++) {
		free(r->changes[i].user);
		free(r->changes[i].why);
	}
	free(r->changes);
	memset(r, 0, sizeof(*r));
}

static int note(struct sync_result *r, const char *user, long long uid, const char *what,
		const char *why)
{
	struct sync_change *c = realloc(r->changes, (r->nchanges + 1) * sizeof(*c));
	if (!c)
		return -1;
	r->changes = c;
	c = &c[r->nchanges];
	c->user = strdup(user);
	c->why = strdup(why ? why : "");
	c->uid = uid;
	c->what = what;
	if (!c->user || !c->why)
		return -1;
	r->nchanges++;
	return 0;
}

/* ---- purge ---------------------------------------------------------------- */

static int purge_overdue(struct store *st, const struct sosafe_config *cfg,
			 const struct sync_opts *o, struct sync_result *res, char *err, size_t errlen)
{
	sqlite3_stmt *q;
	int64_t limit = o->now - (int64_t)cfg->grace_days * DAY;
	int rc = sqlite3_prepare_v2(store_db(st),
				    "SELECT user, uid, deactivated_at, reason FROM dir_user"
				    " WHERE deactivated_at > 0 AND deactivated_at < ? ORDER BY user",
				    -1, &q, NULL);
	if (rc != SQLITE_OK)
		return sqlfail(st, rc, "cannot read", err, errlen);
	sqlite3_bind_int64(q, 1, limit);
	struct victim {
		char *user, *reason;
		long long uid, deact;
	} *v = NULL;
	size_t nv = 0;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct victim *nvv = realloc(v, (nv + 1) * sizeof(*v));
		if (!nvv)
			break;
		v = nvv;
		v[nv].user = strdup((const char *)sqlite3_column_text(q, 0));
		v[nv].uid = sqlite3_column_int64(q, 1);
		v[nv].deact = sqlite3_column_int64(q, 2);
		v[nv].reason = strdup((const char *)sqlite3_column_text(q, 3));
		nv++;
	}
	sqlite3_finalize(q);
	int ret = 0;
	if (rc != SQLITE_DONE) {
		ret = sqlfail(st, rc, "cannot read", err, errlen);
		goto out;
	}
	for (size_t i = 0; i < nv && !ret; i++) {
		long rows = 0;
		if (!v[i].user || !v[i].reason) {
			ret = fail(err, errlen, "out of memory");
			break;
		}
		enum store_status s = store_delete_user(st, v[i].user, &rows);
		if (s != ST_OK) {
			ret = fail(err, errlen, "%s", store_error(st));
			break;
		}
		char rule[256];
		snprintf(rule, sizeof(rule), "grace_days=%u after deactivation (%s)", cfg->grace_days,
			 v[i].reason);
		rc = exec_bind(st, "INSERT OR REPLACE INTO uid_tombstone (uid, user, purged_at) "
				   "VALUES (?, ?, ?)", "isi", v[i].uid, v[i].user, (long long)o->now);
		if (rc == SQLITE_OK)
			rc = exec_bind(st, "INSERT INTO deletion_report (user, uid, deactivated_at, "
					   "purged_at, records, rule, admin) VALUES (?, ?, ?, ?, ?, ?, ?)",
				       "siiiiss", v[i].user, v[i].uid, v[i].deact, (long long)o->now,
				       (long long)rows, rule, o->admin ? o->admin : "-");
		if (rc != SQLITE_OK) {
			ret = sqlfail(st, rc, "cannot write", err, errlen);
			break;
		}
		char why[300];
		snprintf(why, sizeof(why), "%ld record(s) deleted; %s", rows, rule);
		if (note(res, v[i].user, v[i].uid, "purged", why))
			ret = fail(err, errlen, "out of memory");
	}
	if (!ret) {
		struct lock_policy lp;
		lock_policy_from_conf(&lp, cfg, false, false);
		if (store_tally_prune_idle(st, &lp, o->now, &res->idle_pruned) != ST_OK)
			ret = fail(err, errlen, "%s", store_error(st));
	}
out:
	for (size_t i = 0; i < nv; i++) {
		free(v[i].user);
		free(v[i].reason);
	}
	free(v);
	return ret;
}

/* ---- allocation ----------------------------------------------------------- */

struct idset {
	long long *v;
	size_t n;
};

static bool idset_has(const struct idset *s, long long id)
{
	return s->n && bsearch(&id, s->v, s->n, sizeof(long long), cmp_ll) != NULL;
}

static bool uid_taken(struct store *st, long long uid)
{
	long long v;
	bool found = false;
	/* two index lookups (dir_user_gid): a scan here made allocation
	 * quadratic, 100k new users took minutes */
	query_ll(st, "SELECT 1 FROM dir_user WHERE uid = ?1 UNION ALL "
		 "SELECT 1 FROM dir_user WHERE gid = ?1 LIMIT 1", NULL, uid, &v, &found);
	return found || directory_uid_tombstoned(st, uid);
}

static int allocate_uid(struct store *st, const struct sosafe_config *cfg, const struct local *lp,
			const struct local *lg, const struct idset *export_ids, long long *out,
			char *err, size_t errlen)
{
	long long next = meta_get(st, "next_uid", cfg->uid_min);
	if (next < cfg->uid_min)
		next = cfg->uid_min;
	for (; next <= (long long)cfg->uid_max; next++) {
		if (local_has_id(lp, next) || local_has_id(lg, next) || idset_has(export_ids, next) ||
		    uid_taken(st, next))
			continue;
		*out = next;
		int rc = meta_set(st, "next_uid", next + 1);
		if (rc != SQLITE_OK)
			return sqlfail(st, rc, "cannot write", err, errlen);
		return 0;
	}
	return fail(err, errlen, "uid range %u..%u is used up (uids are never reused); widen "
		    "uid_max", cfg->uid_min, cfg->uid_max);
}

/* ---- snapshot building ---------------------------------------------------- */

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

static int cmp_user_name(const void *a, const void *b)
{
	return strcmp((*(const struct dir_user *const *)a)->name,
		      (*(const struct dir_user *const *)b)->name);
}

static const struct dir_user *find_export(const struct dir_user *const *sorted, size_t n,
					  const char *name)
{
	struct dir_user key = { .name = (char *)name };
	const struct dir_user *kp = &key;
	if (!n)
		return NULL;
	const struct dir_user *const *r = bsearch(&kp, sorted, n, sizeof(*sorted), cmp_user_name); /* NOLINT(bugprone-sizeof-expression): an array of pointers, so the element size is sizeof(pointer) */
	return r ? *r : NULL;
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

static int build_from_store(struct store *st, const struct sosafe_config *cfg,
			    const struct directory *d, const struct local *lg, int64_t now,
			    struct build *b, struct sync_result *res, char *err, size_t errlen)
{
	const struct dir_user **sorted = malloc((d->nusers + 1) * sizeof(*sorted)); /* NOLINT(bugprone-sizeof-expression): an array of pointers, so the element size is sizeof(pointer) */
	if (!sorted)
		return fail(err, errlen, "out of memory");
	for (size_t i = 0; i < d->nusers; i++)
		sorted[i] = &d->users[i];
	qsort(sorted, d->nusers, sizeof(*sorted), cmp_user_name); /* NOLINT(bugprone-sizeof-expression): an array of pointers, so the element size is sizeof(pointer) */

	sqlite3_stmt *q;
	int ret = 0;
	int rc = sqlite3_prepare_v2(store_db(st),
				    "SELECT user, uid, gid, first_seen, deactivated_at FROM dir_user"
				    " ORDER BY user", -1, &q, NULL);
	if (rc != SQLITE_OK) {
		free(sorted);
		return sqlfail(st, rc, "cannot read", err, errlen);
	}
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct snap_user *nu = realloc(b->users, (b->nusers + 1) * sizeof(*nu));
		if (!nu) {
			ret = fail(err, errlen, "out of memory");
			break;
		}
		b->users = nu;
		struct snap_user *u = &nu[b->nusers];
		memset(u, 0, sizeof(*u));
		u->name = keep(b, strdup((const char *)sqlite3_column_text(q, 0)));
		if (!u->name) {
			ret = fail(err, errlen, "out of memory");
			break;
		}
		u->uid = (uint32_t)sqlite3_column_int64(q, 1);
		u->gid = (uint32_t)sqlite3_column_int64(q, 2);
		u->first_seen = sqlite3_column_int64(q, 3);
		u->deactivated_at = sqlite3_column_int64(q, 4);
		u->deactivated = u->deactivated_at != 0;
		u->lstchg = now / DAY;
		const struct dir_user *e = find_export(sorted, d->nusers, u->name);
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
			ret = fail(err, errlen, "out of memory");
			break;
		}
		b->nusers++;
		if (u->deactivated)
			res->deactivated++;
		else
			res->active++;
	}
	sqlite3_finalize(q);
	if (!ret && rc != SQLITE_DONE)
		ret = sqlfail(st, rc, "cannot read", err, errlen);
	free(sorted);
	if (ret)
		return ret;
	res->published = b->nusers;

	/* groups: directory groups with a gidNumber and a safe name, members
	 * being the published active users; then user private groups */
	b->groups = calloc(d->ngroups + b->nusers + 1, sizeof(*b->groups));
	b->members = calloc(d->ngroups + 1, sizeof(*b->members));
	if (!b->groups || !b->members)
		return fail(err, errlen, "out of memory");
	for (size_t g = 0; g < d->ngroups; g++) {
		const struct dir_group *dg = &d->groups[g];
		if (dg->gid == DIR_NO_ID || !directory_name_ok(dg->name))
			continue;
		if (local_has_name(lg, dg->name))
			return fail(err, errlen, "line %u: group '%s' exists in the local group file",
				    dg->line, dg->name);
		if (local_has_id(lg, dg->gid))
			return fail(err, errlen, "line %u: gid %lld of group '%s' is a local group's",
				    dg->line, dg->gid, dg->name);
		const char **mem = calloc(d->nusers + dg->nmembers + 1, sizeof(*mem));
		if (!mem)
			return fail(err, errlen, "out of memory");
		b->members[b->nmembers++] = mem;
		uint32_t n = 0;
		for (size_t k = 0; k < dg->nmembers; k++) {
			const struct snap_user *pu = find_published(b, dg->members[k]);
			if (pu && !pu->deactivated)
				mem[n++] = pu->name;
		}
		for (size_t i = 0; i < d->nusers; i++) {
			const struct dir_user *du = &d->users[i];
			for (size_t k = 0; k < du->ngroups; k++) {
				if (strcmp(du->groups[k], dg->name))
					continue;
				const struct snap_user *pu = find_published(b, du->name);
				if (pu && !pu->deactivated)
					mem[n++] = pu->name;
				break;
			}
		}
		/* both sides may name a member: sort, then drop repeats */
		qsort(mem, n, sizeof(*mem), cmp_str);
		uint32_t u = 0;
		for (uint32_t m = 0; m < n; m++)
			if (u == 0 || strcmp(mem[u - 1], mem[m]))
				mem[u++] = mem[m];
		n = u;
		b->groups[b->ngroups++] = (struct snap_group){ dg->name, (uint32_t)dg->gid, mem, n };
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
			return fail(err, errlen, "user private group '%s' (%u) collides with a local "
				    "group", u->name, u->gid);
		b->groups[b->ngroups++] = (struct snap_group){ u->name, u->gid, NULL, 0 };
	}
	res->groups = b->ngroups;
	return 0;
}

static int finish(struct store *st, const struct sosafe_config *cfg, const struct directory *d,
		  const struct local *lg, const struct sync_opts *o, int64_t generated_at,
		  struct sync_result *res, char *err, size_t errlen)
{
	struct build b = { 0 };
	int ret = build_from_store(st, cfg, d, lg, o->now, &b, res, err, errlen);
	if (ret)
		goto out;
	long long serial = meta_get(st, "serial", 0) + 1;
	int rc = meta_set(st, "serial", serial);
	if (rc == SQLITE_OK && generated_at == o->now)
		rc = meta_set(st, "last_sync", o->now);
	if (rc != SQLITE_OK) {
		ret = sqlfail(st, rc, "cannot write", err, errlen);
		goto out;
	}
	res->serial = (uint64_t)serial;
	if (o->dry_run)
		goto out;
	struct snap_data sd = { b.users, b.nusers, b.groups, b.ngroups, generated_at,
				(uint64_t)serial };
	char why[600];
	if (snap_write(cfg->state_dir, &sd, why, sizeof(why))) {
		ret = fail(err, errlen, "snapshot not replaced: %s", why);
		goto out;
	}
out:
	build_free(&b);
	return ret;
}

/* ---- sync ---------------------------------------------------------------- */

/* A directory user may not shadow a local account. Only users who are or
 * were published count: a pull from AD lists every account of the domain,
 * and one that was never entitled here (say a service account called
 * "backup") is never published, so it must not stop the sync for all. */
static int check_against_local(struct store *st, const struct sosafe_config *cfg,
			       const struct directory *d, const struct local *lp,
			       const struct local *lg, int64_t now, char *err, size_t errlen)
{
	for (size_t i = 0; i < d->nusers; i++) {
		const struct dir_user *u = &d->users[i];
		const char *why;
		struct dir_state s;
		if (!directory_user_active(d, u, cfg->entitled_group, now, &why)) {
			enum store_status ss = directory_state_get(st, u->name, &s);
			if (ss == ST_NOTFOUND)
				continue;
			if (ss != ST_OK)
				return fail(err, errlen, "%s", store_error(st));
		}
		if (local_has_name(lp, u->name))
			return fail(err, errlen, "line %u: user '%s' exists in the local passwd file; "
				    "a directory user may not shadow a local account", u->line, u->name);
		if (u->uid != DIR_NO_ID && local_has_id(lp, u->uid))
			return fail(err, errlen, "line %u: uid %lld of '%s' belongs to a local account",
				    u->line, u->uid, u->name);
		if (u->gid != DIR_NO_ID && local_has_id(lg, u->gid))
			return fail(err, errlen, "line %u: gid %lld of '%s' is a local group's "
				    "(would grant its rights)", u->line, u->gid, u->name);
	}
	return 0;
}

/* ---- renames ----------------------------------------------------------------
 * An account keeps its directory identity (objectSid in AD, entryUUID in
 * OpenLDAP) when its name changes. A row whose ext_id is the export user's
 * but whose name is not is renamed, in every per-user table of every schema
 * part (TOTP secret, recovery codes, lockout tally, reviews, lifecycle row),
 * inside the sync transaction. Rows a table holds for the new name while no
 * directory user had it (failed attempts of an unknown name) are dropped
 * first. A rename onto a name another lifecycle row holds waits until that
 * row moves away in the same pass (chains x->y, y->z); what is left (a
 * swap) is refused. */

static int rename_user(struct store *st, const char *from, const char *to, long *rows,
		       char *err, size_t errlen)
{
	*rows = 0;
	for (unsigned i = 0; i < store_schema_nparts; i++) {
		const struct schema_part *p = store_schema_parts[i];
		for (unsigned j = 0; j < p->nuser_tables; j++) {
			char sql[160];
			int rc = SQLITE_OK;
			if (strcmp(p->user_tables[j], "dir_user")) {
				snprintf(sql, sizeof(sql), "DELETE FROM %s WHERE user = ?", p->user_tables[j]);
				rc = exec_bind(st, sql, "s", to);
			}
			if (rc == SQLITE_OK) {
				snprintf(sql, sizeof(sql), "UPDATE %s SET user = ? WHERE user = ?",
					 p->user_tables[j]);
				rc = exec_bind(st, sql, "ss", to, from);
			}
			if (rc != SQLITE_OK)
				return sqlfail(st, rc, "cannot rename in", err, errlen);
			*rows += sqlite3_changes(store_db(st));
		}
	}
	return 0;
}

struct rename {
	const struct dir_user *u;
	char *from;
	long long uid;
};

static int apply_renames(struct store *st, const struct directory *d, struct sync_result *res,
			 char *err, size_t errlen)
{
	sqlite3_stmt *q;
	int rc = sqlite3_prepare_v2(store_db(st), "SELECT user, uid FROM dir_user WHERE ext_id = ?",
				    -1, &q, NULL);
	if (rc != SQLITE_OK)
		return sqlfail(st, rc, "cannot read", err, errlen);
	struct rename *todo = NULL;
	size_t n = 0;
	int ret = 0;
	for (size_t i = 0; i < d->nusers && !ret; i++) {
		const struct dir_user *u = &d->users[i];
		if (!u->ext_id)
			continue;
		sqlite3_reset(q);
		sqlite3_bind_text(q, 1, u->ext_id, -1, SQLITE_STATIC);
		rc = sqlite3_step(q);
		if (rc == SQLITE_DONE)
			continue;
		if (rc != SQLITE_ROW) {
			ret = sqlfail(st, rc, "cannot read", err, errlen);
			break;
		}
		const char *name = (const char *)sqlite3_column_text(q, 0);
		if (!strcmp(name, u->name))
			continue;
		struct rename *t = realloc(todo, (n + 1) * sizeof(*t));
		if (!t || !(t[n].from = strdup(name))) {
			todo = t ? t : todo;
			ret = fail(err, errlen, "out of memory");
			break;
		}
		todo = t;
		todo[n].u = u;
		todo[n].uid = sqlite3_column_int64(q, 1);
		n++;
	}
	sqlite3_finalize(q);
	size_t left = ret ? 0 : n;
	bool progress = true;
	while (!ret && left && progress) {
		progress = false;
		for (size_t i = 0; i < n && !ret; i++) {
			struct rename *r = &todo[i];
			if (!r->u)
				continue;
			struct dir_state s;
			enum store_status ss = directory_state_get(st, r->u->name, &s);
			if (ss == ST_OK)
				continue;       /* the new name is still taken: next round */
			if (ss != ST_NOTFOUND) {
				ret = fail(err, errlen, "%s", store_error(st));
				break;
			}
			long rows = 0;
			if (rename_user(st, r->from, r->u->name, &rows, err, errlen)) {
				ret = -1;
				break;
			}
			char why[512];
			snprintf(why, sizeof(why), "renamed from '%s' (same stable id %s); %ld record(s) "
				 "moved", r->from, r->u->ext_id, rows);
			if (note(res, r->u->name, r->uid, "renamed", why))
				ret = fail(err, errlen, "out of memory");
			r->u = NULL;
			left--;
			progress = true;
		}
	}
	for (size_t i = 0; i < n && !ret && left; i++)
		if (todo[i].u)
			ret = fail(err, errlen, "line %u: '%s' was renamed to '%s' (same stable id %s), "
				   "but '%s' is still held by another account in the store; rename "
				   "one of them in the directory first", todo[i].u->line, todo[i].from,
				   todo[i].u->name, todo[i].u->ext_id, todo[i].u->name);
	for (size_t i = 0; i < n; i++)
		free(todo[i].from);
	free(todo);
	return ret;
}

/* The stable id stored for USER (into BUF, "" if none). */
static int stored_ext_id(struct store *st, const char *user, char *buf, size_t len)
{
	sqlite3_stmt *q;
	buf[0] = 0;
	int rc = stmt_get(st, "SELECT ext_id FROM dir_user WHERE user = ?", &q);
	if (rc != SQLITE_OK)
		return rc;
	sqlite3_bind_text(q, 1, user, -1, SQLITE_STATIC);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW && sqlite3_column_text(q, 0))
		snprintf(buf, len, "%s", (const char *)sqlite3_column_text(q, 0));
	stmt_put(q);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static int apply_user(struct store *st, const struct sosafe_config *cfg, const struct directory *d,
		      const struct dir_user *u, const struct local *lp, const struct local *lg,
		      const struct idset *ids, const struct sync_opts *o, struct sync_result *res,
		      char *err, size_t errlen)
{
	const char *why = "";
	struct dir_user other;   /* stands for U when another account took its name */
	bool active = directory_user_active(d, u, cfg->entitled_group, o->now, &why);
	struct dir_state s;
	enum store_status ss = directory_state_get(st, u->name, &s);
	int rc;
	if (ss != ST_OK && ss != ST_NOTFOUND)
		return fail(err, errlen, "%s", store_error(st));
	if (ss == ST_OK && u->ext_id) {
		char have[256];
		rc = stored_ext_id(st, u->name, have, sizeof(have));
		if (rc != SQLITE_OK)
			return sqlfail(st, rc, "cannot read", err, errlen);
		const char *hc = strchr(have, ':'), *uc = strchr(u->ext_id, ':');
		bool same_kind = (!hc && !uc) ||
				 (hc && uc && hc - have == uc - u->ext_id &&
				  !strncmp(have, u->ext_id, (size_t)(hc - have)));
		if (!have[0] || !same_kind) {
			/* first sync that sees the id, or ldap_attr_id now names
			 * another attribute: (re)key the row */
			rc = exec_bind(st, "UPDATE dir_user SET ext_id = ? WHERE user = ?", "ss",
				       u->ext_id, u->name);
			if (rc != SQLITE_OK)
				return sqlfail(st, rc, "cannot write", err, errlen);
		} else if (strcmp(have, u->ext_id)) {
			/* another account took the name: the old one's data (secret,
			 * lockout) must not pass to it. The row stays deactivated
			 * until purged after grace_days; then the new account is
			 * a new user. */
			active = false;
			why = "the name now belongs to another directory account (stable id "
			      "changed); the old account's data stays until it is purged";
			other = (struct dir_user){ .name = u->name, .uid = DIR_NO_ID,
						   .gid = DIR_NO_ID, .line = u->line };
			u = &other;
		}
	}
	if (ss == ST_OK) {
		if (u->uid != DIR_NO_ID && u->uid != s.uid)
			return fail(err, errlen, "line %u: uidNumber of '%s' changed from %lld to %lld; "
				    "a user's uid never changes", u->line, u->name, s.uid, u->uid);
		if (u->gid != DIR_NO_ID) {
			rc = exec_bind(st, "UPDATE dir_user SET gid = ? WHERE user = ?", "is", u->gid,
				       u->name);
			if (rc != SQLITE_OK)
				return sqlfail(st, rc, "cannot write", err, errlen);
		}
		if (active && s.deactivated_at) {
			rc = exec_bind(st, "UPDATE dir_user SET deactivated_at = 0, reason = '' "
					   "WHERE user = ?", "s", u->name);
			if (rc != SQLITE_OK)
				return sqlfail(st, rc, "cannot write", err, errlen);
			return note(res, u->name, s.uid, "reactivated", "active in the directory again");
		}
		if (!active && !s.deactivated_at) {
			rc = exec_bind(st, "UPDATE dir_user SET deactivated_at = ?, reason = ? "
					   "WHERE user = ?", "iss", (long long)o->now, why, u->name);
			if (rc != SQLITE_OK)
				return sqlfail(st, rc, "cannot write", err, errlen);
			return note(res, u->name, s.uid, "deactivated", why);
		}
		return 0;
	}
	if (!active)
		return 0;   /* never active here: not published */
	long long uid = u->uid;
	if (uid != DIR_NO_ID) {
		if (directory_uid_tombstoned(st, uid))
			return fail(err, errlen, "line %u: uid %lld of '%s' belonged to a purged user; "
				    "uids are never reused", u->line, uid, u->name);
		if (uid_taken(st, uid))
			return fail(err, errlen, "line %u: uid %lld of '%s' is held by another "
				    "directory user", u->line, uid, u->name);
	} else if (allocate_uid(st, cfg, lp, lg, ids, &uid, err, errlen)) {
		return -1;
	}
	long long gid = u->gid != DIR_NO_ID ? u->gid : uid;
	if (u->gid == DIR_NO_ID && local_has_id(lg, gid))
		return fail(err, errlen, "line %u: uid %lld of '%s' (also its private group) is a "
			    "local group's gid", u->line, uid, u->name);
	rc = exec_bind(st, "INSERT INTO dir_user (user, uid, gid, first_seen, ext_id) "
			   "VALUES (?, ?, ?, ?, ?)", "siiis", u->name, uid, gid, (long long)o->now,
		       u->ext_id);
	if (rc != SQLITE_OK)
		return sqlfail(st, rc, "cannot write", err, errlen);
	return note(res, u->name, uid, "new", u->uid == DIR_NO_ID ? "uid allocated" : "uid from "
		    "the directory");
}

/* Rows whose user is missing from the export are deactivated. */
static int deactivate_absent(struct store *st, const struct directory *d, const struct sync_opts *o,
			     struct sync_result *res, char *err, size_t errlen)
{
	const struct dir_user **sorted = malloc((d->nusers + 1) * sizeof(*sorted)); /* NOLINT(bugprone-sizeof-expression): an array of pointers, so the element size is sizeof(pointer) */
	if (!sorted)
		return fail(err, errlen, "out of memory");
	for (size_t i = 0; i < d->nusers; i++)
		sorted[i] = &d->users[i];
	qsort(sorted, d->nusers, sizeof(*sorted), cmp_user_name); /* NOLINT(bugprone-sizeof-expression): an array of pointers, so the element size is sizeof(pointer) */
	sqlite3_stmt *q;
	int rc = sqlite3_prepare_v2(store_db(st),
				    "SELECT user, uid FROM dir_user WHERE deactivated_at = 0", -1, &q,
				    NULL);
	if (rc != SQLITE_OK) {
		free(sorted);
		return sqlfail(st, rc, "cannot read", err, errlen);
	}
	struct local gone = { 0 };
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(q, 0);
		if (!find_export(sorted, d->nusers, name) &&
		    local_add(&gone, name, sqlite3_column_int64(q, 1)))
			break;
	}
	sqlite3_finalize(q);
	free(sorted);
	int ret = 0;
	if (rc != SQLITE_DONE)
		ret = rc == SQLITE_ROW ? fail(err, errlen, "out of memory")
				       : sqlfail(st, rc, "cannot read", err, errlen);
	for (size_t i = 0; i < gone.nnames && !ret; i++) {
		const char *why = "absent from the directory export";
		rc = exec_bind(st, "UPDATE dir_user SET deactivated_at = ?, reason = ? WHERE user = ?",
			       "iss", (long long)o->now, why, gone.names[i]);
		if (rc != SQLITE_OK)
			ret = sqlfail(st, rc, "cannot write", err, errlen);
		else if (note(res, gone.names[i], gone.ids[i], "deactivated", why))
			ret = fail(err, errlen, "out of memory");
	}
	local_free(&gone);
	return ret;
}

int directory_sync(struct store *st, const struct sosafe_config *cfg, const struct directory *d,
		   const struct sync_opts *o, struct sync_result *res, char *err, size_t errlen)
{
	struct local lp = { 0 }, lg = { 0 };
	struct idset ids = { 0 };
	int ret = -1;
	memset(res, 0, sizeof(*res));
	if (d->nusers == 0)
		return fail(err, errlen, "the export holds no user at all; refusing to deactivate "
			    "everyone (check the export)");
	if (!cfg->entitled_group[0])
		return fail(err, errlen, "entitled_group is not set in the configuration");
	if (local_load(&lp, o->passwd_path ? o->passwd_path : "/etc/passwd", false, err, errlen) ||
	    local_load(&lg, o->group_path ? o->group_path : "/etc/group", true, err, errlen))
		goto out;
	if (check_against_local(st, cfg, d, &lp, &lg, o->now, err, errlen))
		goto out;
	ids.v = malloc((2 * d->nusers + d->ngroups + 1) * sizeof(long long));
	if (!ids.v) {
		fail(err, errlen, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < d->nusers; i++) {
		if (d->users[i].uid != DIR_NO_ID)
			ids.v[ids.n++] = d->users[i].uid;
		if (d->users[i].gid != DIR_NO_ID)
			ids.v[ids.n++] = d->users[i].gid;
	}
	for (size_t i = 0; i < d->ngroups; i++)
		if (d->groups[i].gid != DIR_NO_ID)
			ids.v[ids.n++] = d->groups[i].gid;
	qsort(ids.v, ids.n, sizeof(long long), cmp_ll);

	if (store_begin(st) != ST_OK) {
		fail(err, errlen, "%s", store_error(st));
		goto out;
	}
	stmt_cache_on = true;
	if (purge_overdue(st, cfg, o, res, err, errlen))
		goto rollback;
	if (apply_renames(st, d, res, err, errlen))
		goto rollback;
	for (size_t i = 0; i < d->nusers; i++)
		if (apply_user(st, cfg, d, &d->users[i], &lp, &lg, &ids, o, res, err, errlen))
			goto rollback;
	if (deactivate_absent(st, d, o, res, err, errlen))
		goto rollback;
	if (!o->dry_run && o->in_tx && o->in_tx(st, res, o->in_tx_ctx)) {
		fail(err, errlen, "audit records not written (see syslog)");
		goto rollback;
	}
	if (finish(st, cfg, d, &lg, o, o->now, res, err, errlen))
		goto rollback;
	stmt_cache_end();
	if (o->dry_run) {
		store_rollback(st);
		ret = 0;
		goto out;
	}
	if (store_commit(st) != ST_OK) {
		fail(err, errlen, "%s", store_error(st));
		goto out;
	}
	directory_invalidate_nscd();
	ret = 0;
	goto out;
rollback:
	stmt_cache_end();
	store_rollback(st);
out:
	stmt_cache_end();
	if (ret) /* all or nothing: no half list of changes for the caller to leak */
		sync_result_free(res);
	local_free(&lp);
	local_free(&lg);
	free(ids.v);
	if (ret)
		sync_result_free(res);   /* nothing happened: nothing to report */
	return ret;
}

/* ---- purge without an export ------------------------------------------------
 * The current snapshot is the source of the published data: it is read,
 * the purged users are left out, and it is written again with its original
 * generation time (a purge is no sync: staleness must still show). */

static int load_snapshot(const char *dir, struct directory *d, int64_t *generated_at,
			 char *err, size_t errlen)
{
	char path[4096];
	struct snap s;
	char why[300];
	memset(d, 0, sizeof(*d));
	snprintf(path, sizeof(path), "%s/%s", dir, SNAP_PASSWD_FILE);
	if (snap_open(&s, path, SNAP_KIND_PASSWD, why, sizeof(why)) != SNAP_OK)
		return fail(err, errlen, "cannot read the current snapshot: %s", why);
	*generated_at = s.hdr.generated_at;
	uint32_t pos = 0;
	const unsigned char *v;
	size_t vl;
	int ret = 0;
	while (!ret && snap_seq_peek(&s, SK_PW_NAME, &pos, &v, &vl) == SNAP_OK) {
		struct snap_pw pw;
		struct dir_user *u;
		if (snap_decode_pw(v, vl, &pw) ||
		    !(u = realloc(d->users, (d->nusers + 1) * sizeof(*u)))) {
			ret = fail(err, errlen, "cannot read the current snapshot");
			break;
		}
		d->users = u;
		u = &u[d->nusers++];
		memset(u, 0, sizeof(*u));
		u->name = strndup(pw.name, pw.name_len);
		u->gecos = strndup(pw.gecos, pw.gecos_len);
		u->home = strndup(pw.dir, pw.dir_len);
		u->shell = strndup(pw.shell, pw.shell_len);
		u->uid = pw.uid;
		u->gid = pw.gid;
		snap_seq_advance(&s, &pos);
	}
	pos = 0;
	while (!ret && snap_seq_peek(&s, SK_GR_NAME, &pos, &v, &vl) == SNAP_OK) {
		struct snap_gr gr;
		struct dir_group *g;
		if (snap_decode_gr(v, vl, &gr) ||
		    !(g = realloc(d->groups, (d->ngroups + 1) * sizeof(*g)))) {
			ret = fail(err, errlen, "cannot read the current snapshot");
			break;
		}
		d->groups = g;
		g = &g[d->ngroups++];
		memset(g, 0, sizeof(*g));
		g->name = strndup(gr.name, gr.name_len);
		g->gid = gr.gid;
		const char *m = (const char *)gr.mem;
		g->members = calloc(gr.nmem + 1, sizeof(char *));
		if (!g->name || !g->members) {
			ret = fail(err, errlen, "out of memory");
			break;
		}
		for (uint32_t k = 0; k < gr.nmem; k++) {
			g->members[g->nmembers++] = strdup(m);
			m += strlen(m) + 1;
		}
		snap_seq_advance(&s, &pos);
	}
	snap_close(&s);
	if (ret)
		directory_free(d);
	return ret;
}

int directory_purge(struct store *st, const struct sosafe_config *cfg, const struct sync_opts *o,
		    struct sync_result *res, char *err, size_t errlen)
{
	struct directory d;
	struct local lg = { 0 };
	int64_t generated_at = 0;
	int ret = -1;
	memset(res, 0, sizeof(*res));
	memset(&d, 0, sizeof(d));
	/* a host without directory sync still forgets idle lockout rows */
	char path[4096];
	struct stat sb;
	snprintf(path, sizeof(path), "%s/%s", cfg->state_dir, SNAP_PASSWD_FILE);
	bool no_snapshot = lstat(path, &sb) != 0 && errno == ENOENT;
	if (!no_snapshot && load_snapshot(cfg->state_dir, &d, &generated_at, err, errlen))
		return -1;
	if (store_begin(st) != ST_OK) {
		fail(err, errlen, "%s", store_error(st));
		goto out;
	}
	if (purge_overdue(st, cfg, o, res, err, errlen))
		goto rollback;
	if (res->nchanges == 0) {
		if (!o->dry_run && o->in_tx && o->in_tx(st, res, o->in_tx_ctx)) {
			fail(err, errlen, "audit records not written (see syslog)");
			goto rollback;
		}
		ret = 0;
		if (o->dry_run)
			store_rollback(st);
		else if (store_commit(st) != ST_OK)
			ret = fail(err, errlen, "%s", store_error(st));
		goto out;
	}
	if (no_snapshot) {
		fail(err, errlen, "the snapshot %s is missing: run 'sosafectl sync' first", path);
		goto rollback;
	}
	/* groups from the snapshot keep their members (purged users drop out
	 * because they are no longer published); only the user private
	 * groups are rebuilt */
	for (size_t i = 0; i < d.ngroups; i++) {
		bool upg = false;
		for (size_t k = 0; k < d.nusers && !upg; k++)
			upg = d.users[k].gid == d.groups[i].gid && !strcmp(d.users[k].name, d.groups[i].name);
		if (upg)
			d.groups[i].gid = DIR_NO_ID;
	}
	if (!o->dry_run && o->in_tx && o->in_tx(st, res, o->in_tx_ctx)) {
		fail(err, errlen, "audit records not written (see syslog)");
		goto rollback;
	}
	if (finish(st, cfg, &d, &lg, o, generated_at, res, err, errlen))
		goto rollback;
	if (o->dry_run) {
		store_rollback(st);
		ret = 0;
		goto out;
	}
	if (store_commit(st) != ST_OK) {
		fail(err, errlen, "%s", store_error(st));
		goto out;
	}
	directory_invalidate_nscd();
	ret = 0;
	goto out;
rollback:
	store_rollback(st);
out:
	directory_free(&d);
	if (ret)
		sync_result_free(res);
	return ret;
}

enum store_status directory_report_foreach(struct store *st, deletion_fn fn, void *ctx)
{
	sqlite3_stmt *q;
	int rc = sqlite3_prepare_v2(store_db(st),
				    "SELECT id, user, uid, deactivated_at, purged_at, records, rule, admin"
				    " FROM deletion_report ORDER BY id", -1, &q, NULL);
	if (rc != SQLITE_OK)
		return store_fail(st, rc, "cannot read");
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct deletion_row r;
		memset(&r, 0, sizeof(r));
		r.id = sqlite3_column_int64(q, 0);
		snprintf(r.user, sizeof(r.user), "%s", (const char *)sqlite3_column_text(q, 1));
		r.uid = sqlite3_column_int64(q, 2);
		r.deactivated_at = sqlite3_column_int64(q, 3);
		r.purged_at = sqlite3_column_int64(q, 4);
		r.records = sqlite3_column_int64(q, 5);
		snprintf(r.rule, sizeof(r.rule), "%s", (const char *)sqlite3_column_text(q, 6));
		snprintf(r.admin, sizeof(r.admin), "%s", (const char *)sqlite3_column_text(q, 7));
		if (fn(&r, ctx))
			break;
	}
	enum store_status s = rc == SQLITE_DONE || rc == SQLITE_ROW ? ST_OK
								    : store_fail(st, rc, "cannot read");
	sqlite3_finalize(q);
	return s;
}

/* ---- nscd ------------------------------------------------------------------ */

void directory_invalidate_nscd(void)
{
	static const char *const paths[] = { "/usr/sbin/nscd", "/sbin/nscd" };
	struct stat sb;
	/* nscd listens on this socket while it runs */
	if (stat("/var/run/nscd/socket", &sb) < 0 || !S_ISSOCK(sb.st_mode))
		return;
	for (size_t i = 0; i < ARRAY_SIZE(paths); i++) {
		if (access(paths[i], X_OK))
			continue;
		static const char *const dbs[] = { "passwd", "group" };
		for (size_t k = 0; k < ARRAY_SIZE(dbs); k++) {
			char *argv[] = { (char *)paths[i], (char *)"-i", (char *)dbs[k], NULL };
			char *envp[] = { NULL };
			pid_t pid;
			int status;
			if (posix_spawn(&pid, paths[i], NULL, NULL, argv, envp) == 0)
				waitpid(pid, &status, 0);
		}
		return;
	}
}
