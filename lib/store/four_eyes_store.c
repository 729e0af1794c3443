/* Queries on four_eyes_request (the table is in four_eyes_schema.c). */
#include <config.h>
#include "store/four_eyes_store.h"

#include <sqlite3.h>
#include <string.h>

#include "base/util.h"

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

static enum store_status prepare(struct store *st, const char *sql, sqlite3_stmt **q)
{
	int rc = sqlite3_prepare_v2(store_db(st), sql, -1, q, NULL);
	return rc == SQLITE_OK ? ST_OK : store_fail(st, rc, "cannot query four-eyes requests in");
}

static int copy_col(sqlite3_stmt *q, int i, char *out, size_t len)
{
	const char *s = (const char *)sqlite3_column_text(q, i);
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
static enum store_status read_row(struct store *st, sqlite3_stmt *q, struct four_eyes_request *r)
{
	memset(r, 0, sizeof(*r));
	r->id = sqlite3_column_int64(q, 0);
	if (copy_col(q, 1, r->action, sizeof(r->action)) || copy_col(q, 2, r->args, sizeof(r->args)) ||
	    copy_col(q, 3, r->target, sizeof(r->target)) ||
	    copy_col(q, 4, r->requester, sizeof(r->requester)) ||
	    copy_col(q, 5, r->requester_login, sizeof(r->requester_login)) ||
	    state_parse((const char *)sqlite3_column_text(q, 6), &r->state) ||
	    copy_col(q, 7, r->decided_by, sizeof(r->decided_by)))
		return store_fail(st, SQLITE_CORRUPT, "malformed four-eyes request in");
	r->created = sqlite3_column_int64(q, 8);
	r->expires = sqlite3_column_int64(q, 9);
	r->decided = sqlite3_column_int64(q, 10);
	return ST_OK;
}

enum store_status four_eyes_add(struct store *st, const struct four_eyes_request *r, long long *id)
{
	sqlite3_stmt *q = NULL;
	enum store_status s = prepare(st, "INSERT INTO four_eyes_request (action, args, target, requester,"
				      " requester_login, created, expires) VALUES (?, ?, ?, ?, ?, ?, ?)", &q);
	if (s != ST_OK)
		return s;
	sqlite3_bind_text(q, 1, r->action, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, r->args, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, r->target, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 4, r->requester, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 5, r->requester_login, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 6, r->created);
	sqlite3_bind_int64(q, 7, r->expires);
	int rc = sqlite3_step(q);
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE)
		return store_fail(st, rc, "cannot record the request in");
	*id = (long long)sqlite3_last_insert_rowid(store_db(st));
	return ST_OK;
}

enum store_status four_eyes_get(struct store *st, long long id, struct four_eyes_request *r)
{
	sqlite3_stmt *q = NULL;
	memset(r, 0, sizeof(*r));
	enum store_status s = prepare(st, "SELECT " REQUEST_COLUMNS " FROM four_eyes_request WHERE id = ?",
				      &q);
	if (s != ST_OK)
		return s;
	sqlite3_bind_int64(q, 1, id);
	int rc = sqlite3_step(q);
	if (rc == SQLITE_ROW)
		s = read_row(st, q, r);
	else
		s = rc == SQLITE_DONE ? ST_NOTFOUND : store_fail(st, rc, "cannot read the request in");
	sqlite3_finalize(q);
	return s;
}

/* Run an UPDATE that decides one request; ST_NOTFOUND if it matched none. */
static enum store_status decide(struct store *st, sqlite3_stmt *q)
{
	int rc = sqlite3_step(q);
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE)
		return store_fail(st, rc, "cannot update the request in");
	return sqlite3_changes(store_db(st)) == 1 ? ST_OK : ST_NOTFOUND;
}

enum store_status four_eyes_claim(struct store *st, long long id, const char *by, int64_t now)
{
	sqlite3_stmt *q = NULL;
	enum store_status s = prepare(st, "UPDATE four_eyes_request SET state = 'done', decided_by = ?1,"
				      " decided = ?2 WHERE id = ?3 AND state = 'pending' AND expires > ?2"
				      " AND requester != ?1", &q);
	if (s != ST_OK)
		return s;
	sqlite3_bind_text(q, 1, by, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, now);
	sqlite3_bind_int64(q, 3, id);
	return decide(st, q);
}

enum store_status four_eyes_deny(struct store *st, long long id, const char *by, int64_t now)
{
	sqlite3_stmt *q = NULL;
	enum store_status s = prepare(st, "UPDATE four_eyes_request SET state = 'denied', decided_by = ?,"
				      " decided = ? WHERE id = ? AND state = 'pending'", &q);
	if (s != ST_OK)
		return s;
	sqlite3_bind_text(q, 1, by, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, now);
	sqlite3_bind_int64(q, 3, id);
	return decide(st, q);
}

/* Call FN for every row of Q (REQUEST_COLUMNS); stops at FN's non-zero
 * with ST_ERROR. Finalizes Q. */
static enum store_status each_row(struct store *st, sqlite3_stmt *q, four_eyes_fn fn, void *ctx)
{
	struct four_eyes_request *r = sqlite3_malloc(sizeof(*r));
	enum store_status s = r ? ST_OK : ST_NOMEM;
	int rc = SQLITE_DONE;
	while (s == ST_OK && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		s = read_row(st, q, r);
		if (s == ST_OK && fn(r, ctx))
			s = ST_ERROR;
	}
	if (s == ST_OK && rc != SQLITE_DONE)
		s = store_fail(st, rc, "cannot read the requests in");
	sqlite3_free(r);
	sqlite3_finalize(q);
	return s;
}

enum store_status four_eyes_expire(struct store *st, int64_t now, four_eyes_fn fn, void *ctx)
{
	sqlite3_stmt *q = NULL;
	enum store_status s = prepare(st, "SELECT " REQUEST_COLUMNS " FROM four_eyes_request"
				      " WHERE state = 'pending' AND expires <= ? ORDER BY id", &q);
	if (s != ST_OK)
		return s;
	sqlite3_bind_int64(q, 1, now);
	s = each_row(st, q, fn, ctx);
	if (s != ST_OK)
		return s;
	s = prepare(st, "UPDATE four_eyes_request SET state = 'expired', decided = ?1"
		    " WHERE state = 'pending' AND expires <= ?1", &q);
	if (s != ST_OK)
		return s;
	sqlite3_bind_int64(q, 1, now);
	int rc = sqlite3_step(q);
	sqlite3_finalize(q);
	return rc == SQLITE_DONE ? ST_OK : store_fail(st, rc, "cannot expire requests in");
}

enum store_status four_eyes_foreach(struct store *st, bool all, four_eyes_fn fn, void *ctx)
{
	sqlite3_stmt *q = NULL;
	enum store_status s = prepare(st, all ? "SELECT " REQUEST_COLUMNS " FROM four_eyes_request"
						" ORDER BY id"
					      : "SELECT " REQUEST_COLUMNS " FROM four_eyes_request"
						" WHERE state = 'pending' ORDER BY id", &q);
	if (s != ST_OK)
		return s;
	return each_row(st, q, fn, ctx);
}
