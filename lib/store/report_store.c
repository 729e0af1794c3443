/* Queries of the access-review report (see report_store.h). */
#include <config.h>
#include "store/report_store.h"

#include <stdio.h>
#include <stdlib.h>

#include "store/store_sql.h"

struct report_cursor {
	struct store *st;
	struct sql_stmt *rows, *locks, *add_local;
	int64_t locks_since;
};

/* The local accounts live in a temporary table of this connection (it works
 * on a read-only store too): the rows come out of one ordered query. */
static const char local_table[] =
	"CREATE TEMP TABLE IF NOT EXISTS report_local (\"user\" TEXT PRIMARY KEY NOT NULL);"
	"DELETE FROM report_local";

/* What the report shows of each account: local ones (dir = 0) and directory
 * users (dir = 1); per-user state is keyed by name, so it shows on both rows
 * of a name that is both. */
static const char report_rows[] =
	"WITH u(name, dir) AS (SELECT \"user\", 0 FROM report_local"
	"  UNION ALL SELECT \"user\", 1 FROM dir_user)"
	" SELECT u.name, u.dir, COALESCE(d.deactivated_at, 0),"
	"  COALESCE(t.locked_until, 0), CASE WHEN o.\"user\" IS NULL THEN 0 ELSE 1 END,"
	"  (SELECT count(*) FROM otp_recovery r WHERE r.\"user\" = u.name AND r.used_at = 0),"
	"  COALESCE(t.last_success, 0), COALESCE(rv.time, 0), COALESCE(rv.reviewer, '')"
	" FROM u LEFT JOIN tally t ON t.\"user\" = u.name LEFT JOIN otp o ON o.\"user\" = u.name"
	"  LEFT JOIN dir_user d ON u.dir = 1 AND d.\"user\" = u.name"
	"  LEFT JOIN review rv ON rv.\"user\" = u.name"
	" ORDER BY u.name, u.dir";

enum store_status report_open(struct store *st, int64_t locks_since, struct report_cursor **out)
{
	*out = NULL;
	struct report_cursor *c = calloc(1, sizeof(*c));
	if (!c)
		return sql_error(st, ST_NOMEM, "out of memory");
	c->st = st;
	c->locks_since = locks_since;
	enum store_status s = sql_exec(st, local_table, "cannot list the local accounts in");
	if (s == ST_OK)
		s = sql_prepare(st, "INSERT INTO report_local VALUES (?) ON CONFLICT DO NOTHING", &c->add_local,
				"cannot list the local accounts in");
	if (s == ST_OK)
		s = sql_prepare(st, "SELECT count(*) FROM audit WHERE event = 'lock' AND time >= ?"
				" AND (\"user\" = ? OR \"user\" = ?)", &c->locks, "cannot read");
	if (s != ST_OK) {
		report_close(c);
		return s;
	}
	*out = c;
	return ST_OK;
}

enum store_status report_add_local(struct report_cursor *c, const char *user)
{
	const struct sql_arg args[] = { SQL_TEXT(user) };
	sql_reset(c->add_local);
	enum store_status s = sql_bind(c->st, c->add_local, args, ARRAY_SIZE(args),
				       "cannot list the local accounts in");
	if (s == ST_OK)
		s = sql_step(c->st, c->add_local, "cannot list the local accounts in");
	sql_reset(c->add_local);
	return s == ST_NOTFOUND ? ST_OK : s;
}

enum store_status report_next(struct report_cursor *c, struct report_row *row)
{
	if (!c->rows) {
		enum store_status s = sql_prepare(c->st, report_rows, &c->rows, "cannot read");
		if (s != ST_OK)
			return s;
	}
	struct sql_stmt *q = c->rows;
	enum store_status s = sql_step(c->st, q, "cannot read");
	if (s != ST_OK)
		return s;
	*row = (struct report_row){
		.user = sql_text(q, 0),
		.directory = sql_col_int(q, 1),
		.deactivated_at = sql_col_int64(q, 2),
		.locked_until = sql_col_int64(q, 3),
		.totp = sql_col_int(q, 4),
		.recovery_left = (long)sql_col_int64(q, 5),
		.last_success = sql_col_int64(q, 6),
		.review_time = sql_col_int64(q, 7),
		.reviewer = sql_text(q, 8),
	};
	return ST_OK;
}

long report_locks(struct report_cursor *c, const char *user, const char *alias)
{
	const struct sql_arg args[] = { SQL_INT(c->locks_since), SQL_TEXT(user), SQL_TEXT(alias) };
	sql_reset(c->locks);
	long n = -1;
	if (sql_bind(c->st, c->locks, args, ARRAY_SIZE(args), "cannot read") == ST_OK &&
	    sql_step(c->st, c->locks, "cannot read") == ST_OK)
		n = (long)sql_col_int64(c->locks, 0);
	sql_reset(c->locks);
	return n;
}

void report_close(struct report_cursor *c)
{
	if (!c)
		return;
	sql_release(c->st, c->rows);
	sql_release(c->st, c->locks);
	sql_release(c->st, c->add_local);
	free(c);
}

enum store_status report_review_put(struct store *st, const char *user, int64_t time,
				    const char *by)
{
	return sql_run(st, "cannot record review in", NULL,
		       "INSERT INTO review (\"user\", time, reviewer) VALUES (?, ?, ?)"
		       " ON CONFLICT (\"user\") DO UPDATE SET time = excluded.time,"
		       " reviewer = excluded.reviewer", SQL_TEXT(user), SQL_INT(time),
		       SQL_TEXT(by));
}
