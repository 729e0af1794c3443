/* Inside the state store: the connection every backend shares and the
 * table of operations a backend provides. For lib/store/ only (the
 * repository files see store_sql.h, callers see store.h).
 *
 * Two backends implement the operations: SQLite (one file in state_dir,
 * sqlite_store.c) and PostgreSQL (a shared database for a fleet,
 * pg_store.c). The statement cache, the composed helpers (sql_run,
 * sql_int), transactions and schema upgrades are written once, in
 * store.c, on top of the operations. */
#ifndef SOSAFE_STORE_IMPL_H
#define SOSAFE_STORE_IMPL_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "store/store_sql.h"

/* One prepared statement: a slot of the connection's cache, or a private
 * statement for one use when the cached one is busy further up the stack. */
struct sql_stmt {
	struct store *st;
	uint32_t hash;         /* of the SQL text */
	bool busy;             /* taken by sql_prepare, not yet released */
	bool cached;
	char *sql;             /* the caller's text (SQL dialect of store_sql.h) */
	void *h;               /* the backend's statement */
};

struct store_ops {
	const char *name;      /* "sqlite", "postgresql" */
	const char *meta_table; /* CREATE TABLE IF NOT EXISTS meta: schema versions */
	/* Prepare Q->sql into Q->h. */
	enum store_status (*prepare)(struct store *st, struct sql_stmt *q, const char *what);
	/* After use: no open cursor, no binding left (pointers to the caller's
	 * strings or secrets). */
	void (*reset)(struct sql_stmt *q);
	void (*finalize)(struct sql_stmt *q);
	enum store_status (*bind)(struct sql_stmt *q, const struct sql_arg *args, unsigned n,
				  const char *what);
	/* ST_OK: a row; ST_NOTFOUND: done. */
	enum store_status (*step)(struct sql_stmt *q, const char *what);
	int64_t (*col_int64)(struct sql_stmt *q, int col);
	const char *(*col_text)(struct sql_stmt *q, int col);
	const void *(*col_blob)(struct sql_stmt *q, int col, size_t *len);
	bool (*col_null)(struct sql_stmt *q, int col);
	/* Columns of the result, their names, and the kind of a value of the
	 * current row (SQL_ARG_*: copying rows between stores). */
	int (*col_count)(struct sql_stmt *q);
	const char *(*col_name)(struct sql_stmt *q, int col);
	int (*col_kind)(struct sql_stmt *q, int col);
	/* Rows changed by the last statement; rows written since open. */
	long (*changes)(struct store *st);
	long long (*total_changes)(const struct store *st);
	/* Statements without parameters, uncached (schema steps). */
	enum store_status (*exec)(struct store *st, const char *sql, const char *what);
	/* BEGIN with the write lock taken (WRITE) or a consistent read. */
	enum store_status (*begin)(struct store *st, bool write);
	enum store_status (*commit)(struct store *st);
	void (*rollback)(struct store *st);
	/* The schema steps of part P in this backend's dialect. */
	const char *const *(*steps)(const struct schema_part *p, unsigned *n);
	void (*close)(struct store *st);
};

#define STMT_CACHE_MAX 64

struct store {
	const struct store_ops *ops;
	void *be;              /* the backend's connection */
	char path[PATH_MAX];   /* what messages call the store (never a password) */
	char err[512];
	char cause[256];       /* err without path and advice */
	bool in_tx;
	bool missing_table;    /* the last failure was "no such table" */
	int refs;              /* store_ref/store_close */
	pid_t pid;             /* process that opened it: never used across fork */
	char ident[PATH_MAX];  /* state_dir or conninfo file: store_reusable() */
	char state_dir[PATH_MAX];
	unsigned timeout_ms;
	struct sql_stmt **stmt;
	unsigned nstmt, stmt_cap;
	struct keyring *keys;  /* seals secrets (seal.h), whichever the backend */
};

extern const struct store_ops sqlite_store_ops;
extern const struct store_ops pg_store_ops;

/* The backends' open functions: fill ST (allocated, zeroed, ops set). */
enum store_status sqlite_store_open(struct store *st, const char *state_dir, unsigned flags,
				    struct sosafe_err *e);
enum store_status pg_store_open(struct store *st, const struct store_target *t, unsigned flags,
				struct sosafe_err *e);

/* Drop the cached statements not in use (a new connection knows none). */
void store_forget_statements(struct store *st);

/* Record ERR (and CAUSE, the part without advice) for store_error(). */
enum store_status store_set_error(struct store *st, enum store_status s, const char *cause,
				  const char *err);

#endif
