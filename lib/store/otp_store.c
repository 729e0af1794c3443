/* Tables of the second factor. The secret is a BLOB readable by root only
 * (the whole store is 0600 root); secure_delete (set by store_open) makes
 * SQLite overwrite freed pages, so a revoked secret does not linger. */
#include <config.h>
#include "store/schema_parts.h"
#include "store/otp_store.h"

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "base/util.h"

static const char *const otp_steps[] = {
	"CREATE TABLE otp ("
	"  user TEXT PRIMARY KEY NOT NULL,"
	"  secret BLOB NOT NULL,"
	"  algorithm INTEGER NOT NULL,"
	"  digits INTEGER NOT NULL,"
	"  period INTEGER NOT NULL,"
	"  last_step INTEGER NOT NULL DEFAULT -1,"
	"  enrolled_at INTEGER NOT NULL,"
	"  enrolled_by TEXT NOT NULL DEFAULT ''"
	") WITHOUT ROWID",
	"CREATE TABLE otp_recovery ("
	"  user TEXT NOT NULL,"
	"  id TEXT NOT NULL,"
	"  hash TEXT NOT NULL,"
	"  created_at INTEGER NOT NULL,"
	"  used_at INTEGER NOT NULL DEFAULT 0,"
	"  PRIMARY KEY (user, id)"
	") WITHOUT ROWID",
	"CREATE TABLE otp_enroll_window ("
	"  user TEXT PRIMARY KEY NOT NULL,"
	"  deadline INTEGER NOT NULL,"
	"  set_by TEXT NOT NULL DEFAULT ''"
	") WITHOUT ROWID",
};
static const char *const otp_user_tables[] = { "otp", "otp_recovery", "otp_enroll_window" };

const struct schema_part otp_schema_part = {
	.name = "otp",
	.steps = otp_steps,
	.nsteps = ARRAY_SIZE(otp_steps),
	.user_tables = otp_user_tables,
	.nuser_tables = ARRAY_SIZE(otp_user_tables),
};

void otp_record_wipe(struct otp_record *r)
{
	explicit_bzero(r, sizeof(*r));
}

static enum store_status prepare(struct store *st, const char *sql, sqlite3_stmt **q)
{
	int rc = sqlite3_prepare_v2(store_db(st), sql, -1, q, NULL);
	return rc == SQLITE_OK ? ST_OK : store_fail(st, rc, "cannot query");
}

static enum store_status step_done(struct store *st, sqlite3_stmt *q, const char *what)
{
	int rc = sqlite3_step(q);
	sqlite3_finalize(q);
	return rc == SQLITE_DONE ? ST_OK : store_fail(st, rc, what);
}

enum store_status otp_get(struct store *st, const char *user, struct otp_record *r)
{
	sqlite3_stmt *q = NULL;
	otp_record_wipe(r);
	enum store_status s = prepare(st,
		"SELECT secret, algorithm, digits, period, last_step, enrolled_at FROM otp WHERE user = ?",
		&q);
	if (s != ST_OK)
		return s;
	sqlite3_bind_text(q, 1, user, -1, SQLITE_STATIC);
	int rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		const void *blob = sqlite3_column_blob(q, 0);
		int n = sqlite3_column_bytes(q, 0);
		r->params.algorithm = (enum totp_algorithm)sqlite3_column_int(q, 1);
		r->params.digits = (unsigned)sqlite3_column_int(q, 2);
		r->params.period = (unsigned)sqlite3_column_int(q, 3);
		r->last_step = sqlite3_column_int64(q, 4);
		r->enrolled_at = sqlite3_column_int64(q, 5);
		if (!blob || n < TOTP_SECRET_MIN || n > TOTP_SECRET_MAX ||
		    !totp_params_valid(&r->params)) {
			otp_record_wipe(r);
			s = ST_CORRUPT;
			store_fail(st, SQLITE_CORRUPT, "malformed otp row in");
		} else {
			memcpy(r->secret, blob, (size_t)n);
			r->secret_len = (size_t)n;
		}
	} else if (rc == SQLITE_DONE) {
		s = ST_NOTFOUND;
	} else {
		s = store_fail(st, rc, "cannot read");
	}
	sqlite3_finalize(q);
	return s;
}

enum store_status otp_put(struct store *st, const char *user, const struct otp_record *r,
			  const char *by)
{
	sqlite3_stmt *q = NULL;
	if (r->secret_len < TOTP_SECRET_MIN || r->secret_len > TOTP_SECRET_MAX ||
	    !totp_params_valid(&r->params))
		return ST_ERROR;
	enum store_status s = prepare(st,
		"INSERT OR REPLACE INTO otp (user, secret, algorithm, digits, period, last_step,"
		" enrolled_at, enrolled_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", &q);
	if (s != ST_OK)
		return s;
	sqlite3_bind_text(q, 1, user, -1, SQLITE_STATIC);
	sqlite3_bind_blob(q, 2, r->secret, (int)r->secret_len, SQLITE_STATIC);
	sqlite3_bind_int(q, 3, (int)r->params.algorithm);
	sqlite3_bind_int(q, 4, (int)r->params.digits);
	sqlite3_bind_int(q, 5, (int)r->params.period);
	sqlite3_bind_int64(q, 6, r->last_step);
	sqlite3_bind_int64(q, 7, r->enrolled_at);
	sqlite3_bind_text(q, 8, by ? by : "", -1, SQLITE_STATIC);
	return step_done(st, q, "cannot write");
}

enum store_status otp_advance_step(struct store *st, const char *user, int64_t step)
{
	sqlite3_stmt *q = NULL;
	enum store_status s = prepare(st,
		"UPDATE otp SET last_step = ?2 WHERE user = ?1 AND last_step < ?2", &q);
	if (s != ST_OK)
		return s;
	sqlite3_bind_text(q, 1, user, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, step);
	s = step_done(st, q, "cannot write");
	if (s == ST_OK && sqlite3_changes(store_db(st)) != 1)
		s = ST_NOTFOUND;
	return s;
}

static enum store_status delete_from(struct store *st, const char *table, const char *user,
				     long *rows)
{
	char sql[96];
	sqlite3_stmt *q = NULL;
	snprintf(sql, sizeof(sql), "DELETE FROM %s WHERE user = ?", table);
	enum store_status s = prepare(st, sql, &q);
	if (s != ST_OK)
		return s;
	sqlite3_bind_text(q, 1, user, -1, SQLITE_STATIC);
	s = step_done(st, q, "cannot delete from");
	if (s == ST_OK)
		*rows += sqlite3_changes(store_db(st));
	return s;
}

enum store_status otp_revoke(struct store *st, const char *user, long *rows)
{
	*rows = 0;
	enum store_status s = delete_from(st, "otp", user, rows);
	if (s == ST_OK)
		s = delete_from(st, "otp_recovery", user, rows);
	return s;
}

enum store_status otp_window_get(struct store *st, const char *user, int64_t *deadline)
{
	sqlite3_stmt *q = NULL;
	*deadline = 0;
	enum store_status s = prepare(st, "SELECT deadline FROM otp_enroll_window WHERE user = ?", &q);
	if (s != ST_OK)
		return s;
	sqlite3_bind_text(q, 1, user, -1, SQLITE_STATIC);
	int rc = sqlite3_step(q);
	if (rc == SQLITE_ROW)
		*deadline = sqlite3_column_int64(q, 0);
	else if (rc == SQLITE_DONE)
		s = ST_NOTFOUND;
	else
		s = store_fail(st, rc, "cannot read");
	sqlite3_finalize(q);
	return s;
}

enum store_status otp_window_set(struct store *st, const char *user, int64_t deadline,
				 const char *by)
{
	long rows = 0;
	if (deadline == 0)
		return delete_from(st, "otp_enroll_window", user, &rows);
	sqlite3_stmt *q = NULL;
	enum store_status s = prepare(st,
		"INSERT OR REPLACE INTO otp_enroll_window (user, deadline, set_by) VALUES (?, ?, ?)", &q);
	if (s != ST_OK)
		return s;
	sqlite3_bind_text(q, 1, user, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, deadline);
	sqlite3_bind_text(q, 3, by ? by : "", -1, SQLITE_STATIC);
	return step_done(st, q, "cannot write");
}

enum store_status otp_recovery_replace(struct store *st, const char *user, unsigned n,
				       const char *const *ids, const char *const *hashes,
				       int64_t now)
{
	long rows = 0;
	enum store_status s = delete_from(st, "otp_recovery", user, &rows);
	for (unsigned i = 0; i < n && s == ST_OK; i++) {
		sqlite3_stmt *q = NULL;
		s = prepare(st, "INSERT INTO otp_recovery (user, id, hash, created_at) VALUES (?, ?, ?, ?)",
			    &q);
		if (s != ST_OK)
			break;
		sqlite3_bind_text(q, 1, user, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 2, ids[i], -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 3, hashes[i], -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 4, now);
		s = step_done(st, q, "cannot write");
	}
	return s;
}

enum store_status otp_recovery_hash(struct store *st, const char *user, const char *id,
				    char *hash, size_t hashlen)
{
	sqlite3_stmt *q = NULL;
	hash[0] = '\0';
	enum store_status s = prepare(st,
		"SELECT hash FROM otp_recovery WHERE user = ? AND id = ? AND used_at = 0", &q);
	if (s != ST_OK)
		return s;
	sqlite3_bind_text(q, 1, user, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, id, -1, SQLITE_STATIC);
	int rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		const char *h = (const char *)sqlite3_column_text(q, 0);
		if (!h || strlen(h) >= hashlen)
			s = ST_CORRUPT;
		else
			snprintf(hash, hashlen, "%s", h);
	} else if (rc == SQLITE_DONE) {
		s = ST_NOTFOUND;
	} else {
		s = store_fail(st, rc, "cannot read");
	}
	sqlite3_finalize(q);
	return s;
}

enum store_status otp_recovery_consume(struct store *st, const char *user, const char *id,
				       const char *hash, int64_t now, bool *used)
{
	sqlite3_stmt *q = NULL;
	*used = false;
	enum store_status s = prepare(st,
		"UPDATE otp_recovery SET used_at = ? WHERE user = ? AND id = ? AND hash = ? AND used_at = 0",
		&q);
	if (s != ST_OK)
		return s;
	sqlite3_bind_int64(q, 1, now > 0 ? now : 1);
	sqlite3_bind_text(q, 2, user, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 4, hash, -1, SQLITE_STATIC);
	s = step_done(st, q, "cannot write");
	if (s == ST_OK)
		*used = sqlite3_changes(store_db(st)) == 1;
	return s;
}

enum store_status otp_recovery_count(struct store *st, const char *user, unsigned *unused,
				     unsigned *total)
{
	sqlite3_stmt *q = NULL;
	*unused = *total = 0;
	enum store_status s = prepare(st,
		"SELECT count(*), coalesce(sum(used_at = 0), 0) FROM otp_recovery WHERE user = ?", &q);
	if (s != ST_OK)
		return s;
	sqlite3_bind_text(q, 1, user, -1, SQLITE_STATIC);
	int rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		*total = (unsigned)sqlite3_column_int(q, 0);
		*unused = (unsigned)sqlite3_column_int(q, 1);
	} else {
		s = store_fail(st, rc, "cannot read");
	}
	sqlite3_finalize(q);
	return s;
}
