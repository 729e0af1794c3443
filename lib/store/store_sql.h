/* The SQL toolkit of the state store, for the repository files in lib/store/
 * only: nothing above lib/store/ includes this header.
 *
 * One dialect for both backends (SQLite and PostgreSQL): "?" or "?N"
 * parameters, UPSERT as INSERT ... ON CONFLICT (...) DO UPDATE/NOTHING,
 * RETURNING instead of last_insert_rowid, integers 0/1 for truth values
 * compared explicitly, and the column "user" always in double quotes
 * (USER is a reserved word in PostgreSQL). Schema steps are per backend
 * (struct schema_part: steps and pg_steps).
 *
 * Statements come from one cache per connection (struct store): prepared on
 * first use, kept for the life of the connection. A login runs the same few
 * queries in preauth, otp and account, and a directory sync runs the same
 * per-user statements for every user; preparing costs far more than running
 * them. Every statement taken with sql_prepare() goes back with
 * sql_release() on every path: that resets it (no open cursor, so no read
 * transaction is kept open) and drops the bindings (no pointer to the
 * caller's strings or secrets stays behind).
 *
 * The connection itself is store_db(); errors of SQLite calls made directly
 * are recorded with store_fail().
 *
 * THREAD SAFETY: like the connection itself, the cache belongs to one
 * thread at a time. */
#ifndef SOSAFE_STORE_SQL_H
#define SOSAFE_STORE_SQL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/util.h"
#include "store/store.h"

struct sql_stmt;

/* SQLite only (store administration): the connection of ST, NULL for
 * another backend; map a SQLite result code to a status and record WHAT
 * (with the path and SQLite's message) for store_error(). */
struct sqlite3 *store_db(struct store *st);
enum store_status store_fail(struct store *st, int sqlite_rc, const char *what);

/* *Q gets the cached statement for SQL (prepared on first use). If that
 * statement is already in use further up the stack, a private one is
 * prepared instead. On failure *Q is NULL and the error is recorded with
 * WHAT ("cannot read", ...) for store_error(). */
enum store_status sql_prepare(struct store *st, const char *sql, struct sql_stmt **q,
			      const char *what);
/* Give Q back (NULL is fine). */
void sql_release(struct store *st, struct sql_stmt *q);
/* Reset Q to run again (bindings dropped), keeping it. */
void sql_reset(struct sql_stmt *q);

/* One bound parameter. Text and blobs are bound without a copy: they must
 * live until the statement is released. */
struct sql_arg {
	enum { SQL_ARG_TEXT, SQL_ARG_INT, SQL_ARG_BLOB, SQL_ARG_NULL } type;
	union {
		const char *text;
		int64_t i;
		struct {
			const void *p;
			int len;
		} blob;
	};
};
#define SQL_TEXT(s) ((struct sql_arg){ .type = SQL_ARG_TEXT, .text = (s) })
#define SQL_INT(v) ((struct sql_arg){ .type = SQL_ARG_INT, .i = (int64_t)(v) })
#define SQL_NULL ((struct sql_arg){ .type = SQL_ARG_NULL })
#define SQL_BLOB(p_, n_) ((struct sql_arg){ .type = SQL_ARG_BLOB, .blob = { (p_), (int)(n_) } })

/* Bind ARGS to parameters 1..N of Q. */
enum store_status sql_bind(struct store *st, struct sql_stmt *q, const struct sql_arg *args,
			   unsigned n, const char *what);

/* sql_prepare then sql_bind: *Q is ready to step. Release *Q in any case
 * (it may be NULL). SQL_QUERY takes the arguments as a list. */
enum store_status sql_query(struct store *st, const char *sql, const struct sql_arg *args,
			    unsigned n, struct sql_stmt **q, const char *what);
#define SQL_QUERY(st, what, q, sql, ...) \
	sql_query(st, sql, (const struct sql_arg[]){ __VA_ARGS__ }, \
		  (unsigned)ARRAY_SIZE(((const struct sql_arg[]){ __VA_ARGS__ })), q, what)

/* Step Q once. SQLITE_ROW gives ST_OK, SQLITE_DONE gives ST_NOTFOUND; any
 * other result is recorded with WHAT. Q is not released. */
enum store_status sql_step(struct store *st, struct sql_stmt *q, const char *what);

/* Prepare SQL, bind ARGS, step to the end (INSERT, UPDATE, DELETE, BEGIN ...)
 * and release. *CHANGES (may be NULL) gets the rows changed. */
enum store_status sql_run_args(struct store *st, const char *what, long *changes,
			       const char *sql, const struct sql_arg *args, unsigned n);
#define sql_run(st, what, changes, sql, ...)                                                \
	sql_run_args(st, what, changes, sql, (const struct sql_arg[]){ __VA_ARGS__ },      \
		     (unsigned)ARRAY_SIZE(((const struct sql_arg[]){ __VA_ARGS__ })))

/* First column of the first row as an integer; ST_NOTFOUND if no row. */
enum store_status sql_int_args(struct store *st, const char *what, int64_t *out, const char *sql,
			       const struct sql_arg *args, unsigned n);
#define sql_int(st, what, out, sql, ...)                                                    \
	sql_int_args(st, what, out, sql, (const struct sql_arg[]){ __VA_ARGS__ },          \
		     (unsigned)ARRAY_SIZE(((const struct sql_arg[]){ __VA_ARGS__ })))

/* Run one or more statements without parameters, uncached (schema steps). */
enum store_status sql_exec(struct store *st, const char *sql, const char *what);

/* Columns of the current row (the first is 0). Text: "" for NULL. A blob
 * and its length (NULL and 0 for NULL); the pointer stays valid until the
 * next step or the release of Q. */
const char *sql_text(struct sql_stmt *q, int col);
int64_t sql_col_int64(struct sql_stmt *q, int col);
int sql_col_int(struct sql_stmt *q, int col);
const void *sql_col_blob(struct sql_stmt *q, int col, size_t *len);
bool sql_col_null(struct sql_stmt *q, int col);

/* Record a message for store_error() and return S (store_fail() records a
 * SQLite result instead). */
enum store_status sql_error(struct store *st, enum store_status s, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* SQLite only: the status of a result code (SQLITE_ROW and SQLITE_DONE are ST_OK). */
enum store_status sql_status(int rc);

/* Bring every schema part up to date (MAY_WRITE false: only check it). */
enum store_status store_migrate(struct store *st, bool may_write);

/* SQL of the set of user names in every per-user table of the schema
 * registry ("SELECT user FROM a UNION SELECT user FROM b ..."); 0, or -1 if
 * LEN is too small. */
int sql_user_union(char *buf, size_t len);

/* What the admin can do about S ("run: sosafectl init", ...). */
const char *store_status_advice(enum store_status s);

/* Rows changed by the last INSERT, UPDATE or DELETE on ST. */
long sql_changes(struct store *st);

#endif
