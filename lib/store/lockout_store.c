/* The lockout feature's part of the state store: one tally row per user
 * (failure times, lock state, counters) and its schema part. Every function
 * works inside the caller's transaction when there is one. */
#include <config.h>
#include "store/lockout_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/schema_parts.h"
#include "store/store_sql.h"

/* The columns of a tally row as step 1 created them (the text of a
 * released step never changes). */
#define TALLY_TABLE(name)                                                          \
	"CREATE TABLE " name " ("                                                   \
	"  user TEXT PRIMARY KEY NOT NULL,"                                         \
	"  fails BLOB NOT NULL DEFAULT x''," /* little-endian int64 times */        \
	"  locked_until INTEGER NOT NULL DEFAULT 0,"                                \
	"  reset_seq INTEGER NOT NULL DEFAULT 0,"                                   \
	"  lock_level INTEGER NOT NULL DEFAULT 0,"                                  \
	"  last_lock INTEGER NOT NULL DEFAULT 0,"                                   \
	"  attempts INTEGER NOT NULL DEFAULT 0,"                                    \
	"  refused INTEGER NOT NULL DEFAULT 0,"                                     \
	"  last_success INTEGER NOT NULL DEFAULT 0,"                                \
	"  period_start INTEGER NOT NULL DEFAULT 0,"                                \
	"  period_fails INTEGER NOT NULL DEFAULT 0"                                 \
	") WITHOUT ROWID"
#define ADD_LOCK_REFUSED(name) \
	"ALTER TABLE " name " ADD COLUMN lock_refused INTEGER NOT NULL DEFAULT 0"

static const char *const lockout_steps[] = {
	/* 1: failures and locks, one row per user */
	TALLY_TABLE("tally"),
	/* 2: refusals during the lock in force (recorded as one count) */
	ADD_LOCK_REFUSED("tally"),
	/* 3: wrong second-factor codes of accounts the tally never locks */
	TALLY_TABLE("code_tally") ";" ADD_LOCK_REFUSED("code_tally"),
};
static const char *const lockout_user_tables[] = { "tally", "code_tally" };

#define PG_TALLY_TABLE(name)                                                       \
	"CREATE TABLE " name " ("                                                   \
	"  \"user\" TEXT PRIMARY KEY,"                                              \
	"  fails BYTEA NOT NULL DEFAULT '\\x'::bytea,"                              \
	"  locked_until BIGINT NOT NULL DEFAULT 0,"                                 \
	"  reset_seq BIGINT NOT NULL DEFAULT 0,"                                    \
	"  lock_level BIGINT NOT NULL DEFAULT 0,"                                   \
	"  last_lock BIGINT NOT NULL DEFAULT 0,"                                    \
	"  attempts BIGINT NOT NULL DEFAULT 0,"                                     \
	"  refused BIGINT NOT NULL DEFAULT 0,"                                      \
	"  last_success BIGINT NOT NULL DEFAULT 0,"                                 \
	"  period_start BIGINT NOT NULL DEFAULT 0,"                                 \
	"  period_fails BIGINT NOT NULL DEFAULT 0,"                                 \
	"  lock_refused BIGINT NOT NULL DEFAULT 0)"

static const char *const lockout_pg_steps[] = {
	/* 1: the layout of SQLite step 3 */
	PG_TALLY_TABLE("tally") ";" PG_TALLY_TABLE("code_tally"),
};

/* Stored as "core" (the first part, older than the others): the name is
 * the key of its version in every existing store, so it stays. */
const struct schema_part lockout_schema_part = {
	.name = "core",
	.steps = lockout_steps,
	.nsteps = ARRAY_SIZE(lockout_steps),
	.user_tables = lockout_user_tables,
	.nuser_tables = ARRAY_SIZE(lockout_user_tables),
	.pg_steps = lockout_pg_steps,
	.pg_nsteps = ARRAY_SIZE(lockout_pg_steps),
};

static void pack_fails(const struct tally *t, unsigned char *buf)
{
	for (unsigned i = 0; i < t->nfails; i++) {
		uint64_t v = (uint64_t)t->fails[i];
		for (unsigned b = 0; b < 8; b++)
			buf[i * 8 + b] = (unsigned char)(v >> (8 * b));
	}
}

static int unpack_fails(struct tally *t, const unsigned char *buf, size_t len)
{
	if (len % 8 || len / 8 > SOSAFE_MAX_DENY)
		return -1;
	t->nfails = (unsigned)(len / 8);
	for (unsigned i = 0; i < t->nfails; i++) {
		uint64_t v = 0;
		for (unsigned b = 0; b < 8; b++)
			v |= (uint64_t)buf[i * 8 + b] << (8 * b);
		t->fails[i] = (int64_t)v;
	}
	return 0;
}

#define TALLY_COLS "fails, locked_until, reset_seq, lock_level, last_lock, attempts, refused, last_success, period_start, period_fails, lock_refused"

static int row_to_tally(struct sql_stmt *q, int col, struct tally *t)
{
	memset(t, 0, sizeof(*t));
	size_t n;
	const void *blob = sql_col_blob(q, col, &n);
	if (unpack_fails(t, blob, n))
		return -1;
	t->locked_until = sql_col_int64(q, col + 1);
	t->reset_seq = sql_col_int64(q, col + 2);
	int64_t level = sql_col_int64(q, col + 3);
	t->last_lock = sql_col_int64(q, col + 4);
	t->attempts = sql_col_int64(q, col + 5);
	t->refused = sql_col_int64(q, col + 6);
	t->last_success = sql_col_int64(q, col + 7);
	t->period_start = sql_col_int64(q, col + 8);
	t->period_fails = sql_col_int64(q, col + 9);
	t->lock_refused = sql_col_int64(q, col + 10);
	if (level < 0 || level > 1000 || t->locked_until < 0 || t->attempts < 0 ||
	    t->lock_refused < 0)
		return -1;
	t->lock_level = (unsigned)level;
	return 0;
}

static enum store_status tally_get(struct store *st, const char *sql, const char *user,
				   struct tally *t)
{
	struct sql_stmt *q;
	memset(t, 0, sizeof(*t));
	enum store_status s = sql_query(st, sql, &SQL_TEXT(user), 1, &q, "cannot read");
	if (s == ST_OK)
		s = sql_step(st, q, "cannot read");
	if (s == ST_OK && row_to_tally(q, 0, t))
		s = sql_error(st, ST_CORRUPT, "state store %s has a malformed tally row (%s)",
			      store_path(st), store_status_advice(ST_CORRUPT));
	sql_release(st, q);
	return s;
}

static enum store_status tally_put(struct store *st, const char *sql, const char *user,
				   const struct tally *t)
{
	unsigned char buf[SOSAFE_MAX_DENY * 8];
	pack_fails(t, buf);
	return sql_run(st, "cannot write", NULL, sql, SQL_TEXT(user), SQL_BLOB(buf, t->nfails * 8),
		       SQL_INT(t->locked_until), SQL_INT(t->reset_seq), SQL_INT(t->lock_level),
		       SQL_INT(t->last_lock), SQL_INT(t->attempts), SQL_INT(t->refused),
		       SQL_INT(t->last_success), SQL_INT(t->period_start), SQL_INT(t->period_fails),
		       SQL_INT(t->lock_refused));
}

#define TALLY_GET(table) "SELECT " TALLY_COLS " FROM " table " WHERE \"user\" = ?"
#define TALLY_PUT(table) \
	"INSERT INTO " table " (\"user\", " TALLY_COLS ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)" \
	" ON CONFLICT (\"user\") DO UPDATE SET " TALLY_SET
/* every column of the row: the put replaces it whole */
#define TALLY_SET \
	"fails = excluded.fails, locked_until = excluded.locked_until," \
	" reset_seq = excluded.reset_seq, lock_level = excluded.lock_level," \
	" last_lock = excluded.last_lock, attempts = excluded.attempts," \
	" refused = excluded.refused, last_success = excluded.last_success," \
	" period_start = excluded.period_start, period_fails = excluded.period_fails," \
	" lock_refused = excluded.lock_refused"

enum store_status store_tally_get(struct store *st, const char *user, struct tally *t)
{
	return tally_get(st, TALLY_GET("tally"), user, t);
}

enum store_status store_tally_put(struct store *st, const char *user, const struct tally *t)
{
	return tally_put(st, TALLY_PUT("tally"), user, t);
}

enum store_status store_code_tally_get(struct store *st, const char *user, struct tally *t)
{
	return tally_get(st, TALLY_GET("code_tally"), user, t);
}

enum store_status store_code_tally_put(struct store *st, const char *user, const struct tally *t)
{
	return tally_put(st, TALLY_PUT("code_tally"), user, t);
}

enum store_status store_code_tally_delete(struct store *st, const char *user)
{
	return sql_run(st, "cannot write", NULL, "DELETE FROM code_tally WHERE \"user\" = ?",
		       SQL_TEXT(user));
}

enum store_status store_tally_foreach(struct store *st, store_tally_fn fn, void *ctx)
{
	struct sql_stmt *q;
	enum store_status s = sql_prepare(st, "SELECT \"user\", " TALLY_COLS " FROM tally ORDER BY \"user\"",
					  &q, "cannot read");
	while (s == ST_OK && (s = sql_step(st, q, "cannot read")) == ST_OK) {
		struct tally t;
		const char *user = sql_text(q, 0);
		if (!user || row_to_tally(q, 1, &t))
			s = sql_error(st, ST_CORRUPT, "malformed tally row in %s", store_path(st));
		else if (fn(user, &t, ctx))
			break;
	}
	sql_release(st, q);
	return s == ST_NOTFOUND ? ST_OK : s;
}

struct idle_names {
	const struct lock_policy *p;
	int64_t now;
	char **v;
	size_t n;
	bool oom;
};

static int collect_idle(const char *user, const struct tally *t, void *ctx)
{
	struct idle_names *in = ctx;
	if (!lockout_is_idle(in->p, t, in->now))
		return 0;
	char **v = realloc(in->v, (in->n + 1) * sizeof(*v));
	if (!v || !(v[in->n] = strdup(user))) {
		if (v)
			in->v = v;
		in->oom = true;
		return 1;
	}
	in->v = v;
	in->n++;
	return 0;
}

enum store_status store_tally_prune_idle(struct store *st, const struct lock_policy *p,
					 int64_t now, long *pruned)
{
	struct idle_names in = { .p = p, .now = now };
	*pruned = 0;
	/* collect first: no deletes while a SELECT walks the same table */
	enum store_status s = store_tally_foreach(st, collect_idle, &in);
	if (s == ST_OK && in.oom)
		s = sql_error(st, ST_NOMEM, "cannot read %s: out of memory", store_path(st));
	for (size_t i = 0; s == ST_OK && i < in.n; i++) {
		long n = 0;
		s = sql_run(st, "cannot write", &n, "DELETE FROM tally WHERE \"user\" = ?", SQL_TEXT(in.v[i]));
		*pruned += n;
	}
	for (size_t i = 0; i < in.n; i++)
		free(in.v[i]);
	free(in.v);
	return s;
}
