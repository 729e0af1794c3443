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
	bool in_tx;
	int refs;              /* store_ref/store_close */
	pid_t pid;             /* process that opened it: never used across fork */
	char dir[PATH_MAX];
	unsigned timeout_ms;
	struct timespec wait_start;
	unsigned rng;
	struct stmt_slot *stmt;
	unsigned nstmt, stmt_cap;
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

enum store_status sql_run_args(struct store *st, const char *what, long *changes,
			       const char *sql, const struct sql_arg *args, unsigned n)
{
	sqlite3_stmt *q;
	enum store_status s = sql_prepare(st, sql, &q, what);
	if (s == ST_OK)
		s = sql_bind(st, q, args, n, what);
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
	enum store_status s = sql_prepare(st, sql, &q, what);
	if (s == ST_OK)
		s = sql_bind(st, q, args, n, what);
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
const char *store_path(const struct store *st) { return st->path; }
struct sqlite3 *store_db(struct store *st) { return st->db; }

const char *store_status_name(enum store_status s)
{
	static const char *const names[] = {
		"ok", "not-found", "missing", "permission", "corrupt", "busy",
		"full", "read-only", "io-error", "schema", "no-memory", "error",
	};
	return (unsigned)s < ARRAY_SIZE(names) ? names[s] : "error";
}

static enum store_status map_rc(int rc)
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

static const char *advice(enum store_status s)
{
	switch (s) {
	case ST_CORRUPT: return "the store is damaged; restore it with: sosafectl restore BACKUP";
	case ST_FULL: return "the file system is full; free space in the state directory";
	case ST_READONLY: return "the state directory is read-only; remount it read-write";
	case ST_BUSY: return "another process held the store too long; check for a stuck sosafectl";
	case ST_IO: return "I/O error; check the disk and the kernel log";
	case ST_MISSING: return "run: sosafectl init";
	case ST_PERM: return "check owner and mode of the state directory and store (root, 0600)";
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
	enum store_status s = refine_by_errno(map_rc(rc), sys_errno);
	struct statvfs vfs;
	/* the store file is there but a companion (-wal, -shm) cannot be made */
	if (s == ST_MISSING && access(st->path, F_OK) == 0)
		s = statvfs(st->path, &vfs) == 0 && (vfs.f_flag & ST_RDONLY) ? ST_READONLY : ST_ERROR;
	snprintf(st->err, sizeof(st->err), "%s %s: %s%s%s (%s)", what, st->path,
		 st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc), sys_errno ? ": " : "",
		 sys_errno ? strerror(sys_errno) : "", advice(s));
	return s;
}

static int exec(struct store *st, const char *sql)
{
	return sqlite3_exec(st->db, sql, NULL, NULL, NULL);
}

/* Apply missing schema steps of every part (inside one write transaction). */
static enum store_status migrate(struct store *st, bool may_write)
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

static enum store_status create_file(const char *path, char *err, size_t errlen)
{
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		if (errno == EEXIST)
			return ST_OK;
		snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
		return errno == ENOSPC ? ST_FULL : errno == EROFS ? ST_READONLY : ST_PERM;
	}
	close(fd);
	return ST_OK;
}

enum store_status store_open(struct store **out, const char *state_dir, unsigned flags,
			     unsigned timeout_ms, char *err, size_t errlen)
{
	*out = NULL;
	if (flags & STORE_CREATE) {
		if (fs_ensure_dir(state_dir, err, errlen))
			return ST_PERM;
	} else if (fs_check_dir(state_dir, err, errlen)) {
		return access(state_dir, F_OK) ? ST_MISSING : ST_PERM;
	}
	struct store *st = calloc(1, sizeof(*st));
	if (!st) {
		snprintf(err, errlen, "out of memory");
		return ST_NOMEM;
	}
	if ((size_t)snprintf(st->path, sizeof(st->path), "%s/%s", state_dir, STORE_FILE) >=
	    sizeof(st->path)) {
		snprintf(err, errlen, "state_dir path too long");
		free(st);
		return ST_ERROR;
	}
	enum store_status s;
	if (flags & STORE_CREATE) {
		s = create_file(st->path, err, errlen);
		if (s != ST_OK) {
			free(st);
			return s;
		}
	}
	int chk = fs_check_file(st->path, true, err, errlen);
	if (chk) {
		if (chk > 0)
			snprintf(err, errlen, "state store %s does not exist; run: sosafectl init "
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
	s = migrate(st, !(flags & STORE_RDONLY));
	if (s != ST_OK)
		goto fail;
	st->refs = 1;
	st->pid = getpid();
	snprintf(st->dir, sizeof(st->dir), "%s", state_dir);
	*out = st;
	return ST_OK;
fail:
	snprintf(err, errlen, "%s", st->err);
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

#define TALLY_COLS "fails, locked_until, reset_seq, lock_level, last_lock, attempts, refused, last_success, period_start, period_fails"

static int row_to_tally(sqlite3_stmt *q, int col, struct tally *t)
{
	memset(t, 0, sizeof(*t));
	const void *blob = sqlite3_column_blob(q, col);
	int n = sqlite3_column_bytes(q, col);
	if (n < 0 || unpack_fails(t, blob, (size_t)n))
		return -1;
	t->locked_until = sqlite3_column_int64(q, col + 1);
	t->reset_seq = sqlite3_column_int64(q, col + 2);
	int64_t level = sqlite3_column_int64(q, col + 3);
	t->last_lock = sqlite3_column_int64(q, col + 4);
	t->attempts = sqlite3_column_int64(q, col + 5);
	t->refused = sqlite3_column_int64(q, col + 6);
	t->last_success = sqlite3_column_int64(q, col + 7);
	t->period_start = sqlite3_column_int64(q, col + 8);
	t->period_fails = sqlite3_column_int64(q, col + 9);
	if (level < 0 || level > 1000 || t->locked_until < 0 || t->attempts < 0)
		return -1;
	t->lock_level = (unsigned)level;
	return 0;
}

enum store_status store_tally_get(struct store *st, const char *user, struct tally *t)
{
	sqlite3_stmt *q;
	memset(t, 0, sizeof(*t));
	enum store_status s = sql_prepare(st, "SELECT " TALLY_COLS " FROM tally WHERE user = ?", &q,
					  "cannot read");
	if (s == ST_OK)
		s = sql_bind(st, q, &SQL_TEXT(user), 1, "cannot read");
	if (s == ST_OK)
		s = sql_step(st, q, "cannot read");
	if (s == ST_OK && row_to_tally(q, 0, t))
		s = sql_error(st, ST_CORRUPT, "state store %s has a malformed tally row (%s)",
			      st->path, advice(ST_CORRUPT));
	sql_release(st, q);
	return s;
}

enum store_status store_tally_put(struct store *st, const char *user, const struct tally *t)
{
	unsigned char buf[SOSAFE_MAX_DENY * 8];
	pack_fails(t, buf);
	return sql_run(st, "cannot write", NULL,
		       "INSERT OR REPLACE INTO tally (user, " TALLY_COLS
		       ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		       SQL_TEXT(user), SQL_BLOB(buf, t->nfails * 8), SQL_INT(t->locked_until),
		       SQL_INT(t->reset_seq), SQL_INT(t->lock_level), SQL_INT(t->last_lock),
		       SQL_INT(t->attempts), SQL_INT(t->refused), SQL_INT(t->last_success),
		       SQL_INT(t->period_start), SQL_INT(t->period_fails));
}

enum store_status store_tally_foreach(struct store *st, store_tally_fn fn, void *ctx)
{
	sqlite3_stmt *q;
	enum store_status s = sql_prepare(st, "SELECT user, " TALLY_COLS " FROM tally ORDER BY user",
					  &q, "cannot read");
	while (s == ST_OK && (s = sql_step(st, q, "cannot read")) == ST_OK) {
		struct tally t;
		const char *user = (const char *)sqlite3_column_text(q, 0);
		if (!user || row_to_tally(q, 1, &t))
			s = sql_error(st, ST_CORRUPT, "malformed tally row in %s", st->path);
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
		s = store_fail(st, SQLITE_NOMEM, "cannot read");
	for (size_t i = 0; s == ST_OK && i < in.n; i++) {
		long n = 0;
		s = sql_run(st, "cannot write", &n, "DELETE FROM tally WHERE user = ?", SQL_TEXT(in.v[i]));
		*pruned += n;
	}
	for (size_t i = 0; i < in.n; i++)
		free(in.v[i]);
	free(in.v);
	return s;
}

enum store_status store_delete_user(struct store *st, const char *user, long *rows)
{
	*rows = 0;
	for (unsigned i = 0; i < store_schema_nparts; i++) {
		const struct schema_part *p = store_schema_parts[i];
		for (unsigned j = 0; j < p->nuser_tables; j++) {
			char sql[128];
			long n = 0;
			snprintf(sql, sizeof(sql), "DELETE FROM %s WHERE user = ?", p->user_tables[j]);
			enum store_status s = sql_run(st, "cannot delete from", &n, sql, SQL_TEXT(user));
			if (s != ST_OK)
				return s;
			*rows += n;
		}
	}
	return ST_OK;
}

static enum store_status copy_db(sqlite3 *from, sqlite3 *to)
{
	sqlite3_backup *b = sqlite3_backup_init(to, "main", from, "main");
	if (!b)
		return map_rc(sqlite3_errcode(to));
	int rc;
	do {
		rc = sqlite3_backup_step(b, 256);
		if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
			sqlite3_sleep(20);
	} while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
	sqlite3_backup_finish(b);
	return rc == SQLITE_DONE ? ST_OK : map_rc(rc);
}

enum store_status store_backup(struct store *st, const char *dest)
{
	int fd = open(dest, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(st->err, sizeof(st->err), "cannot create backup %s: %s", dest,
			 strerror(errno));
		return errno == EEXIST ? ST_ERROR : ST_PERM;
	}
	close(fd);
	sqlite3 *out = NULL;
	int rc = sqlite3_open_v2(dest, &out, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW, NULL);
	enum store_status s = rc == SQLITE_OK ? copy_db(st->db, out) : map_rc(rc);
	if (s == ST_OK) {
		/* a backup is one self-contained file: no WAL beside it */
		rc = sqlite3_exec(out, "PRAGMA journal_mode=DELETE", NULL, NULL, NULL);
		s = map_rc(rc);
	}
	if (s != ST_OK)
		snprintf(st->err, sizeof(st->err), "backup to %s failed: %s", dest,
			 out ? sqlite3_errmsg(out) : "cannot open");
	sqlite3_close_v2(out);
	if (s != ST_OK)
		unlink(dest);
	return s;
}

enum store_status store_verify_file(const char *path, char *err, size_t errlen)
{
	sqlite3 *db = NULL;
	int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOFOLLOW, NULL);
	enum store_status s = ST_OK;
	sqlite3_stmt *q = NULL;
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &q, NULL);
	if (rc == SQLITE_OK && sqlite3_step(q) == SQLITE_ROW) {
		const char *r = (const char *)sqlite3_column_text(q, 0);
		if (!r || strcmp(r, "ok")) {
			snprintf(err, errlen, "%s fails the integrity check: %s", path, r ? r : "?");
			s = ST_CORRUPT;
		}
	} else {
		rc = db ? sqlite3_errcode(db) : rc;
		snprintf(err, errlen, "%s is not a readable sosafe store: %s", path,
			 db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		s = map_rc(rc) == ST_OK ? ST_CORRUPT : map_rc(rc);
	}
	sqlite3_finalize(q);
	q = NULL;
	if (s == ST_OK) {
		rc = sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = 'schema.core'", -1, &q,
					NULL);
		if (rc != SQLITE_OK || sqlite3_step(q) != SQLITE_ROW) {
			snprintf(err, errlen, "%s is not a sosafe store (no schema record)", path);
			s = ST_CORRUPT;
		}
		sqlite3_finalize(q);
	}
	sqlite3_close_v2(db);
	return s;
}

static enum store_status restore_user(struct store *st, const char *backup, const char *user,
				      long *rows)
{
	sqlite3_stmt *q = NULL;
	int rc = sqlite3_prepare_v2(st->db, "ATTACH DATABASE ? AS bak", -1, &q, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(q, 1, backup, -1, SQLITE_STATIC);
		rc = sqlite3_step(q);
	}
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE)
		return store_fail(st, rc, "cannot attach backup for");
	enum store_status s = store_begin(st);
	long deleted = 0;
	if (s == ST_OK)
		s = store_delete_user(st, user, &deleted);
	*rows = 0;
	for (unsigned i = 0; i < store_schema_nparts && s == ST_OK; i++) {
		const struct schema_part *p = store_schema_parts[i];
		for (unsigned j = 0; j < p->nuser_tables && s == ST_OK; j++) {
			char sql[192];
			snprintf(sql, sizeof(sql), "INSERT INTO main.%s SELECT * FROM bak.%s WHERE user = ?",
				 p->user_tables[j], p->user_tables[j]);
			rc = sqlite3_prepare_v2(st->db, sql, -1, &q, NULL);
			if (rc == SQLITE_OK) {
				sqlite3_bind_text(q, 1, user, -1, SQLITE_STATIC);
				rc = sqlite3_step(q);
			}
			sqlite3_finalize(q);
			/* a table missing in an older backup is not an error */
			if (rc != SQLITE_DONE && !strstr(sqlite3_errmsg(st->db), "no such table"))
				s = store_fail(st, rc, "cannot restore into");
			else if (rc == SQLITE_DONE)
				*rows += sqlite3_changes(st->db);
		}
	}
	if (s == ST_OK)
		s = store_commit(st);
	else
		store_rollback(st);
	exec(st, "DETACH DATABASE bak");
	return s;
}

enum store_status store_restore(struct store *st, const char *backup, const char *user,
				long *rows)
{
	char err[512];
	*rows = 0;
	enum store_status s = store_verify_file(backup, err, sizeof(err));
	if (s != ST_OK) {
		snprintf(st->err, sizeof(st->err), "%s", err);
		return s;
	}
	if (user)
		return restore_user(st, backup, user, rows);
	sqlite3 *in = NULL;
	int rc = sqlite3_open_v2(backup, &in, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOFOLLOW, NULL);
	s = rc == SQLITE_OK ? copy_db(in, st->db) : map_rc(rc);
	sqlite3_close_v2(in);
	if (s != ST_OK)
		return store_fail(st, sqlite3_errcode(st->db), "restore failed into");
	exec(st, "PRAGMA journal_mode=WAL");
	s = migrate(st, true);
	*rows = -1;
	return s;
}

enum store_status store_check(struct store *st, char *err, size_t errlen)
{
	sqlite3_stmt *q = NULL;
	int rc = sqlite3_prepare_v2(st->db, "PRAGMA integrity_check", -1, &q, NULL);
	enum store_status s = ST_OK;
	if (rc == SQLITE_OK && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		const char *r = (const char *)sqlite3_column_text(q, 0);
		if (!r || strcmp(r, "ok")) {
			snprintf(err, errlen, "%s", r ? r : "integrity check failed");
			s = ST_CORRUPT;
		} else {
			snprintf(err, errlen, "ok");
		}
	} else {
		s = store_fail(st, rc, "cannot check");
		snprintf(err, errlen, "%s", st->err);
	}
	sqlite3_finalize(q);
	return s;
}
