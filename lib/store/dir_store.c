/* The directory lifecycle's queries (see dir_store.h). */
#include <config.h>
#include "store/dir_store.h"

#include <stdio.h>
#include <string.h>

#include "store/secret_store.h"
#include "store/store_sql.h"

#define USER_COLS "\"user\", uid, gid, first_seen, deactivated_at, reason"

/* The first row of SQL with its one parameter ARG in *Q (release it in any
 * case); ST_NOTFOUND if there is none. */
static enum store_status first_row(struct store *st, const char *sql, const char *arg,
				   struct sql_stmt **q)
{
	enum store_status r = sql_query(st, sql, &SQL_TEXT(arg), 1, q, "cannot read");
	return r == ST_OK ? sql_step(st, *q, "cannot read") : r;
}

enum store_status dir_user_get(struct store *st, const char *user, struct dir_state *s)
{
	struct sql_stmt *q = NULL;
	memset(s, 0, sizeof(*s));
	enum store_status r = first_row(st, "SELECT uid, first_seen, deactivated_at FROM dir_user "
					"WHERE \"user\" = ?", user, &q);
	if (r == ST_OK) {
		s->uid = sql_col_int64(q, 0);
		s->first_seen = sql_col_int64(q, 1);
		s->deactivated_at = sql_col_int64(q, 2);
	}
	sql_release(st, q);
	return r;
}

enum store_status dir_user_ext_id(struct store *st, const char *user, char *buf, size_t len)
{
	struct sql_stmt *q = NULL;
	buf[0] = 0;
	enum store_status r = first_row(st, "SELECT ext_id FROM dir_user WHERE \"user\" = ?", user, &q);
	if (r == ST_OK)
		snprintf(buf, len, "%s", sql_text(q, 0));
	sql_release(st, q);
	return r == ST_NOTFOUND ? ST_OK : r;
}

enum store_status dir_user_by_ext_id(struct store *st, const char *ext_id, char *name,
				     size_t len, long long *uid)
{
	struct sql_stmt *q = NULL;
	enum store_status r = first_row(st, "SELECT \"user\", uid FROM dir_user WHERE ext_id = ?", ext_id,
					&q);
	if (r == ST_OK) {
		snprintf(name, len, "%s", sql_text(q, 0));
		*uid = sql_col_int64(q, 1);
	}
	sql_release(st, q);
	return r;
}

enum store_status dir_user_insert(struct store *st, const char *user, long long uid,
				  long long gid, int64_t now, const char *ext_id)
{
	/* no stable id: a NULL blob binds SQL NULL */
	struct sql_arg id = ext_id ? SQL_TEXT(ext_id) : SQL_NULL;
	return sql_run(st, "cannot write", NULL, "INSERT INTO dir_user (\"user\", uid, gid, first_seen, "
		       "ext_id) VALUES (?, ?, ?, ?, ?)", SQL_TEXT(user), SQL_INT(uid), SQL_INT(gid),
		       SQL_INT(now), id);
}

enum store_status dir_user_set_ext_id(struct store *st, const char *user, const char *ext_id)
{
	return sql_run(st, "cannot write", NULL, "UPDATE dir_user SET ext_id = ? WHERE \"user\" = ?",
		       SQL_TEXT(ext_id), SQL_TEXT(user));
}

enum store_status dir_user_set_gid(struct store *st, const char *user, long long gid)
{
	return sql_run(st, "cannot write", NULL, "UPDATE dir_user SET gid = ? WHERE \"user\" = ?",
		       SQL_INT(gid), SQL_TEXT(user));
}

enum store_status dir_user_reactivate(struct store *st, const char *user)
{
	return sql_run(st, "cannot write", NULL, "UPDATE dir_user SET deactivated_at = 0, "
		       "reason = '' WHERE \"user\" = ?", SQL_TEXT(user));
}

enum store_status dir_user_deactivate(struct store *st, const char *user, int64_t now,
				      const char *why)
{
	return sql_run(st, "cannot write", NULL, "UPDATE dir_user SET deactivated_at = ?, "
		       "reason = ? WHERE \"user\" = ?", SQL_INT(now), SQL_TEXT(why), SQL_TEXT(user));
}

static enum store_status walk(struct store *st, const char *sql, const struct sql_arg *args,
			      unsigned nargs, dir_row_fn fn, void *ctx)
{
	struct sql_stmt *q;
	enum store_status r = sql_query(st, sql, args, nargs, &q, "cannot read");
	while (r == ST_OK) {
		r = sql_step(st, q, "cannot read");
		if (r != ST_OK)
			break;
		struct dir_row row = {
			.user = sql_text(q, 0),
			.uid = sql_col_int64(q, 1),
			.gid = sql_col_int64(q, 2),
			.first_seen = sql_col_int64(q, 3),
			.deactivated_at = sql_col_int64(q, 4),
			.reason = sql_text(q, 5),
		};
		if (fn(&row, ctx))
			break;
	}
	sql_release(st, q);
	return r == ST_NOTFOUND ? ST_OK : r;
}

enum store_status dir_users_foreach(struct store *st, dir_row_fn fn, void *ctx)
{
	return walk(st, "SELECT " USER_COLS " FROM dir_user ORDER BY \"user\"", NULL, 0, fn, ctx);
}

enum store_status dir_users_active_foreach(struct store *st, dir_row_fn fn, void *ctx)
{
	return walk(st, "SELECT " USER_COLS " FROM dir_user WHERE deactivated_at = 0", NULL, 0, fn,
		    ctx);
}

enum store_status dir_users_deactivated_before(struct store *st, int64_t before,
					       dir_row_fn fn, void *ctx)
{
	return walk(st, "SELECT " USER_COLS " FROM dir_user WHERE deactivated_at > 0 AND "
		    "deactivated_at < ? ORDER BY \"user\"", &SQL_INT(before), 1, fn, ctx);
}

enum store_status dir_users_active_count(struct store *st, long long *n)
{
	int64_t v = 0;
	enum store_status r = sql_int(st, "cannot read", &v, "SELECT count(*) FROM dir_user "
				      "WHERE deactivated_at = ?", SQL_INT(0) /* active */);
	*n = v;
	return r == ST_NOTFOUND ? ST_OK : r;
}

enum store_status dir_user_rename(struct store *st, const char *from, const char *to,
				  long *rows)
{
	*rows = 0;
	/* sealed secrets are bound to the name: seal them for TO first */
	enum store_status sr = secret_rebind(st, from, to);
	if (sr != ST_OK)
		return sr;
	for (unsigned i = 0; i < store_schema_nparts; i++) {
		const struct schema_part *p = store_schema_parts[i];
		for (unsigned j = 0; j < p->nuser_tables; j++) {
			const char *t = p->user_tables[j];
			char sql[160];
			long changed = 0;
			enum store_status r = ST_OK;
			/* what a table held for TO belonged to no directory user
			 * (failed attempts of an unknown name): it goes */
			if (strcmp(t, "dir_user")) {
				snprintf(sql, sizeof(sql), "DELETE FROM %s WHERE \"user\" = ?", t);
				r = sql_run(st, "cannot rename in", NULL, sql, SQL_TEXT(to));
			}
			if (r == ST_OK) {
				snprintf(sql, sizeof(sql), "UPDATE %s SET \"user\" = ? WHERE \"user\" = ?", t);
				r = sql_run(st, "cannot rename in", &changed, sql, SQL_TEXT(to),
					    SQL_TEXT(from));
			}
			if (r != ST_OK)
				return r;
			*rows += changed;
		}
	}
	return ST_OK;
}

bool dir_uid_tombstoned(struct store *st, long long uid)
{
	int64_t v;
	return sql_int(st, "cannot read", &v, "SELECT uid FROM uid_tombstone WHERE uid = ?",
		       SQL_INT(uid)) == ST_OK;
}

bool dir_id_taken(struct store *st, long long id)
{
	int64_t v;
	/* two index lookups (dir_user_gid): a scan here made allocation
	 * quadratic, 100k new users took minutes */
	return sql_int(st, "cannot read", &v, "SELECT 1 FROM dir_user WHERE uid = ?1 UNION ALL "
		       "SELECT 1 FROM dir_user WHERE gid = ?1 LIMIT 1", SQL_INT(id)) == ST_OK ||
	       dir_uid_tombstoned(st, id);
}

enum store_status dir_tombstone_add(struct store *st, long long uid, const char *user,
				    int64_t now)
{
	return sql_run(st, "cannot write", NULL, "INSERT INTO uid_tombstone (uid, \"user\", "
		       "purged_at) VALUES (?, ?, ?) ON CONFLICT (uid) DO UPDATE SET "
		       "\"user\" = excluded.\"user\", purged_at = excluded.purged_at", SQL_INT(uid), SQL_TEXT(user), SQL_INT(now));
}

enum store_status dir_report_add(struct store *st, const struct deletion_row *r)
{
	return sql_run(st, "cannot write", NULL, "INSERT INTO deletion_report (\"user\", uid, "
		       "deactivated_at, purged_at, records, rule, admin) VALUES (?, ?, ?, ?, ?, ?, ?)",
		       SQL_TEXT(r->user), SQL_INT(r->uid), SQL_INT(r->deactivated_at),
		       SQL_INT(r->purged_at), SQL_INT(r->records), SQL_TEXT(r->rule),
		       SQL_TEXT(r->admin));
}

enum store_status dir_report_foreach(struct store *st, deletion_fn fn, void *ctx)
{
	struct sql_stmt *q;
	enum store_status s = sql_prepare(st, "SELECT id, \"user\", uid, deactivated_at, purged_at, "
					  "records, rule, admin FROM deletion_report ORDER BY id",
					  &q, "cannot read");
	while (s == ST_OK) {
		s = sql_step(st, q, "cannot read");
		if (s != ST_OK)
			break;
		struct deletion_row r;
		memset(&r, 0, sizeof(r));
		r.id = sql_col_int64(q, 0);
		snprintf(r.user, sizeof(r.user), "%s", sql_text(q, 1));
		r.uid = sql_col_int64(q, 2);
		r.deactivated_at = sql_col_int64(q, 3);
		r.purged_at = sql_col_int64(q, 4);
		r.records = sql_col_int64(q, 5);
		snprintf(r.rule, sizeof(r.rule), "%s", sql_text(q, 6));
		snprintf(r.admin, sizeof(r.admin), "%s", sql_text(q, 7));
		if (fn(&r, ctx))
			break;
	}
	sql_release(st, q);
	return s == ST_NOTFOUND ? ST_OK : s;
}

long long dir_meta_get(struct store *st, const char *key, long long dflt)
{
	int64_t v;
	if (sql_int(st, "cannot read", &v, "SELECT value FROM dir_meta WHERE key = ?",
		    SQL_TEXT(key)) != ST_OK)
		return dflt;
	return v;
}

enum store_status dir_meta_set(struct store *st, const char *key, long long v)
{
	return sql_run(st, "cannot write", NULL, "INSERT INTO dir_meta (key, value) "
		       "VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", SQL_TEXT(key), SQL_INT(v));
}
