/* SQLite implementation of the state store.
 *
 * Durability: WAL with synchronous=FULL, so a counted failure is on disk
 * before the user sees the next prompt; SIGKILL or power loss after commit
 * cannot lose it. secure_delete overwrites freed pages (purged secrets).
 * Waiting: busy_timeout bounds every wait for the write lock, so the host
 * process never hangs on us. */
#include <config.h>
#include "store/store.h"
#include "store/store_sql.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "base/fsutil.h"
#include "base/util.h"
#include "store/keyring.h"

/* Statement cache: a few dozen distinct statements at most (a sync uses
 * about 25); past the cap, statements are prepared for one use. */
#define STMT_CACHE_MAX 64

struct stmt_slot {
	uint32_t hash;         /* of the SQL text */
	bool busy;             /* taken by sql_prepare, not yet released */
	sqlite3_stmt *q;
};

struct store {
	sqlite3 *db;
	char path[PATH_MAX];
	char err[512];
	char cause[256];       /* err without path and advice */
	bool in_tx;
	int refs;              /* store_ref/store_close */
	pid_t pid;             /* process that opened it: never used across fork */
	char dir[PATH_MAX];
	unsigned timeout_ms;
	struct timespec wait_start;
	unsigned rng;
	struct stmt_slot *stmt;
	unsigned nstmt, stmt_cap;
	struct keyring *keys;  /* seals secrets (seal.h); not SQLite's */
};

static uint32_t sql_hash(const char *sql)
{
	uint32_t h = 2166136261u;   /* FNV-1a */
	for (const unsigned char *p = (const unsigned char *)sql; *p; p++)
		h = (h ^ *p) * 16777619u;
	return h;
}

static struct stmt_slot *slot_add(struct store *st)
{
	if (st->nstmt == st->stmt_cap) {
		if (st->stmt_cap >= STMT_CACHE_MAX)
			return NULL;
		unsigned cap = st->stmt_cap ? st->stmt_cap * 2 : 8;
		struct stmt_slot *v = realloc(st->stmt, cap * sizeof(*v));
		if (!v)
			return NULL;
		st->stmt = v;
		st->stmt_cap = cap;
	}
	return &st->stmt[st->nstmt++];
}

enum store_status sql_prepare(struct store *st, const char *sql, sqlite3_stmt **q,
			      const char *what)
{
	uint32_t h = sql_hash(sql);
	bool nested = false;
	*q = NULL;
	for (unsigned i = 0; i < st->nstmt; i++) {
		struct stmt_slot *c = &st->stmt[i];
		if (c->hash != h || strcmp(sqlite3_sql(c->q), sql))
			continue;
		if (c->busy) {
			nested = true;
			break;
		}
		c->busy = true;
		*q = c->q;
		return ST_OK;
	}
	struct stmt_slot *c = nested ? NULL : slot_add(st);
	int rc = sqlite3_prepare_v3(st->db, sql, -1, c ? SQLITE_PREPARE_PERSISTENT : 0, q, NULL);
	if (rc != SQLITE_OK || !*q) {
		if (c)
			st->nstmt--;
		if (rc == SQLITE_OK)   /* only white space or a comment */
			rc = SQLITE_MISUSE;
		*q = NULL;
		return store_fail(st, rc, what);
	}
	if (c)
		*c = (struct stmt_slot){ .hash = h, .busy = true, .q = *q };
	return ST_OK;
}

void sql_release(struct store *st, sqlite3_stmt *q)
{
	if (!q)
		return;
	for (unsigned i = 0; i < st->nstmt; i++)
		if (st->stmt[i].q == q) {
			sqlite3_reset(q);
			sqlite3_clear_bindings(q);
			st->stmt[i].busy = false;
			return;
		}
	sqlite3_finalize(q);
}

static void stmt_finalize_all(struct store *st)
{
	for (unsigned i = 0; i < st->nstmt; i++)
		sqlite3_finalize(st->stmt[i].q);
	free(st->stmt);
	st->stmt = NULL;
	st->nstmt = st->stmt_cap = 0;
}

enum store_status sql_bind(struct store *st, sqlite3_stmt *q, const struct sql_arg *args,
			   unsigned n, const char *what)
{
	for (unsigned i = 0; i < n; i++) {
		int col = (int)i + 1, rc;
		switch (args[i].type) {
		case SQL_ARG_TEXT:
			rc = sqlite3_bind_text(q, col, args[i].text, -1, SQLITE_STATIC);
			break;
		case SQL_ARG_INT:
			rc = sqlite3_bind_int64(q, col, args[i].i);
			break;
		case SQL_ARG_BLOB:
		default:
			rc = sqlite3_bind_blob(q, col, args[i].blob.p, args[i].blob.len, SQLITE_STATIC);
			break;
		}
		if (rc != SQLITE_OK)
			return store_fail(st, rc, what);
	}
	return ST_OK;
}

enum store_status sql_step(struct store *st, sqlite3_stmt *q, const char *what)
{
	int rc = sqlite3_step(q);
	if (rc == SQLITE_ROW)
		return ST_OK;
	if (rc == SQLITE_DONE)
		return ST_NOTFOUND;
	return store_fail(st, rc, what);
}

enum store_status sql_query(struct store *st, const char *sql, const struct sql_arg *args,
			    unsigned n, sqlite3_stmt **q, const char *what)
{
	enum store_status s = sql_prepare(st, sql, q, what);
	if (s == ST_OK)
		s = sql_bind(st, *q, args, n, what);
	return s;
}

enum store_status sql_run_args(struct store *st, const char *what, long *changes,
			       const char *sql, const struct sql_arg *args, unsigned n)
{
	sqlite3_stmt *q;
	enum store_status s = sql_query(st, sql, args, n, &q, what);
	while (s == ST_OK)
		s = sql_step(st, q, what);
	if (s == ST_NOTFOUND)
		s = ST_OK;
	if (s == ST_OK && changes)
		*changes = sqlite3_changes(st->db);
	sql_release(st, q);
	return s;
}

enum store_status sql_int_args(struct store *st, const char *what, int64_t *out, const char *sql,
			       const struct sql_arg *args, unsigned n)
{
	sqlite3_stmt *q;
	*out = 0;
	enum store_status s = sql_query(st, sql, args, n, &q, what);
	if (s == ST_OK)
		s = sql_step(st, q, what);
	if (s == ST_OK)
		*out = sqlite3_column_int64(q, 0);
	sql_release(st, q);
	return s;
}

long sql_changes(struct store *st)
{
	return sqlite3_changes(st->db);
}

enum store_status sql_error(struct store *st, enum store_status s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(st->err, sizeof(st->err), fmt, ap);
	va_end(ap);
	snprintf(st->cause, sizeof(st->cause), "%s", st->err);
	return s;
}

static long elapsed_ms(const struct timespec *since)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - since->tv_sec) * 1000L + (now.tv_nsec - since->tv_nsec) / 1000000L;
}

/* SQLite's own busy handler backs off to 100 ms polls, so under contention
 * (32 processes on one user) a waiter can starve past the timeout while
 * others take the lock again and again. Polling every 0.2-1.2 ms with
 * jitter keeps waiting roughly fair and still bounded by timeout_ms. */
static int busy_wait(void *ctx, int count)
{
	struct store *st = ctx;
	if (count == 0)
		clock_gettime(CLOCK_MONOTONIC, &st->wait_start);
	else if (elapsed_ms(&st->wait_start) >= (long)st->timeout_ms)
		return 0;
	st->rng = st->rng * 1103515245u + 12345u;
	struct timespec ts = { 0, 200000L + (long)((st->rng >> 8) % 1000000u) };
	nanosleep(&ts, NULL);
	return 1;
}

const char *store_error(const struct store *st) { return st->err; }
const char *store_cause(const struct store *st) { return st->cause; }
const char *store_path(const struct store *st) { return st->path; }
struct sqlite3 *store_db(struct store *st) { return st->db; }
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
		"full", "read-only", "io-error", "schema", "no-memory", "error", "key",
	};
	return (unsigned)s < ARRAY_SIZE(names) ? names[s] : "error";
}

enum store_status sql_status(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_DONE:
	case SQLITE_ROW: return ST_OK;
	case SQLITE_CANTOPEN: return ST_MISSING;
	case SQLITE_PERM:
	case SQLITE_AUTH: return ST_PERM;
	case SQLITE_NOTADB:
	case SQLITE_CORRUPT:
	case SQLITE_FORMAT: return ST_CORRUPT;
	case SQLITE_BUSY:
	case SQLITE_LOCKED: return ST_BUSY;
	case SQLITE_FULL: return ST_FULL;
	case SQLITE_READONLY: return ST_READONLY;
	case SQLITE_IOERR: return ST_IO;
	case SQLITE_NOMEM: return ST_NOMEM;
	default: return ST_ERROR;
	}
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
	case ST_KEY: return "check secret_key_file, see sosafe.conf(5)";
	default: return "see sosafectl(8)";
	}
}

/* SQLite says "unable to open database file" or "disk I/O error" for
 * several causes; the errno of the failed system call tells the admin which
 * (the store exists when we get here, so "run: sosafectl init" would mislead). */
static enum store_status refine_by_errno(enum store_status s, int sys_errno)
{
	if (s != ST_MISSING && s != ST_IO && s != ST_ERROR)
		return s;
	switch (sys_errno) {
	case EACCES:
	case EPERM: return ST_PERM;
	case EROFS: return ST_READONLY;
	case ENOSPC:
	case EDQUOT: return ST_FULL;
	case EIO: return ST_IO;
	default: return s;
	}
}

enum store_status store_fail(struct store *st, int rc, const char *what)
{
	int sys_errno = st->db ? sqlite3_system_errno(st->db) : 0;
	enum store_status s = refine_by_errno(sql_status(rc), sys_errno);
	struct statvfs vfs;
	/* the store file is there but a companion (-wal, -shm) cannot be made */
	if (s == ST_MISSING && access(st->path, F_OK) == 0)
		s = statvfs(st->path, &vfs) == 0 && (vfs.f_flag & ST_RDONLY) ? ST_READONLY : ST_ERROR;
	snprintf(st->cause, sizeof(st->cause), "%s",
		 st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc));
	snprintf(st->err, sizeof(st->err), "%s %s: %s%s%s (%s)", what, st->path, st->cause,
		 sys_errno ? ": " : "", sys_errno ? strerror(sys_errno) : "", store_status_advice(s));
	return s;
}

static int exec(struct store *st, const char *sql)
{
	return sqlite3_exec(st->db, sql, NULL, NULL, NULL);
}

/* Apply missing schema steps of every part (inside one write transaction). */
enum store_status store_migrate(struct store *st, bool may_write)
{
	/* Read first: the common case (schema current) must not take the write
	 * lock, which every authentication competes for. */
	sqlite3_stmt *get = NULL, *set = NULL;
	int rc = sqlite3_prepare_v2(st->db, "SELECT value FROM meta WHERE key = ?", -1, &get, NULL);
	if (rc != SQLITE_OK && may_write && strstr(sqlite3_errmsg(st->db), "no such table")) {
		rc = exec(st, "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER)"
			      " WITHOUT ROWID");
		if (rc == SQLITE_OK)
			rc = sqlite3_prepare_v2(st->db, "SELECT value FROM meta WHERE key = ?", -1,
						&get, NULL);
	}
	if (rc != SQLITE_OK) {
		enum store_status s = store_fail(st, rc, "cannot read schema of");
		if (s == ST_ERROR) {
			snprintf(st->err, sizeof(st->err), "%s is not a sosafe store (%s); run: sosafectl init",
				 st->path, sqlite3_errmsg(st->db));
			s = ST_SCHEMA;
		}
		return s;
	}
	enum store_status ret = ST_OK;
	bool began = false;
	for (unsigned i = 0; i < store_schema_nparts && ret == ST_OK; i++) {
		const struct schema_part *p = store_schema_parts[i];
		char key[64];
		snprintf(key, sizeof(key), "schema.%s", p->name);
		sqlite3_reset(get);
		sqlite3_bind_text(get, 1, key, -1, SQLITE_STATIC);
		long have = 0;
		rc = sqlite3_step(get);
		if (rc == SQLITE_ROW)
			have = sqlite3_column_int64(get, 0);
		else if (rc != SQLITE_DONE) {
			ret = store_fail(st, rc, "cannot read schema of");
			break;
		}
		if (have > (long)p->nsteps) {
			snprintf(st->err, sizeof(st->err),
				 "%s has schema %s version %ld, newer than this program knows (%u); "
				 "upgrade sosafe", st->path, p->name, have, p->nsteps);
			ret = ST_SCHEMA;
			break;
		}
		if (have == (long)p->nsteps)
			continue;
		if (!may_write) {
			snprintf(st->err, sizeof(st->err),
				 "%s needs a schema upgrade; run: sosafectl init", st->path);
			ret = ST_SCHEMA;
			break;
		}
		if (!began) {
			rc = exec(st, "BEGIN IMMEDIATE");
			if (rc != SQLITE_OK) {
				ret = store_fail(st, rc, "cannot upgrade schema of");
				break;
			}
			began = true;
		}
		for (long s = have; s < (long)p->nsteps && ret == ST_OK; s++) {
			rc = exec(st, p->steps[s]);
			if (rc != SQLITE_OK)
				ret = store_fail(st, rc, "schema upgrade failed for");
		}
		if (ret != ST_OK)
			break;
		if (!set)
			rc = sqlite3_prepare_v2(st->db, "INSERT OR REPLACE INTO meta VALUES (?, ?)", -1,
						&set, NULL);
		if (rc == SQLITE_OK) {
			sqlite3_reset(set);
			sqlite3_bind_text(set, 1, key, -1, SQLITE_STATIC);
			sqlite3_bind_int64(set, 2, p->nsteps);
			rc = sqlite3_step(set);
		}
		if (rc != SQLITE_DONE && rc != SQLITE_OK)
			ret = store_fail(st, rc, "schema upgrade failed for");
	}
	sqlite3_finalize(get);
	sqlite3_finalize(set);
	if (began) {
		if (ret == ST_OK) {
			rc = exec(st, "COMMIT");
			if (rc != SQLITE_OK)
				ret = store_fail(st, rc, "schema upgrade failed for");
		}
		if (ret != ST_OK)
			exec(st, "ROLLBACK");
	}
	return ret;
}

static enum store_status create_file(const char *path, struct sosafe_err *e)
{
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		if (errno == EEXIST)
			return ST_OK;
		int saved = errno;
		err_set(e, "cannot create %s: %s", path, strerror(saved));
		return saved == ENOSPC ? ST_FULL : saved == EROFS ? ST_READONLY : ST_PERM;
	}
	close(fd);
	return ST_OK;
}

enum store_status store_open(struct store **out, const char *state_dir, unsigned flags,
			     unsigned timeout_ms, struct sosafe_err *e)
{
	*out = NULL;
	if (flags & STORE_CREATE) {
		if (fs_ensure_dir(state_dir, e))
			return ST_PERM;
	} else if (fs_check_dir(state_dir, e)) {
		return access(state_dir, F_OK) ? ST_MISSING : ST_PERM;
	}
	struct store *st = calloc(1, sizeof(*st));
	if (!st) {
		err_set(e, "out of memory");
		return ST_NOMEM;
	}
	if ((size_t)snprintf(st->path, sizeof(st->path), "%s/%s", state_dir, STORE_FILE) >=
	    sizeof(st->path)) {
		err_set(e, "state_dir path too long");
		free(st);
		return ST_ERROR;
	}
	enum store_status s;
	if (flags & STORE_CREATE) {
		s = create_file(st->path, e);
		if (s != ST_OK) {
			free(st);
			return s;
		}
	}
	int chk = fs_check_file(st->path, true, e);
	if (chk) {
		if (chk > 0)
			err_set(e, "state store %s does not exist; run: sosafectl init "
				"(or restore a backup)", st->path);
		free(st);
		return chk > 0 ? ST_MISSING : ST_PERM;
	}
	int oflags = SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_NOMUTEX |
		     ((flags & STORE_RDONLY) ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE);
	int rc = sqlite3_open_v2(st->path, &st->db, oflags, NULL);
	if (rc != SQLITE_OK) {
		s = store_fail(st, rc, "cannot open state store");
		goto fail;
	}
	sqlite3_extended_result_codes(st->db, 1);
	/* The last connection to close checkpoints the WAL into the database
	 * and deletes it. Skipping that (NO_CKPT_ON_CLOSE + PERSIST_WAL) saves
	 * fsyncs per login, but then damage to the main file stays hidden behind
	 * the WAL and a killed writer leaves recovery to the next opener, which
	 * the fault and torture suites showed: kept as it is, see docs. */
	st->timeout_ms = timeout_ms;
	st->rng = (unsigned)getpid() ^ (unsigned)(uintptr_t)st;
	sqlite3_busy_handler(st->db, busy_wait, st);
	/* journal_mode=WAL is persistent; setting it again is cheap and repairs
	 * a store restored from a rollback-journal copy.
	 * synchronous: FULL (default) fsyncs the WAL at every commit, so a
	 * counted failure survives power loss before the prompt is shown.
	 * NORMAL (store_sync_commits = no, PAM only) leaves a commit in the page
	 * cache: it survives a crash or SIGKILL of the process, not a power loss
	 * or kernel crash before the next checkpoint (at the latest when the
	 * login's connection closes). Both keep the database consistent. */
	static const char pragmas[] =
		"PRAGMA trusted_schema=OFF;"
		"PRAGMA foreign_keys=ON;"
		"PRAGMA secure_delete=ON;"
		"PRAGMA cell_size_check=ON;";
	rc = exec(st, pragmas);
	if (rc == SQLITE_OK)
		rc = exec(st, (flags & STORE_SYNC_NORMAL) ? "PRAGMA synchronous=NORMAL"
							  : "PRAGMA synchronous=FULL");
	if (rc == SQLITE_OK && !(flags & STORE_RDONLY)) {
		sqlite3_stmt *q = NULL;
		rc = sqlite3_prepare_v2(st->db, "PRAGMA journal_mode", -1, &q, NULL);
		if (rc == SQLITE_OK && sqlite3_step(q) == SQLITE_ROW) {
			const char *mode = (const char *)sqlite3_column_text(q, 0);
			bool wal = mode && !strcmp(mode, "wal");
			sqlite3_finalize(q);
			q = NULL;
			if (!wal)
				rc = exec(st, "PRAGMA journal_mode=WAL");
		} else {
			rc = sqlite3_errcode(st->db);
		}
		sqlite3_finalize(q);
	}
	if (rc != SQLITE_OK) {
		s = store_fail(st, rc, "cannot open state store");
		goto fail;
	}
	s = store_migrate(st, !(flags & STORE_RDONLY));
	if (s != ST_OK)
		goto fail;
	st->refs = 1;
	st->pid = getpid();
	snprintf(st->dir, sizeof(st->dir), "%s", state_dir);
	*out = st;
	return ST_OK;
fail:
	err_set(e, "%s", st->err);
	stmt_finalize_all(st);
	sqlite3_close_v2(st->db);
	free(st);
	return s;
}

struct store *store_ref(struct store *st)
{
	st->refs++;
	return st;
}

bool store_reusable(const struct store *st, const char *state_dir)
{
	return st && st->pid == getpid() && !st->in_tx && !strcmp(st->dir, state_dir);
}

void store_close(struct store *st)
{
	if (!st || --st->refs > 0)
		return;
	if (st->in_tx)
		exec(st, "ROLLBACK");
	stmt_finalize_all(st);
	sqlite3_close_v2(st->db);
	keyring_unref(st->keys);
	free(st);
}

enum store_status sql_exec(struct store *st, const char *sql, const char *what)
{
	int rc = exec(st, sql);
	return rc == SQLITE_OK ? ST_OK : store_fail(st, rc, what);
}

/* Transaction control runs for every login: cached like any statement. */
static enum store_status tx_run(struct store *st, const char *sql, const char *what)
{
	return sql_run_args(st, what, NULL, sql, NULL, 0);
}

enum store_status store_begin(struct store *st)
{
	enum store_status s = tx_run(st, "BEGIN IMMEDIATE", "cannot lock state store");
	if (s == ST_OK)
		st->in_tx = true;
	return s;
}

enum store_status store_begin_read(struct store *st)
{
	enum store_status s = tx_run(st, "BEGIN", "cannot read state store");
	if (s == ST_OK)
		st->in_tx = true;
	return s;
}

long long store_total_changes(const struct store *st)
{
	return sqlite3_total_changes64(st->db);
}

enum store_status store_commit(struct store *st)
{
	enum store_status s = tx_run(st, "COMMIT", "cannot write state store");
	if (s != ST_OK)
		exec(st, "ROLLBACK");
	st->in_tx = false;
	return s;
}

void store_rollback(struct store *st)
{
	if (st->in_tx)
		exec(st, "ROLLBACK");
	st->in_tx = false;
}
