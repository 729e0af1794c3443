/* Queries on four_eyes_request (the table is in four_eyes_schema.c). */
#include <config.h>
#include "store/four_eyes_store.h"

#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "store/store_sql.h"

static const char *const state_names[] = { "pending", "done", "denied", "expired" };

const char *four_eyes_state_name(enum four_eyes_state s)
{
	return (unsigned)s < ARRAY_SIZE(state_names) ? state_names[s] : "?";
}

static int state_parse(const char *s, enum four_eyes_state *out)
{
	for (unsigned i = 0; s && i < ARRAY_SIZE(state_names); i++)
		if (!strcmp(s, state_names[i])) {
			*out = (enum four_eyes_state)i;
			return 0;
		}
	return -1;
}

static int copy_col(struct sql_stmt *q, int i, char *out, size_t len)
{
	const char *s = sql_text(q, i);
	size_t n = s ? strlen(s) : 0;
	if (!s || n >= len)
		return -1;
	memcpy(out, s, n + 1);
	return 0;
}

#define REQUEST_COLUMNS \
	"id, action, args, target, requester, requester_login, state, decided_by, created, expires," \
	" decided"

/* One row of REQUEST_COLUMNS into R. */
static enum store_status read_row(struct store *st, struct sql_stmt *q, struct four_eyes_request *r)
{
	memset(r, 0, sizeof(*r));
	r->id = sql_col_int64(q, 0);
	if (copy_col(q, 1, r->action, sizeof(r->action)) || copy_col(q, 2, r->args, sizeof(r->args)) ||
	    copy_col(q, 3, r->target, sizeof(r->target)) ||
	    copy_col(q, 4, r->requester, sizeof(r->requester)) ||
	    copy_col(q, 5, r->requester_login, sizeof(r->requester_login)) ||
	    state_parse(sql_text(q, 6), &r->state) ||
	    copy_col(q, 7, r->decided_by, sizeof(r->decided_by)))
		return sql_error(st, ST_CORRUPT, "%s: four-eyes request %lld is malformed (run: sosafectl check)",
				 store_path(st), r->id);
	r->created = sql_col_int64(q, 8);
	r->expires = sql_col_int64(q, 9);
	r->decided = sql_col_int64(q, 10);
	return ST_OK;
}

enum store_status four_eyes_add(struct store *st, const struct four_eyes_request *r, long long *id)
{
	static const char what[] = "cannot record the request in";
	struct sql_stmt *q = NULL;
	enum store_status s = SQL_QUERY(st, what, &q,
		"INSERT INTO four_eyes_request (action, args, target, requester, requester_login, created,"
		" expires) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
		SQL_TEXT(r->action), SQL_TEXT(r->args), SQL_TEXT(r->target), SQL_TEXT(r->requester),
		SQL_TEXT(r->requester_login), SQL_INT(r->created), SQL_INT(r->expires));
	if (s == ST_OK)
		s = sql_step(st, q, what);
	if (s == ST_OK)
		*id = (long long)sql_col_int64(q, 0);
	else if (s == ST_NOTFOUND)
		s = sql_error(st, ST_ERROR, "%s %s: no id returned", what, store_path(st));
	sql_release(st, q);
	return s;
}

enum store_status four_eyes_get(struct store *st, long long id, struct four_eyes_request *r)
{
	static const char what[] = "cannot read the request in";
	struct sql_stmt *q = NULL;
	memset(r, 0, sizeof(*r));
	enum store_status s = sql_query(st, "SELECT " REQUEST_COLUMNS " FROM four_eyes_request WHERE id = ?",
					&SQL_INT(id), 1, &q, what);
	if (s == ST_OK)
		s = sql_step(st, q, what);
	if (s == ST_OK)
		s = read_row(st, q, r);
	sql_release(st, q);
	return s;
}

/* Run SQL, an UPDATE deciding request ID (parameters: BY, NOW, ID);
 * ST_NOTFOUND if it matched none. */
static enum store_status decide(struct store *st, const char *what, const char *sql, const char *by,
				int64_t now, long long id)
{
	long n = 0;
	enum store_status s = sql_run(st, what, &n, sql, SQL_TEXT(by), SQL_INT(now), SQL_INT(id));
	return s == ST_OK && n != 1 ? ST_NOTFOUND : s;
}

enum store_status four_eyes_claim(struct store *st, long long id, const char *by, int64_t now)
{
	return decide(st, "cannot claim the request in",
		      "UPDATE four_eyes_request SET state = 'done', decided_by = ?1, decided = ?2"
		      " WHERE id = ?3 AND state = 'pending' AND expires > ?2 AND requester != ?1",
		      by, now, id);
}

enum store_status four_eyes_deny(struct store *st, long long id, const char *by, int64_t now)
{
	return decide(st, "cannot deny the request in",
		      "UPDATE four_eyes_request SET state = 'denied', decided_by = ?1, decided = ?2"
		      " WHERE id = ?3 AND state = 'pending'", by, now, id);
}

/* Call FN for every row of SQL (REQUEST_COLUMNS, with ARGS); stops at FN's
 * non-zero with ST_ERROR. */
static enum store_status each_row(struct store *st, const char *sql, const struct sql_arg *args,
				  unsigned nargs, four_eyes_fn fn, void *ctx)
{
	static const char what[] = "cannot read the requests in";
	struct four_eyes_request *r = malloc(sizeof(*r));
	struct sql_stmt *q = NULL;
	enum store_status s = r ? sql_prepare(st, sql, &q, what) : ST_NOMEM;
	if (s == ST_OK)
		s = sql_bind(st, q, args, nargs, what);
	while (s == ST_OK && (s = sql_step(st, q, what)) == ST_OK) {
		s = read_row(st, q, r);
		if (s == ST_OK && fn(r, ctx))
			s = sql_error(st, ST_ERROR, "four-eyes requests: walk given up");
	}
	sql_release(st, q);
	free(r);
	return s == ST_NOTFOUND ? ST_OK : s;
}

enum store_status four_eyes_expire(struct store *st, int64_t now, four_eyes_fn fn, void *ctx)
{
	const struct sql_arg at[] = { SQL_INT(now) };
	enum store_status s = each_row(st, "SELECT " REQUEST_COLUMNS " FROM four_eyes_request"
				       " WHERE state = 'pending' AND expires <= ? ORDER BY id", at, 1, fn, ctx);
	if (s != ST_OK)
		return s;
	return sql_run(st, "cannot expire requests in", NULL,
		       "UPDATE four_eyes_request SET state = 'expired', decided = ?1"
		       " WHERE state = 'pending' AND expires <= ?1", SQL_INT(now));
}

enum store_status four_eyes_foreach(struct store *st, bool all, four_eyes_fn fn, void *ctx)
{
	return each_row(st, all ? "SELECT " REQUEST_COLUMNS " FROM four_eyes_request ORDER BY id"
				: "SELECT " REQUEST_COLUMNS " FROM four_eyes_request"
				  " WHERE state = 'pending' ORDER BY id", NULL, 0, fn, ctx);
}
