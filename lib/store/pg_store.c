/* PostgreSQL backend of the state store: one database shared by every host
 * of a fleet, so an account has one failure count, one last accepted code
 * and one enrollment wherever the user logs in.
 *
 * Exactness: a write transaction takes one transaction-level advisory lock
 * first, the counterpart of SQLite's BEGIN IMMEDIATE: writers of the whole
 * fleet run one at a time (the audit chain needs that order anyway), each
 * for a few round trips, and reads inside see every committed write.
 * Waiting: lock_timeout and statement_timeout on the server, and a client
 * deadline on every answer, so a stopped or unreachable server costs a
 * bounded time and is reported; the connection is then dropped and made
 * again by the next transaction (after a failover too).
 * Statements: sent with their parameters in one round trip (extended
 * protocol, unnamed statement); results come back whole, in text form. */
#include <config.h>
#include "store/store_impl.h"
#include "store/pg_link.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/fsutil.h"
#include "base/util.h"

#define PG_PARAMS_MAX 32
/* the lock every write transaction of the fleet takes ("sosa") */
#define WRITE_LOCK_KEY "1936945505"

struct pg_stmt {
	char *text;            /* the statement with $N parameters */
	int nparams;
	const char *values[PG_PARAMS_MAX];
	int lengths[PG_PARAMS_MAX];
	int formats[PG_PARAMS_MAX];
	Oid types[PG_PARAMS_MAX];
	char ints[PG_PARAMS_MAX][24];
	PGresult *res;
	int row;               /* next row step() returns */
	unsigned char *blob;   /* decoded bytea of blob_col in the current row */
	size_t blob_len, blob_cap;
	int blob_col;
};

static struct pg_link *link_of(const struct store *st)
{
	return st->be;
}

static struct pg_stmt *pstmt(struct sql_stmt *q)
{
	return q->h;
}

static void clear_result(struct pg_stmt *p)
{
	PQclear(p->res);
	p->res = NULL;
	p->row = 0;
	p->blob_col = -1;
	if (p->blob)
		explicit_bzero(p->blob, p->blob_cap);
}

static enum store_status pg_prepare(struct store *st, struct sql_stmt *q, const char *what)
{
	struct pg_stmt *p = calloc(1, sizeof(*p));
	if (!p)
		return sql_error(st, ST_NOMEM, "%s %s: out of memory", what, st->path);
	p->text = pg_translate(q->sql, &p->nparams);
	if (!p->text || p->nparams > PG_PARAMS_MAX) {
		free(p->text);
		free(p);
		return sql_error(st, ST_ERROR, "%s %s: statement not usable", what, st->path);
	}
	p->blob_col = -1;
	q->h = p;
	return ST_OK;
}

/* No pointer into the caller's strings or secrets stays behind. */
static void pg_reset(struct sql_stmt *q)
{
	struct pg_stmt *p = pstmt(q);
	clear_result(p);
	memset(p->values, 0, sizeof(p->values));
	explicit_bzero(p->ints, sizeof(p->ints));
}

static void pg_finalize(struct sql_stmt *q)
{
	struct pg_stmt *p = pstmt(q);
	if (!p)
		return;
	pg_reset(q);
	free(p->blob);
	free(p->text);
	free(p);
	q->h = NULL;
}

static enum store_status pg_bind(struct sql_stmt *q, const struct sql_arg *args, unsigned n,
				 const char *what)
{
	struct pg_stmt *p = pstmt(q);
	if ((int)n != p->nparams)
		return sql_error(q->st, ST_ERROR, "%s %s: %u parameters for %d", what, q->st->path,
				 n, p->nparams);
	clear_result(p);
	for (unsigned i = 0; i < n; i++) {
		p->formats[i] = 0;
		p->lengths[i] = 0;
		p->types[i] = 0;   /* the server infers it from the statement */
		switch (args[i].type) {
		case SQL_ARG_TEXT:
			p->values[i] = args[i].text;
			break;
		case SQL_ARG_INT:
			snprintf(p->ints[i], sizeof(p->ints[i]), "%lld", (long long)args[i].i);
			p->values[i] = p->ints[i];
			p->types[i] = 20;   /* int8 */
			break;
		case SQL_ARG_BLOB:
			/* an empty blob stays an empty blob (SQL_NULL is NULL) */
			p->values[i] = args[i].blob.p ? args[i].blob.p : "";
			p->lengths[i] = args[i].blob.len;
			p->formats[i] = 1;  /* binary: the bytes as they are */
			p->types[i] = 17;   /* bytea */
			break;
		case SQL_ARG_NULL:
		default:
			p->values[i] = NULL;
			break;
		}
	}
	return ST_OK;
}

static long remaining_ms(const struct timespec *deadline)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (deadline->tv_sec - now.tv_sec) * 1000L + (deadline->tv_nsec - now.tv_nsec) / 1000000L;
}

/* The connection is gone or in an unknown state: drop it; the next
 * transaction connects again. */
static void drop(struct store *st)
{
	struct pg_link *l = link_of(st);
	PQfinish(l->conn);
	l->conn = NULL;
	store_forget_statements(st);
}

static enum store_status unreachable(struct store *st, const char *what, const char *why)
{
	char err[512];
	snprintf(err, sizeof(err), "%s %s: %s (%s)", what, st->path, why,
		 store_status_advice(ST_UNREACHABLE));
	drop(st);
	return store_set_error(st, ST_UNREACHABLE, why, err);
}

/* Wait for the answer to what was sent, within the statement deadline.
 * The last result is kept (a multi-statement text gives several). */
static enum store_status await(struct store *st, PGresult **out, const char *what)
{
	struct pg_link *l = link_of(st);
	struct timespec deadline;
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += l->timeout_ms / 1000 + 1;   /* the server's own timeout comes first */
	deadline.tv_nsec += (long)(l->timeout_ms % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	*out = NULL;
	for (;;) {
		while (PQisBusy(l->conn)) {
			long left = remaining_ms(&deadline);
			if (left <= 0) {
				PQclear(*out);
				*out = NULL;
				return unreachable(st, what, "the database did not answer in time");
			}
			struct pollfd pfd = { .fd = PQsocket(l->conn), .events = POLLIN };
			int r = poll(&pfd, 1, (int)left);
			if (r < 0 && errno != EINTR) {
				PQclear(*out);
				*out = NULL;
				return unreachable(st, what, strerror(errno));
			}
			if (r > 0 && !PQconsumeInput(l->conn)) {
				PQclear(*out);
				*out = NULL;
				return unreachable(st, what, "the connection to the database was lost");
			}
		}
		PGresult *r = PQgetResult(l->conn);
		if (!r)
			break;
		ExecStatusType rs = PQresultStatus(r);
		/* keep the first error, else the last result */
		if (*out && PQresultStatus(*out) == PGRES_FATAL_ERROR) {
			PQclear(r);
			continue;
		}
		PQclear(*out);
		*out = r;
		(void)rs;
	}
	if (!*out)
		return unreachable(st, what, "the connection to the database was lost");
	return ST_OK;
}

/* SQLSTATE classes the store's callers can act on. */
static enum store_status pg_status(const char *state, bool *lost)
{
	*lost = false;
	if (!state)
		return ST_ERROR;
	if (!strncmp(state, "08", 2) || !strncmp(state, "57P", 3) || !strcmp(state, "25006")) {
		/* connection failure, server shutting down, or a standby that
		 * cannot write (after a failover): connect again */
		*lost = true;
		return ST_UNREACHABLE;
	}
	if (!strcmp(state, "40001") || !strcmp(state, "40P01") || !strcmp(state, "55P03") ||
	    !strcmp(state, "57014"))
		return ST_BUSY;
	if (!strcmp(state, "42501") || !strncmp(state, "28", 2))
		return ST_PERM;
	if (!strcmp(state, "53100"))
		return ST_FULL;
	if (!strcmp(state, "53200"))
		return ST_NOMEM;
	return ST_ERROR;
}

static enum store_status fail_result(struct store *st, PGresult *r, const char *what)
{
	const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
	const char *msg = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
	bool lost;
	enum store_status s = pg_status(state, &lost);
	if (PQstatus(link_of(st)->conn) != CONNECTION_OK) {
		s = ST_UNREACHABLE;
		lost = true;
	}
	char cause[256], err[512];
	snprintf(cause, sizeof(cause), "%s", msg ? msg : "error");
	snprintf(err, sizeof(err), "%s %s: %s [%s] (%s)", what, st->path, cause,
		 state ? state : "-", store_status_advice(s));
	store_set_error(st, s, cause, err);
	st->missing_table = state && !strcmp(state, "42P01");
	if (lost)
		drop(st);
	return s;
}

static enum store_status ensure_connected(struct store *st, const char *what)
{
	struct pg_link *l = link_of(st);
	if (l->conn && PQstatus(l->conn) == CONNECTION_OK)
		return ST_OK;
	if (l->conn)
		drop(st);
	char cause[512], descr[256];
	enum store_status s = pg_link_connect(l, descr, sizeof(descr), cause, sizeof(cause));
	if (s != ST_OK) {
		char message[600];
		snprintf(message, sizeof(message), "%s %s: %s", what, st->path, cause);
		return store_set_error(st, s, cause, message);
	}
	/* the server bounds its side too: a statement or lock wait longer
	 * than the deadline is cancelled there, and a transaction left open
	 * by a stopped client does not hold the fleet's write lock */
	char set[256];
	snprintf(set, sizeof(set), "SET statement_timeout = %u; SET lock_timeout = %u;"
		 " SET idle_in_transaction_session_timeout = %u; SET synchronous_commit = on",
		 l->timeout_ms, l->timeout_ms, l->timeout_ms * 2 + 1000);
	if (!PQsendQuery(l->conn, set))
		return unreachable(st, what, "the connection to the database was lost");
	PGresult *r;
	s = await(st, &r, what);
	if (s == ST_OK && PQresultStatus(r) != PGRES_COMMAND_OK)
		s = fail_result(st, r, what);
	PQclear(r);
	return s;
}

/* Send Q's statement with its parameters and keep the answer. */
static enum store_status run(struct sql_stmt *q, const char *what)
{
	struct store *st = q->st;
	struct pg_stmt *p = pstmt(q);
	enum store_status s = ensure_connected(st, what);
	if (s != ST_OK)
		return s;
	struct pg_link *l = link_of(st);
	if (!PQsendQueryParams(l->conn, p->text, p->nparams, p->types, p->values, p->lengths,
			       p->formats, 0))
		return unreachable(st, what, "the connection to the database was lost");
	PGresult *r;
	s = await(st, &r, what);
	if (s != ST_OK)
		return s;
	ExecStatusType rs = PQresultStatus(r);
	if (rs != PGRES_TUPLES_OK && rs != PGRES_COMMAND_OK) {
		s = fail_result(st, r, what);
		PQclear(r);
		return s;
	}
	const char *n = PQcmdTuples(r);
	l->changes = *n ? strtol(n, NULL, 10) : 0;
	if (strncmp(PQcmdStatus(r), "SELECT", 6))
		l->total_changes += l->changes;
	p->res = r;
	p->row = 0;
	return ST_OK;
}

static enum store_status pg_step(struct sql_stmt *q, const char *what)
{
	struct pg_stmt *p = pstmt(q);
	if (!p->res) {
		enum store_status s = run(q, what);
		if (s != ST_OK)
			return s;
	} else {
		p->row++;
	}
	p->blob_col = -1;
	return p->row < PQntuples(p->res) ? ST_OK : ST_NOTFOUND;
}

static bool pg_col_null(struct sql_stmt *q, int col)
{
	struct pg_stmt *p = pstmt(q);
	return !p->res || col >= PQnfields(p->res) || PQgetisnull(p->res, p->row, col);
}

static const char *pg_col_text(struct sql_stmt *q, int col)
{
	struct pg_stmt *p = pstmt(q);
	return pg_col_null(q, col) ? "" : PQgetvalue(p->res, p->row, col);
}

static int64_t pg_col_int64(struct sql_stmt *q, int col)
{
	const char *v = pg_col_text(q, col);
	if (*v == 't')   /* a boolean */
		return 1;
	return strtoll(v, NULL, 10);
}

static int hexval(int c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
	       c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* bytea arrives as "\x" and hex digits; decoded into a buffer of the
 * statement (wiped when it is reset: it may hold a sealed secret). */
static const void *pg_col_blob(struct sql_stmt *q, int col, size_t *len)
{
	struct pg_stmt *p = pstmt(q);
	*len = 0;
	if (pg_col_null(q, col))
		return NULL;
	const char *v = PQgetvalue(p->res, p->row, col);
	size_t n = strlen(v);
	if (n < 2 || v[0] != '\\' || v[1] != 'x' || n % 2)
		return NULL;
	n = (n - 2) / 2;
	if (n + 1 > p->blob_cap) {
		unsigned char *b = malloc(n + 1);
		if (!b)
			return NULL;
		if (p->blob) {
			explicit_bzero(p->blob, p->blob_cap);
			free(p->blob);
		}
		p->blob = b;
		p->blob_cap = n + 1;
	}
	for (size_t i = 0; i < n; i++) {
		int hi = hexval(v[2 + 2 * i]), lo = hexval(v[3 + 2 * i]);
		if (hi < 0 || lo < 0)
			return NULL;
		p->blob[i] = (unsigned char)(hi << 4 | lo);
	}
	p->blob_col = col;
	p->blob_len = n;
	*len = n;
	return p->blob;
}

static int pg_col_count(struct sql_stmt *q)
{
	struct pg_stmt *p = pstmt(q);
	return p->res ? PQnfields(p->res) : 0;
}

static const char *pg_col_name(struct sql_stmt *q, int col)
{
	struct pg_stmt *p = pstmt(q);
	const char *n = p->res ? PQfname(p->res, col) : NULL;
	return n ? n : "";
}

static int pg_col_kind(struct sql_stmt *q, int col)
{
	struct pg_stmt *p = pstmt(q);
	if (pg_col_null(q, col))
		return SQL_ARG_NULL;
	switch (PQftype(p->res, col)) {
	case 20: case 21: case 23: case 16: return SQL_ARG_INT;   /* int8, int2, int4, bool */
	case 17: return SQL_ARG_BLOB;
	default: return SQL_ARG_TEXT;
	}
}

static long pg_changes(struct store *st)
{
	return link_of(st)->changes;
}

static long long pg_total_changes(const struct store *st)
{
	return link_of(st)->total_changes;
}

/* A text without parameters (schema steps, transaction control). */
static enum store_status simple(struct store *st, const char *sql, const char *what,
				const char *want_tag)
{
	enum store_status s = ensure_connected(st, what);
	if (s != ST_OK)
		return s;
	struct pg_link *l = link_of(st);
	if (!PQsendQuery(l->conn, sql))
		return unreachable(st, what, "the connection to the database was lost");
	PGresult *r;
	s = await(st, &r, what);
	if (s != ST_OK)
		return s;
	ExecStatusType rs = PQresultStatus(r);
	if (rs != PGRES_COMMAND_OK && rs != PGRES_TUPLES_OK)
		s = fail_result(st, r, what);
	else if (want_tag && strcmp(PQcmdStatus(r), want_tag))
		/* COMMIT of a failed transaction answers ROLLBACK */
		s = sql_error(st, ST_ERROR, "%s %s: the transaction was rolled back", what, st->path);
	PQclear(r);
	return s;
}

static enum store_status pg_exec(struct store *st, const char *sql, const char *what)
{
	return simple(st, sql, what, NULL);
}

static enum store_status pg_begin(struct store *st, bool write)
{
	if (write)
		return simple(st, "BEGIN; SELECT pg_advisory_xact_lock(" WRITE_LOCK_KEY ")",
			      "cannot lock state store", NULL);
	return simple(st, "BEGIN ISOLATION LEVEL REPEATABLE READ", "cannot read state store", NULL);
}

static enum store_status pg_commit(struct store *st)
{
	enum store_status s = simple(st, "COMMIT", "cannot write state store", "COMMIT");
	if (s != ST_OK && link_of(st)->conn)
		simple(st, "ROLLBACK", "cannot roll back", NULL);
	return s;
}

static void pg_rollback(struct store *st)
{
	if (link_of(st)->conn)
		simple(st, "ROLLBACK", "cannot roll back", NULL);
}

static const char *const *pg_steps(const struct schema_part *p, unsigned *n)
{
	*n = p->pg_nsteps;
	return p->pg_steps;
}

static void pg_close(struct store *st)
{
	struct pg_link *l = link_of(st);
	if (!l)
		return;
	PQfinish(l->conn);
	free(l);
	st->be = NULL;
}

const struct store_ops pg_store_ops = {
	.name = "postgresql",
	.meta_table = "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value BIGINT NOT NULL)",
	.prepare = pg_prepare,
	.reset = pg_reset,
	.finalize = pg_finalize,
	.bind = pg_bind,
	.step = pg_step,
	.col_int64 = pg_col_int64,
	.col_text = pg_col_text,
	.col_blob = pg_col_blob,
	.col_null = pg_col_null,
	.col_count = pg_col_count,
	.col_name = pg_col_name,
	.col_kind = pg_col_kind,
	.changes = pg_changes,
	.total_changes = pg_total_changes,
	.exec = pg_exec,
	.begin = pg_begin,
	.commit = pg_commit,
	.rollback = pg_rollback,
	.steps = pg_steps,
	.close = pg_close,
};

bool store_insecure(const struct store *st)
{
	return st->ops == &pg_store_ops && link_of(st)->insecure;
}

enum store_status pg_store_open(struct store *st, const struct store_target *t, unsigned flags,
				struct sosafe_err *e)
{
	/* the host's own files (audit.key, snapshots) stay in state_dir */
	if ((flags & STORE_CREATE) && t->state_dir && fs_ensure_dir(t->state_dir, e))
		return ST_PERM;
	if (!t->pg_conninfo_file || !*t->pg_conninfo_file) {
		err_set(e, "store = postgresql needs pg_conninfo_file (a root-only file with the "
			"connection string)");
		return ST_ERROR;
	}
	struct pg_link *l = calloc(1, sizeof(*l));
	if (!l) {
		err_set(e, "out of memory");
		return ST_NOMEM;
	}
	st->be = l;
	snprintf(l->conninfo_file, sizeof(l->conninfo_file), "%s", t->pg_conninfo_file);
	snprintf(st->ident, sizeof(st->ident), "%s", t->pg_conninfo_file);
	snprintf(st->path, sizeof(st->path), "postgresql store (%s)", t->pg_conninfo_file);
	l->insecure = t->pg_insecure;
	l->timeout_ms = t->timeout_ms ? t->timeout_ms : 2000;
	l->connect_timeout_ms = t->connect_timeout_ms ? t->connect_timeout_ms : 2000;
	char err[512], descr[256];
	enum store_status s = pg_link_connect(l, descr, sizeof(descr), err, sizeof(err));
	if (s == ST_OK) {
		snprintf(st->path, sizeof(st->path), "%s", descr);
		s = ensure_connected(st, "cannot open state store");
		if (s != ST_OK)
			snprintf(err, sizeof(err), "%s", st->err);
	}
	if (s != ST_OK)
		err_set(e, "%s", err);
	return s;
}
