/* The directory lifecycle's queries (see dir_store.h). */
#include <config.h>
#include "store/dir_store.h"

#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"

enum dq {
	Q_USER_GET,
	Q_USER_EXT_ID,
	Q_USER_BY_EXT_ID,
	Q_USER_INSERT,
	Q_USER_SET_EXT_ID,
	Q_USER_SET_GID,
	Q_USER_REACTIVATE,
	Q_USER_DEACTIVATE,
	Q_USERS_ALL,
	Q_USERS_ACTIVE,
	Q_USERS_OVERDUE,
	Q_USERS_ACTIVE_COUNT,
	Q_ID_TAKEN,
	Q_TOMBSTONED,
	Q_TOMBSTONE_ADD,
	Q_REPORT_ADD,
	Q_REPORT_ALL,
	Q_META_GET,
	Q_META_SET,
	Q_COUNT
};

static const char *const sql[Q_COUNT] = {
	[Q_USER_GET] = "SELECT uid, first_seen, deactivated_at FROM dir_user WHERE user = ?",
	[Q_USER_EXT_ID] = "SELECT ext_id FROM dir_user WHERE user = ?",
	[Q_USER_BY_EXT_ID] = "SELECT user, uid FROM dir_user WHERE ext_id = ?",
	[Q_USER_INSERT] = "INSERT INTO dir_user (user, uid, gid, first_seen, ext_id) "
			  "VALUES (?, ?, ?, ?, ?)",
	[Q_USER_SET_EXT_ID] = "UPDATE dir_user SET ext_id = ? WHERE user = ?",
	[Q_USER_SET_GID] = "UPDATE dir_user SET gid = ? WHERE user = ?",
	[Q_USER_REACTIVATE] = "UPDATE dir_user SET deactivated_at = 0, reason = '' WHERE user = ?",
	[Q_USER_DEACTIVATE] = "UPDATE dir_user SET deactivated_at = ?, reason = ? WHERE user = ?",
	[Q_USERS_ALL] = "SELECT user, uid, gid, first_seen, deactivated_at, reason FROM dir_user "
			"ORDER BY user",
	[Q_USERS_ACTIVE] = "SELECT user, uid, gid, first_seen, deactivated_at, reason FROM dir_user "
			   "WHERE deactivated_at = 0",
	[Q_USERS_OVERDUE] = "SELECT user, uid, gid, first_seen, deactivated_at, reason FROM dir_user "
			    "WHERE deactivated_at > 0 AND deactivated_at < ? ORDER BY user",
	[Q_USERS_ACTIVE_COUNT] = "SELECT count(*) FROM dir_user WHERE deactivated_at = 0",
	/* two index lookups (dir_user_gid): a scan here made allocation
	 * quadratic, 100k new users took minutes */
	[Q_ID_TAKEN] = "SELECT 1 FROM dir_user WHERE uid = ?1 UNION ALL "
		       "SELECT 1 FROM dir_user WHERE gid = ?1 LIMIT 1",
	[Q_TOMBSTONED] = "SELECT uid FROM uid_tombstone WHERE uid = ?",
	[Q_TOMBSTONE_ADD] = "INSERT OR REPLACE INTO uid_tombstone (uid, user, purged_at) "
			    "VALUES (?, ?, ?)",
	[Q_REPORT_ADD] = "INSERT INTO deletion_report (user, uid, deactivated_at, purged_at, "
			 "records, rule, admin) VALUES (?, ?, ?, ?, ?, ?, ?)",
	[Q_REPORT_ALL] = "SELECT id, user, uid, deactivated_at, purged_at, records, rule, admin "
			 "FROM deletion_report ORDER BY id",
	[Q_META_GET] = "SELECT value FROM dir_meta WHERE key = ?",
	[Q_META_SET] = "INSERT OR REPLACE INTO dir_meta (key, value) VALUES (?, ?)",
};

struct dir_store {
	struct store *st;
	sqlite3_stmt *q[Q_COUNT];
};

struct dir_store *dir_store_new(struct store *st)
{
	struct dir_store *ds = calloc(1, sizeof(*ds));
	if (ds)
		ds->st = st;
	return ds;
}

void dir_store_free(struct dir_store *ds)
{
	if (!ds)
		return;
	for (size_t i = 0; i < Q_COUNT; i++)
		sqlite3_finalize(ds->q[i]);
	free(ds);
}

struct store *dir_store_store(const struct dir_store *ds)
{
	return ds->st;
}

static int prep(struct dir_store *ds, enum dq i, sqlite3_stmt **q)
{
	if (!ds->q[i]) {
		int rc = sqlite3_prepare_v3(store_db(ds->st), sql[i], -1, SQLITE_PREPARE_PERSISTENT,
					    &ds->q[i], NULL);
		if (rc != SQLITE_OK)
			return rc;
	}
	*q = ds->q[i];
	return SQLITE_OK;
}

/* End one use: no open cursor, no caller string left bound. */
static void done(sqlite3_stmt *q)
{
	sqlite3_reset(q);
	sqlite3_clear_bindings(q);
}

/* Bind by FMT ('s' text, 'i' long long), step once; SQLITE_OK or the error. */
static int run(struct dir_store *ds, enum dq i, const char *fmt, ...)
{
	sqlite3_stmt *q;
	int rc = prep(ds, i, &q);
	if (rc != SQLITE_OK)
		return rc;
	va_list ap;
	va_start(ap, fmt);
	for (int k = 0; fmt[k]; k++) {
		if (fmt[k] == 's')
			sqlite3_bind_text(q, k + 1, va_arg(ap, const char *), -1, SQLITE_STATIC);
		else
			sqlite3_bind_int64(q, k + 1, va_arg(ap, long long));
	}
	va_end(ap);
	rc = sqlite3_step(q);
	done(q);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? SQLITE_OK : rc;
}

static enum store_status write_status(struct dir_store *ds, int rc)
{
	return rc == SQLITE_OK ? ST_OK : store_fail(ds->st, rc, "cannot write");
}

/* One integer from a query with one text (S) or integer (N) parameter. */
static int one_ll(struct dir_store *ds, enum dq i, const char *s, long long n, long long *out,
		  bool *found)
{
	sqlite3_stmt *q;
	*found = false;
	int rc = prep(ds, i, &q);
	if (rc != SQLITE_OK)
		return rc;
	if (s)
		sqlite3_bind_text(q, 1, s, -1, SQLITE_STATIC);
	else
		sqlite3_bind_int64(q, 1, n);
	rc = sqlite3_step(q);
	*found = rc == SQLITE_ROW;
	if (*found)
		*out = sqlite3_column_int64(q, 0);
	done(q);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static const char *col_text(sqlite3_stmt *q, int col)
{
	const unsigned char *t = sqlite3_column_text(q, col);
	return t ? (const char *)t : "";
}

enum store_status dir_user_get(struct dir_store *ds, const char *user, struct dir_state *s)
{
	sqlite3_stmt *q;
	memset(s, 0, sizeof(*s));
	int rc = prep(ds, Q_USER_GET, &q);
	if (rc != SQLITE_OK)
		return store_fail(ds->st, rc, "cannot read");
	sqlite3_bind_text(q, 1, user, -1, SQLITE_STATIC);
	rc = sqlite3_step(q);
	enum store_status r = ST_NOTFOUND;
	if (rc == SQLITE_ROW) {
		s->uid = sqlite3_column_int64(q, 0);
		s->first_seen = sqlite3_column_int64(q, 1);
		s->deactivated_at = sqlite3_column_int64(q, 2);
		r = ST_OK;
	} else if (rc != SQLITE_DONE) {
		r = store_fail(ds->st, rc, "cannot read");
	}
	done(q);
	return r;
}

enum store_status dir_user_ext_id(struct dir_store *ds, const char *user, char *buf, size_t len)
{
	sqlite3_stmt *q;
	buf[0] = 0;
	int rc = prep(ds, Q_USER_EXT_ID, &q);
	if (rc != SQLITE_OK)
		return store_fail(ds->st, rc, "cannot read");
	sqlite3_bind_text(q, 1, user, -1, SQLITE_STATIC);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW && sqlite3_column_text(q, 0))
		snprintf(buf, len, "%s", (const char *)sqlite3_column_text(q, 0));
	done(q);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? ST_OK : store_fail(ds->st, rc, "cannot read");
}

enum store_status dir_user_by_ext_id(struct dir_store *ds, const char *ext_id, char *name,
				     size_t len, long long *uid)
{
	sqlite3_stmt *q;
	int rc = prep(ds, Q_USER_BY_EXT_ID, &q);
	if (rc != SQLITE_OK)
		return store_fail(ds->st, rc, "cannot read");
	sqlite3_bind_text(q, 1, ext_id, -1, SQLITE_STATIC);
	rc = sqlite3_step(q);
	enum store_status r = ST_NOTFOUND;
	if (rc == SQLITE_ROW) {
		snprintf(name, len, "%s", col_text(q, 0));
		*uid = sqlite3_column_int64(q, 1);
		r = ST_OK;
	} else if (rc != SQLITE_DONE) {
		r = store_fail(ds->st, rc, "cannot read");
	}
	done(q);
	return r;
}

enum store_status dir_user_insert(struct dir_store *ds, const char *user, long long uid,
				  long long gid, int64_t now, const char *ext_id)
{
	return write_status(ds, run(ds, Q_USER_INSERT, "siiis", user, uid, gid, (long long)now,
				   ext_id));
}

enum store_status dir_user_set_ext_id(struct dir_store *ds, const char *user, const char *ext_id)
{
	return write_status(ds, run(ds, Q_USER_SET_EXT_ID, "ss", ext_id, user));
}

enum store_status dir_user_set_gid(struct dir_store *ds, const char *user, long long gid)
{
	return write_status(ds, run(ds, Q_USER_SET_GID, "is", gid, user));
}

enum store_status dir_user_reactivate(struct dir_store *ds, const char *user)
{
	return write_status(ds, run(ds, Q_USER_REACTIVATE, "s", user));
}

enum store_status dir_user_deactivate(struct dir_store *ds, const char *user, int64_t now,
				      const char *why)
{
	return write_status(ds, run(ds, Q_USER_DEACTIVATE, "iss", (long long)now, why, user));
}

static enum store_status walk(struct dir_store *ds, enum dq i, const long long *param,
			      dir_row_fn fn, void *ctx)
{
	sqlite3_stmt *q;
	int rc = prep(ds, i, &q);
	if (rc != SQLITE_OK)
		return store_fail(ds->st, rc, "cannot read");
	if (param)
		sqlite3_bind_int64(q, 1, *param);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct dir_row r = {
			.user = col_text(q, 0),
			.uid = sqlite3_column_int64(q, 1),
			.gid = sqlite3_column_int64(q, 2),
			.first_seen = sqlite3_column_int64(q, 3),
			.deactivated_at = sqlite3_column_int64(q, 4),
			.reason = col_text(q, 5),
		};
		if (fn(&r, ctx))
			break;
	}
	done(q);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? ST_OK : store_fail(ds->st, rc, "cannot read");
}

enum store_status dir_users_foreach(struct dir_store *ds, dir_row_fn fn, void *ctx)
{
	return walk(ds, Q_USERS_ALL, NULL, fn, ctx);
}

enum store_status dir_users_active_foreach(struct dir_store *ds, dir_row_fn fn, void *ctx)
{
	return walk(ds, Q_USERS_ACTIVE, NULL, fn, ctx);
}

enum store_status dir_users_deactivated_before(struct dir_store *ds, int64_t before,
					       dir_row_fn fn, void *ctx)
{
	long long b = before;
	return walk(ds, Q_USERS_OVERDUE, &b, fn, ctx);
}

enum store_status dir_users_active_count(struct dir_store *ds, long long *n)
{
	bool found;
	*n = 0;
	int rc = one_ll(ds, Q_USERS_ACTIVE_COUNT, NULL, 0, n, &found);
	return rc == SQLITE_OK ? ST_OK : store_fail(ds->st, rc, "cannot read");
}

/* "VERB TABLE REST" on a per-user table, A and B bound; renames are rare,
 * so the statement is not kept. */
static int run_on_table(struct dir_store *ds, const char *verb, const char *table,
			const char *rest, const char *a, const char *b, long *changed)
{
	char text[160];
	sqlite3_stmt *q = NULL;
	snprintf(text, sizeof(text), "%s %s %s", verb, table, rest);
	sqlite3 *db = store_db(ds->st);
	int rc = sqlite3_prepare_v2(db, text, -1, &q, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(q, 1, a, -1, SQLITE_STATIC);
		if (b)
			sqlite3_bind_text(q, 2, b, -1, SQLITE_STATIC);
		rc = sqlite3_step(q);
		rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
	}
	sqlite3_finalize(q);
	*changed = rc == SQLITE_OK ? sqlite3_changes(db) : 0;
	return rc;
}

enum store_status dir_user_rename(struct dir_store *ds, const char *from, const char *to,
				  long *rows)
{
	*rows = 0;
	for (unsigned i = 0; i < store_schema_nparts; i++) {
		const struct schema_part *p = store_schema_parts[i];
		for (unsigned j = 0; j < p->nuser_tables; j++) {
			const char *t = p->user_tables[j];
			long changed = 0;
			int rc = SQLITE_OK;
			/* what a table held for TO belonged to no directory user
			 * (failed attempts of an unknown name): it goes */
			if (strcmp(t, "dir_user"))
				rc = run_on_table(ds, "DELETE FROM", t, "WHERE user = ?", to, NULL,
						  &changed);
			if (rc == SQLITE_OK)
				rc = run_on_table(ds, "UPDATE", t, "SET user = ? WHERE user = ?", to,
						  from, &changed);
			if (rc != SQLITE_OK)
				return store_fail(ds->st, rc, "cannot rename in");
			*rows += changed;
		}
	}
	return ST_OK;
}

bool dir_uid_tombstoned(struct dir_store *ds, long long uid)
{
	long long v;
	bool found = false;
	one_ll(ds, Q_TOMBSTONED, NULL, uid, &v, &found);
	return found;
}

bool dir_id_taken(struct dir_store *ds, long long id)
{
	long long v;
	bool found = false;
	one_ll(ds, Q_ID_TAKEN, NULL, id, &v, &found);
	return found || dir_uid_tombstoned(ds, id);
}

enum store_status dir_tombstone_add(struct dir_store *ds, long long uid, const char *user,
				    int64_t now)
{
	return write_status(ds, run(ds, Q_TOMBSTONE_ADD, "isi", uid, user, (long long)now));
}

enum store_status dir_report_add(struct dir_store *ds, const struct deletion_row *r)
{
	return write_status(ds, run(ds, Q_REPORT_ADD, "siiiiss", r->user, r->uid,
				   (long long)r->deactivated_at, (long long)r->purged_at,
				   r->records, r->rule, r->admin));
}

enum store_status dir_report_foreach(struct dir_store *ds, deletion_fn fn, void *ctx)
{
	sqlite3_stmt *q;
	int rc = prep(ds, Q_REPORT_ALL, &q);
	if (rc != SQLITE_OK)
		return store_fail(ds->st, rc, "cannot read");
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct deletion_row r;
		memset(&r, 0, sizeof(r));
		r.id = sqlite3_column_int64(q, 0);
		snprintf(r.user, sizeof(r.user), "%s", col_text(q, 1));
		r.uid = sqlite3_column_int64(q, 2);
		r.deactivated_at = sqlite3_column_int64(q, 3);
		r.purged_at = sqlite3_column_int64(q, 4);
		r.records = sqlite3_column_int64(q, 5);
		snprintf(r.rule, sizeof(r.rule), "%s", col_text(q, 6));
		snprintf(r.admin, sizeof(r.admin), "%s", col_text(q, 7));
		if (fn(&r, ctx))
			break;
	}
	done(q);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? ST_OK : store_fail(ds->st, rc, "cannot read");
}

long long dir_meta_get(struct dir_store *ds, const char *key, long long dflt)
{
	long long v;
	bool found;
	if (one_ll(ds, Q_META_GET, key, 0, &v, &found) != SQLITE_OK || !found)
		return dflt;
	return v;
}

enum store_status dir_meta_set(struct dir_store *ds, const char *key, long long v)
{
	return write_status(ds, run(ds, Q_META_SET, "si", key, v));
}
