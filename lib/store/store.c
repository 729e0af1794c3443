/* The state store's connection, written once for every backend: the
 * statement cache, the composed helpers, transactions, schema upgrades and
 * errors (the backends are sqlite_store.c and pg_store.c). */
#include <config.h>
#include "store/store.h"
#include "store/store_impl.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/util.h"
#include "store/keyring.h"

static uint32_t sql_hash(const char *sql)
{
	uint32_t h = 2166136261u;   /* FNV-1a */
	for (const unsigned char *p = (const unsigned char *)sql; *p; p++)
		h = (h ^ *p) * 16777619u;
	return h;
}

static struct sql_stmt *stmt_new(struct store *st, const char *sql, uint32_t h, bool cached)
{
	struct sql_stmt *q = calloc(1, sizeof(*q));
	if (!q)
		return NULL;
	q->sql = strdup(sql);
	if (!q->sql) {
		free(q);
		return NULL;
	}
	q->st = st;
	q->hash = h;
	q->cached = cached;
	q->busy = true;
	return q;
}

static void stmt_free(struct sql_stmt *q)
{
	if (q->h)
		q->st->ops->finalize(q);
	free(q->sql);
	free(q);
}

/* Statement cache: a few dozen distinct statements at most (a sync uses
 * about 25); past the cap, statements are prepared for one use. A slot
 * whose text is busy further up the stack gets a private twin. */
enum store_status sql_prepare(struct store *st, const char *sql, struct sql_stmt **out,
			      const char *what)
{
	uint32_t h = sql_hash(sql);
	bool nested = false;
	*out = NULL;
	for (unsigned i = 0; i < st->nstmt; i++) {
		struct sql_stmt *c = st->stmt[i];
		if (c->hash != h || strcmp(c->sql, sql))
			continue;
		if (c->busy) {
			nested = true;
			break;
		}
		c->busy = true;
		*out = c;
		return ST_OK;
	}
	bool cache = !nested && st->nstmt < STMT_CACHE_MAX;
	if (cache && st->nstmt == st->stmt_cap) {
		unsigned cap = st->stmt_cap ? st->stmt_cap * 2 : 8;
		struct sql_stmt **v = realloc(st->stmt, cap * sizeof(struct sql_stmt *));
		if (!v)
			return sql_error(st, ST_NOMEM, "%s %s: out of memory", what, st->path);
		st->stmt = v;
		st->stmt_cap = cap;
	}
	struct sql_stmt *q = stmt_new(st, sql, h, cache);
	if (!q)
		return sql_error(st, ST_NOMEM, "%s %s: out of memory", what, st->path);
	enum store_status s = st->ops->prepare(st, q, what);
	if (s != ST_OK) {
		stmt_free(q);
		return s;
	}
	if (cache)
		st->stmt[st->nstmt++] = q;
	*out = q;
	return ST_OK;
}

void sql_release(struct store *st, struct sql_stmt *q)
{
	(void)st;
	if (!q)
		return;
	if (!q->cached) {
		stmt_free(q);
		return;
	}
	st->ops->reset(q);
	q->busy = false;
}

void sql_reset(struct sql_stmt *q)
{
	q->st->ops->reset(q);
}

static void stmt_finalize_all(struct store *st)
{
	for (unsigned i = 0; i < st->nstmt; i++)
		stmt_free(st->stmt[i]);
	free(st->stmt);
	st->stmt = NULL;
	st->nstmt = st->stmt_cap = 0;
}

void store_forget_statements(struct store *st)
{
	for (unsigned i = 0; i < st->nstmt; i++)
		if (!st->stmt[i]->busy) {
			stmt_free(st->stmt[i]);
			st->stmt[i--] = st->stmt[--st->nstmt];
		}
}

enum store_status sql_bind(struct store *st, struct sql_stmt *q, const struct sql_arg *args,
			   unsigned n, const char *what)
{
	(void)st;
	return q->st->ops->bind(q, args, n, what);
}

enum store_status sql_step(struct store *st, struct sql_stmt *q, const char *what)
{
	(void)st;
	return q->st->ops->step(q, what);
}

int64_t sql_col_int64(struct sql_stmt *q, int col) { return q->st->ops->col_int64(q, col); }
int sql_col_int(struct sql_stmt *q, int col) { return (int)q->st->ops->col_int64(q, col); }
const char *sql_text(struct sql_stmt *q, int col) { return q->st->ops->col_text(q, col); }
const void *sql_col_blob(struct sql_stmt *q, int col, size_t *len)
{
	return q->st->ops->col_blob(q, col, len);
}
bool sql_col_null(struct sql_stmt *q, int col) { return q->st->ops->col_null(q, col); }

enum store_status sql_query(struct store *st, const char *sql, const struct sql_arg *args,
			    unsigned n, struct sql_stmt **q, const char *what)
{
	enum store_status s = sql_prepare(st, sql, q, what);
	if (s == ST_OK)
		s = sql_bind(st, *q, args, n, what);
	return s;
}

enum store_status sql_run_args(struct store *st, const char *what, long *changes,
			       const char *sql, const struct sql_arg *args, unsigned n)
{
	struct sql_stmt *q;
	enum store_status s = sql_query(st, sql, args, n, &q, what);
	while (s == ST_OK)
		s = sql_step(st, q, what);
	if (s == ST_NOTFOUND)
		s = ST_OK;
	if (s == ST_OK && changes)
		*changes = st->ops->changes(st);
	sql_release(st, q);
	return s;
}

enum store_status sql_int_args(struct store *st, const char *what, int64_t *out, const char *sql,
			       const struct sql_arg *args, unsigned n)
{
	struct sql_stmt *q;
	*out = 0;
	enum store_status s = sql_query(st, sql, args, n, &q, what);
	if (s == ST_OK)
		s = sql_step(st, q, what);
	if (s == ST_OK)
		*out = sql_col_int64(q, 0);
	sql_release(st, q);
	return s;
}

long sql_changes(struct store *st)
{
	return st->ops->changes(st);
}

enum store_status sql_exec(struct store *st, const char *sql, const char *what)
{
	return st->ops->exec(st, sql, what);
}

enum store_status store_set_error(struct store *st, enum store_status s, const char *cause,
				  const char *err)
{
	snprintf(st->cause, sizeof(st->cause), "%s", cause);
	snprintf(st->err, sizeof(st->err), "%s", err);
	return s;
}

enum store_status sql_error(struct store *st, enum store_status s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(st->err, sizeof(st->err), fmt, ap);
	va_end(ap);
	snprintf(st->cause, sizeof(st->cause), "%s", st->err);
	st->missing_table = false;
	return s;
}

const char *store_error(const struct store *st) { return st->err; }
const char *store_cause(const struct store *st) { return st->cause; }
const char *store_path(const struct store *st) { return st->path; }
const char *store_state_dir(const struct store *st) { return st->state_dir; }
const char *store_backend_name(const struct store *st) { return st->ops->name; }
bool store_is_local(const struct store *st) { return st->ops == &sqlite_store_ops; }
struct keyring *store_keyring(const struct store *st) { return st->keys; }

void store_set_keyring(struct store *st, struct keyring *kr)
{
	struct keyring *old = st->keys;
	st->keys = keyring_ref(kr);
	keyring_unref(old);
}

const char *store_status_name(enum store_status s)
{
	static const char *const names[] = {
		"ok", "not-found", "missing", "permission", "corrupt", "busy",
		"full", "read-only", "io-error", "schema", "no-memory", "error",
		"unreachable", "key",
	};
	return (unsigned)s < ARRAY_SIZE(names) ? names[s] : "error";
}

const char *store_status_advice(enum store_status s)
{
	switch (s) {
	case ST_CORRUPT: return "the store is damaged; restore it with: sosafectl restore BACKUP";
	case ST_FULL: return "the file system is full; free space in the state directory";
	case ST_READONLY: return "the state directory is read-only; remount it read-write";
	case ST_BUSY: return "another process held the store too long; check for a stuck sosafectl";
	case ST_IO: return "I/O error; check the disk and the kernel log";
	case ST_MISSING: return "run: sosafectl init";
	case ST_PERM: return "check owner and mode of the state directory and store (root, 0600)";
	case ST_UNREACHABLE: return "check the database server, the network and pg_conninfo_file";
	case ST_KEY: return "check secret_key_file, see sosafe.conf(5)";
	default: return "see sosafectl(8)";
	}
}

static enum store_status schema_version(struct store *st, const char *key, int64_t *have)
{
	enum store_status s = sql_int(st, "cannot read schema of", have,
				      "SELECT value FROM meta WHERE key = ?", SQL_TEXT(key));
	if (s == ST_NOTFOUND) {
		*have = 0;
		return ST_OK;
	}
	return s;
}

/* Parts whose stored version differs from this program's steps: 0 when
 * the schema is current, -1 (error recorded) when it cannot be read or is
 * newer than this program. */
static int schema_behind(struct store *st, enum store_status *ret)
{
	int behind = 0;
	for (unsigned i = 0; i < store_schema_nparts; i++) {
		const struct schema_part *p = store_schema_parts[i];
		char key[64];
		unsigned n;
		st->ops->steps(p, &n);
		snprintf(key, sizeof(key), "schema.%s", p->name);
		int64_t have;
		*ret = schema_version(st, key, &have);
		if (*ret != ST_OK)
			return -1;
		if (have > (int64_t)n) {
			*ret = sql_error(st, ST_SCHEMA,
					 "%s has schema %s version %lld, newer than this program knows "
					 "(%u); upgrade sosafe", st->path, p->name, (long long)have, n);
			return -1;
		}
		behind += have < (int64_t)n;
	}
	return behind;
}

/* Apply the missing steps of every part, in one write transaction. */
static enum store_status schema_upgrade(struct store *st)
{
	enum store_status s = st->ops->begin(st, true);
	if (s != ST_OK)
		return s;
	for (unsigned i = 0; i < store_schema_nparts && s == ST_OK; i++) {
		const struct schema_part *p = store_schema_parts[i];
		char key[64];
		unsigned n;
		const char *const *steps = st->ops->steps(p, &n);
		snprintf(key, sizeof(key), "schema.%s", p->name);
		int64_t have;
		/* read again under the write lock: another host may have upgraded */
		s = schema_version(st, key, &have);
		for (int64_t k = have; k < (int64_t)n && s == ST_OK; k++)
			s = sql_exec(st, steps[k], "schema upgrade failed for");
		if (s == ST_OK && have < (int64_t)n)
			s = sql_run(st, "schema upgrade failed for", NULL,
				    "INSERT INTO meta (key, value) VALUES (?, ?)"
				    " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
				    SQL_TEXT(key), SQL_INT(n));
	}
	if (s == ST_OK)
		return st->ops->commit(st);
	st->ops->rollback(st);
	return s;
}

/* Bring every schema part up to date (MAY_WRITE false: only check it). The
 * common case, a current schema, takes no write lock: every login competes
 * for it. */
enum store_status store_migrate(struct store *st, bool may_write)
{
	enum store_status s = ST_OK;
	int behind = schema_behind(st, &s);
	if (behind < 0 && st->missing_table && may_write) {
		s = sql_exec(st, st->ops->meta_table, "cannot create schema of");
		if (s != ST_OK)
			return s;
		behind = schema_behind(st, &s);
	}
	if (behind < 0) {
		if (st->missing_table)
			s = sql_error(st, ST_SCHEMA, "%s is not a sosafe store (%s); run: sosafectl init",
				      st->path, st->cause);
		return s;
	}
	if (behind == 0)
		return ST_OK;
	if (!may_write)
		return sql_error(st, ST_SCHEMA, "%s needs a schema upgrade; run: sosafectl init",
				 st->path);
	return schema_upgrade(st);
}

const char *store_target_ident(const struct store_target *t)
{
	return t->backend == STORE_BACKEND_POSTGRESQL ? t->pg_conninfo_file : t->state_dir;
}

enum store_status store_open_target(struct store **out, const struct store_target *t,
				    unsigned flags, struct sosafe_err *e)
{
	*out = NULL;
	struct store *st = calloc(1, sizeof(*st));
	if (!st) {
		err_set(e, "out of memory");
		return ST_NOMEM;
	}
	st->timeout_ms = t->timeout_ms;
	snprintf(st->state_dir, sizeof(st->state_dir), "%s", t->state_dir ? t->state_dir : "");
	enum store_status s;
	bool may_write;
	if (t->backend == STORE_BACKEND_POSTGRESQL) {
		st->ops = &pg_store_ops;
		s = pg_store_open(st, t, flags, e);
		/* the shared schema belongs to sosafectl init (the admin role);
		 * the hosts' role may not create tables */
		may_write = flags & STORE_CREATE;
	} else {
		st->ops = &sqlite_store_ops;
		s = sqlite_store_open(st, t->state_dir, flags, e);
		may_write = !(flags & STORE_RDONLY);
	}
	if (s == ST_OK) {
		s = store_migrate(st, may_write);
		if (s != ST_OK)
			err_set(e, "%s", st->err);
	}
	if (s != ST_OK) {
		stmt_finalize_all(st);
		st->ops->close(st);
		free(st);
		return s;
	}
	st->refs = 1;
	st->pid = getpid();
	*out = st;
	return ST_OK;
}

enum store_status store_open(struct store **out, const char *state_dir, unsigned flags,
			     unsigned timeout_ms, struct sosafe_err *e)
{
	struct store_target t = {
		.backend = STORE_BACKEND_SQLITE, .state_dir = state_dir, .timeout_ms = timeout_ms,
	};
	return store_open_target(out, &t, flags, e);
}

struct store *store_ref(struct store *st)
{
	st->refs++;
	return st;
}

bool store_reusable(const struct store *st, const char *ident)
{
	return st && st->pid == getpid() && !st->in_tx && !strcmp(st->ident, ident);
}

void store_close(struct store *st)
{
	if (!st || --st->refs > 0)
		return;
	if (st->in_tx)
		st->ops->rollback(st);
	stmt_finalize_all(st);
	st->ops->close(st);
	keyring_unref(st->keys);
	free(st);
}

enum store_status store_begin(struct store *st)
{
	enum store_status s = st->ops->begin(st, true);
	if (s == ST_OK)
		st->in_tx = true;
	return s;
}

enum store_status store_begin_read(struct store *st)
{
	enum store_status s = st->ops->begin(st, false);
	if (s == ST_OK)
		st->in_tx = true;
	return s;
}

long long store_total_changes(const struct store *st)
{
	return st->ops->total_changes(st);
}

enum store_status store_commit(struct store *st)
{
	enum store_status s = st->ops->commit(st);
	st->in_tx = false;
	return s;
}

void store_rollback(struct store *st)
{
	if (st->in_tx)
		st->ops->rollback(st);
	st->in_tx = false;
}
