/* Administration of the state store (sosafectl only, so it lives in the
 * admin library): purge and restore of one user across every per-user
 * table of the schema registry, online backup, checks. */
#include <config.h>
#include "store/store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store/store_impl.h"
#include "store/store_sql.h"

enum store_status store_delete_user(struct store *st, const char *user, long *rows)
{
	*rows = 0;
	for (unsigned i = 0; i < store_schema_nparts; i++) {
		const struct schema_part *p = store_schema_parts[i];
		for (unsigned j = 0; j < p->nuser_tables; j++) {
			char sql[128];
			long n = 0;
			snprintf(sql, sizeof(sql), "DELETE FROM %s WHERE \"user\" = ?", p->user_tables[j]);
			enum store_status s = sql_run(st, "cannot delete from", &n, sql, SQL_TEXT(user));
			if (s != ST_OK)
				return s;
			*rows += n;
		}
	}
	return ST_OK;
}


/* Backup, restore and the file check are the SQLite file's; the shared
 * store is backed up and restored with the server's own tools. */
static enum store_status not_local(struct store *st, const char *what)
{
	return sql_error(st, ST_ERROR, "%s of the shared PostgreSQL store is not done by sosafectl: "
			 "use the server's tools (pg_dump / pg_restore, or pg_basebackup with WAL "
			 "archiving for point-in-time recovery); see docs/fleet.md", what);
}

static enum store_status copy_db(sqlite3 *from, sqlite3 *to)
{
	sqlite3_backup *b = sqlite3_backup_init(to, "main", from, "main");
	if (!b)
		return sql_status(sqlite3_errcode(to));
	int rc;
	do {
		rc = sqlite3_backup_step(b, 256);
		if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
			sqlite3_sleep(20);
	} while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
	sqlite3_backup_finish(b);
	return rc == SQLITE_DONE ? ST_OK : sql_status(rc);
}

enum store_status store_backup(struct store *st, const char *dest)
{
	if (!store_is_local(st))
		return not_local(st, "backup");
	int fd = open(dest, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		int e = errno;
		return sql_error(st, e == EEXIST ? ST_ERROR : ST_PERM, "cannot create backup %s: %s",
				 dest, strerror(e));
	}
	close(fd);
	sqlite3 *out = NULL;
	int rc = sqlite3_open_v2(dest, &out, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW, NULL);
	enum store_status s = rc == SQLITE_OK ? copy_db(store_db(st), out) : sql_status(rc);
	if (s == ST_OK) {
		/* a backup is one self-contained file: no WAL beside it */
		rc = sqlite3_exec(out, "PRAGMA journal_mode=DELETE", NULL, NULL, NULL);
		s = sql_status(rc);
	}
	if (s != ST_OK)
		sql_error(st, s, "backup to %s failed: %s", dest, out ? sqlite3_errmsg(out) : "cannot open");
	sqlite3_close_v2(out);
	if (s != ST_OK)
		unlink(dest);
	return s;
}

enum store_status store_verify_file(const char *path, struct sosafe_err *e)
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
			err_set(e, "%s fails the integrity check: %s", path, r ? r : "?");
			s = ST_CORRUPT;
		}
	} else {
		rc = db ? sqlite3_errcode(db) : rc;
		err_set(e, "%s is not a readable sosafe store: %s", path,
			db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		s = sql_status(rc) == ST_OK ? ST_CORRUPT : sql_status(rc);
	}
	sqlite3_finalize(q);
	q = NULL;
	if (s == ST_OK) {
		rc = sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = 'schema.core'", -1, &q,
					NULL);
		if (rc != SQLITE_OK || sqlite3_step(q) != SQLITE_ROW) {
			err_set(e, "%s is not a sosafe store (no schema record)", path);
			s = ST_CORRUPT;
		}
		sqlite3_finalize(q);
	}
	sqlite3_close_v2(db);
	return s;
}

/* The columns bak.TABLE has, as a list for INSERT and SELECT: a backup
 * from before a column was added restores with that column's default.
 * 0 with OUT empty if the backup has no such table; -1 on a read error or
 * a column name that is not ours. */
static int backup_columns(struct store *st, const char *table, char *out, size_t len)
{
	sqlite3_stmt *q = NULL;
	size_t n = 0;
	int rc = sqlite3_prepare_v2(store_db(st), "SELECT name FROM pragma_table_info(?, 'bak')", -1,
				    &q, NULL);
	out[0] = '\0';
	if (rc == SQLITE_OK)
		sqlite3_bind_text(q, 1, table, -1, SQLITE_STATIC);
	while (rc == SQLITE_OK && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		const char *c = (const char *)sqlite3_column_text(q, 0);
		if (!c || !*c || strspn(c, "abcdefghijklmnopqrstuvwxyz_0123456789") != strlen(c) ||
		    n + strlen(c) + 2 > len) {
			rc = SQLITE_CORRUPT;
			break;
		}
		n += (size_t)snprintf(out + n, len - n, "%s%s", n ? ", " : "", c);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(q);
	return rc == SQLITE_DONE ? 0 : -1;
}

static enum store_status restore_user(struct store *st, const char *backup, const char *user,
				      long *rows)
{
	sqlite3_stmt *q = NULL;
	int rc = sqlite3_prepare_v2(store_db(st), "ATTACH DATABASE ? AS bak", -1, &q, NULL);
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
			const char *t = p->user_tables[j];
			char cols[1024], sql[2400];
			if (backup_columns(st, t, cols, sizeof(cols))) {
				s = store_fail(st, SQLITE_CORRUPT, "cannot read the backup for");
				break;
			}
			if (!cols[0])
				continue;   /* a table missing in an older backup is not an error */
			snprintf(sql, sizeof(sql), "INSERT INTO main.%s (%s) SELECT %s FROM bak.%s WHERE \"user\" = ?",
				 t, cols, cols, t);
			rc = sqlite3_prepare_v2(store_db(st), sql, -1, &q, NULL);
			if (rc == SQLITE_OK) {
				sqlite3_bind_text(q, 1, user, -1, SQLITE_STATIC);
				rc = sqlite3_step(q);
			}
			sqlite3_finalize(q);
			if (rc != SQLITE_DONE)
				s = store_fail(st, rc, "cannot restore into");
			else
				*rows += sqlite3_changes(store_db(st));
		}
	}
	if (s == ST_OK)
		s = store_commit(st);
	else
		store_rollback(st);
	sqlite3_exec(store_db(st), "DETACH DATABASE bak", NULL, NULL, NULL);
	return s;
}

enum store_status store_restore(struct store *st, const char *backup, const char *user,
				long *rows)
{
	if (!store_is_local(st))
		return not_local(st, "restore");
	struct sosafe_err e = { "" };
	*rows = 0;
	enum store_status s = store_verify_file(backup, &e);
	if (s != ST_OK)
		return sql_error(st, s, "%s", e.msg);
	if (user)
		return restore_user(st, backup, user, rows);
	sqlite3 *in = NULL;
	int rc = sqlite3_open_v2(backup, &in, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOFOLLOW, NULL);
	s = rc == SQLITE_OK ? copy_db(in, store_db(st)) : sql_status(rc);
	sqlite3_close_v2(in);
	if (s != ST_OK)
		return store_fail(st, sqlite3_errcode(store_db(st)), "restore failed into");
	sqlite3_exec(store_db(st), "PRAGMA journal_mode=WAL", NULL, NULL, NULL);
	s = store_migrate(st, true);
	*rows = -1;
	return s;
}

enum store_status store_check(struct store *st, struct sosafe_err *e)
{
	if (!store_is_local(st)) {
		/* the server checks its pages; here: reachable, schema current */
		int64_t n;
		enum store_status s = sql_int(st, "cannot check", &n, "SELECT count(*) FROM meta"
					      " WHERE key LIKE ?", SQL_TEXT("schema.%"));
		err_set(e, "%s", s == ST_OK ? "ok" : store_error(st));
		return s;
	}
	sqlite3_stmt *q = NULL;
	int rc = sqlite3_prepare_v2(store_db(st), "PRAGMA integrity_check", -1, &q, NULL);
	enum store_status s = ST_OK;
	if (rc == SQLITE_OK && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		const char *r = (const char *)sqlite3_column_text(q, 0);
		if (!r || strcmp(r, "ok")) {
			err_set(e, "%s", r ? r : "integrity check failed");
			s = ST_CORRUPT;
		} else {
			err_set(e, "ok");
		}
	} else {
		s = store_fail(st, rc, "cannot check");
		err_set(e, "%s", store_error(st));
	}
	sqlite3_finalize(q);
	return s;
}

int sql_user_union(char *buf, size_t len)
{
	size_t used = 0;
	buf[0] = '\0';
	for (unsigned i = 0; i < store_schema_nparts; i++) {
		const struct schema_part *p = store_schema_parts[i];
		for (unsigned j = 0; j < p->nuser_tables; j++) {
			int w = snprintf(buf + used, len - used, "%sSELECT \"user\" FROM %s",
					 used ? " UNION " : "", p->user_tables[j]);
			if (w < 0 || (size_t)w >= len - used)
				return -1;
			used += (size_t)w;
		}
	}
	return used ? 0 : -1;
}

enum store_status store_foreach_user(struct store *st, store_user_fn fn, void *ctx)
{
	char users[1024], sql[1040];
	if (sql_user_union(users, sizeof(users)))
		return sql_error(st, ST_ERROR, "too many per-user tables in the schema of %s",
				 store_path(st));
	snprintf(sql, sizeof(sql), "%s ORDER BY 1", users);
	struct sql_stmt *q;
	enum store_status s = sql_prepare(st, sql, &q, "cannot read");
	while (s == ST_OK && (s = sql_step(st, q, "cannot read")) == ST_OK)
		if (fn(sql_text(q, 0), ctx))
			break;
	sql_release(st, q);
	return s == ST_NOTFOUND ? ST_OK : s;
}

enum store_status store_user_present(struct store *st, const char *user, bool *present)
{
	char users[1024], sql[1100];
	*present = false;
	if (sql_user_union(users, sizeof(users)))
		return sql_error(st, ST_ERROR, "too many per-user tables in the schema of %s",
				 store_path(st));
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM (%s) AS u WHERE u.\"user\" = ?", users);
	int64_t n = 0;
	enum store_status s = sql_int(st, "cannot read", &n, sql, SQL_TEXT(user));
	*present = s == ST_OK && n > 0;
	return s;
}

/* The values of FROM's current row as arguments for an INSERT into TO
 * (blobs and text point into FROM's row: used before its next step). */
static void row_args(struct sql_stmt *q, int n, struct sql_arg *args)
{
	const struct store_ops *ops = q->st->ops;
	for (int c = 0; c < n; c++) {
		size_t len;
		const void *b;
		switch (ops->col_kind(q, c)) {
		case SQL_ARG_INT:
			args[c] = SQL_INT(ops->col_int64(q, c));
			break;
		case SQL_ARG_BLOB:
			b = ops->col_blob(q, c, &len);
			args[c] = SQL_BLOB(b, len);
			break;
		case SQL_ARG_NULL:
			args[c] = SQL_NULL;
			break;
		default:
			args[c] = SQL_TEXT(ops->col_text(q, c));
			break;
		}
	}
}

#define COPY_COLS_MAX 32

/* Copy the rows of TABLE that SELECT_SQL (one parameter, ARG) gives from
 * FROM into TO, column by column by name; *ROWS counts them. */
static enum store_status copy_rows(struct store *from, struct store *to, const char *table,
				   const char *select_sql, const char *arg, long *rows)
{
	struct sql_stmt *q;
	enum store_status s = arg ? sql_query(from, select_sql, &SQL_TEXT(arg), 1, &q, "cannot read")
				  : sql_query(from, select_sql, NULL, 0, &q, "cannot read");
	char ins[2048];
	int ncols = -1;
	while (s == ST_OK && (s = sql_step(from, q, "cannot read")) == ST_OK) {
		if (ncols < 0) {
			ncols = from->ops->col_count(q);
			if (ncols <= 0 || ncols > COPY_COLS_MAX) {
				s = sql_error(from, ST_ERROR, "table %s: %d columns", table, ncols);
				break;
			}
			size_t used = (size_t)snprintf(ins, sizeof(ins), "INSERT INTO %s (", table);
			for (int c = 0; c < ncols && used < sizeof(ins); c++)
				used += (size_t)snprintf(ins + used, sizeof(ins) - used, "%s\"%s\"",
							 c ? ", " : "", from->ops->col_name(q, c));
			for (int c = 0; c < ncols && used < sizeof(ins); c++)
				used += (size_t)snprintf(ins + used, sizeof(ins) - used, "%s",
							 c ? ", ?" : ") VALUES (?");
			if (used + 2 >= sizeof(ins)) {
				s = sql_error(from, ST_ERROR, "table %s: too many columns", table);
				break;
			}
			memcpy(ins + used, ")", 2);
		}
		struct sql_arg args[COPY_COLS_MAX];
		row_args(q, ncols, args);
		s = sql_run_args(to, "cannot copy into", NULL, ins, args, (unsigned)ncols);
		if (s == ST_OK)
			(*rows)++;
		else
			break;
	}
	sql_release(from, q);
	return s == ST_NOTFOUND ? ST_OK : s;
}

enum store_status store_copy_user(struct store *from, struct store *to, const char *user,
				  long *rows)
{
	*rows = 0;
	for (unsigned i = 0; i < store_schema_nparts; i++) {
		const struct schema_part *p = store_schema_parts[i];
		for (unsigned j = 0; j < p->nuser_tables; j++) {
			char sql[160];
			snprintf(sql, sizeof(sql), "SELECT * FROM %s WHERE \"user\" = ?",
				 p->user_tables[j]);
			enum store_status s = copy_rows(from, to, p->user_tables[j], sql, user, rows);
			if (s != ST_OK)
				return s;
		}
	}
	return ST_OK;
}

enum store_status store_copy_lifecycle(struct store *from, struct store *to, long *tombstones,
				       long *reports)
{
	*tombstones = *reports = 0;
	/* a uid retired on any host stays retired in the fleet: the union */
	enum store_status s = copy_rows(from, to, "uid_tombstone",
		"SELECT uid, \"user\", purged_at FROM uid_tombstone ORDER BY uid", NULL, tombstones);
	if (s == ST_OK)   /* the report keeps every deletion; ids are the new store's */
		s = copy_rows(from, to, "deletion_report",
			      "SELECT \"user\", uid, deactivated_at, purged_at, records, rule, admin"
			      " FROM deletion_report ORDER BY id", NULL, reports);
	return s;
}
