/* Tables of the second factor. The secret is a BLOB sealed with the key
 * file's key (secret_store.h) in a store readable by root only (0600);
 * secure_delete (set by store_open) makes SQLite overwrite freed pages, so
 * a revoked or resealed secret does not linger. */
#include <config.h>
#include "store/schema_parts.h"
#include "store/otp_store.h"

#include <stdio.h>
#include <string.h>

#include "base/util.h"
#include "store/secret_store.h"
#include "store/store_sql.h"

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
	/* 4: secrets are sealed from now on; those already here are plaintext
	 * until sosafectl init seals them (secret_store.h) */
	"INSERT OR REPLACE INTO meta (key, value) SELECT '" SECRET_PLAIN_MARK "', 1"
	" WHERE EXISTS (SELECT 1 FROM otp)",
};
static const char *const otp_user_tables[] = { "otp", "otp_recovery", "otp_enroll_window" };

static const char *const otp_pg_steps[] = {
	"CREATE TABLE otp ("
	"  \"user\" TEXT PRIMARY KEY,"
	"  secret BYTEA NOT NULL,"
	"  algorithm INTEGER NOT NULL,"
	"  digits INTEGER NOT NULL,"
	"  period INTEGER NOT NULL,"
	"  last_step BIGINT NOT NULL DEFAULT -1,"
	"  enrolled_at BIGINT NOT NULL,"
	"  enrolled_by TEXT NOT NULL DEFAULT '');"
	"CREATE TABLE otp_recovery ("
	"  \"user\" TEXT NOT NULL,"
	"  id TEXT NOT NULL,"
	"  hash TEXT NOT NULL,"
	"  created_at BIGINT NOT NULL,"
	"  used_at BIGINT NOT NULL DEFAULT 0,"
	"  PRIMARY KEY (\"user\", id));"
	"CREATE TABLE otp_enroll_window ("
	"  \"user\" TEXT PRIMARY KEY,"
	"  deadline BIGINT NOT NULL,"
	"  set_by TEXT NOT NULL DEFAULT '')",
};

const struct schema_part otp_schema_part = {
	.name = "otp",
	.steps = otp_steps,
	.nsteps = ARRAY_SIZE(otp_steps),
	.user_tables = otp_user_tables,
	.nuser_tables = ARRAY_SIZE(otp_user_tables),
	.pg_steps = otp_pg_steps,
	.pg_nsteps = ARRAY_SIZE(otp_pg_steps),
};

void otp_record_wipe(struct otp_record *r)
{
	explicit_bzero(r, sizeof(*r));
}


enum store_status otp_get(struct store *st, const char *user, struct otp_record *r)
{
	struct sql_stmt *q = NULL;
	const struct seal_place place = { "otp", "secret", user };
	otp_record_wipe(r);
	enum store_status s = SQL_QUERY(st, "cannot read", &q,
		"SELECT secret, algorithm, digits, period, last_step, enrolled_at FROM otp WHERE \"user\" = ?",
		SQL_TEXT(user));
	if (s == ST_OK)
		s = sql_step(st, q, "cannot read");
	if (s == ST_OK) {
		size_t n;
		const void *blob = sql_col_blob(q, 0, &n);
		r->params.algorithm = (enum totp_algorithm)sql_col_int(q, 1);
		r->params.digits = (unsigned)sql_col_int(q, 2);
		r->params.period = (unsigned)sql_col_int(q, 3);
		r->last_step = sql_col_int64(q, 4);
		r->enrolled_at = sql_col_int64(q, 5);
		if (blob && totp_params_valid(&r->params))
			s = secret_open(st, &place, blob, n, r->secret, sizeof(r->secret),
					&r->secret_len);
		else
			s = sql_error(st, ST_CORRUPT, "malformed otp row in %s", store_path(st));
		if (s == ST_OK && (r->secret_len < TOTP_SECRET_MIN || r->secret_len > TOTP_SECRET_MAX))
			s = sql_error(st, ST_CORRUPT, "malformed otp row in %s", store_path(st));
		if (s != ST_OK)
			otp_record_wipe(r);
	}
	sql_release(st, q);
	return s;
}

enum store_status otp_put(struct store *st, const char *user, const struct otp_record *r,
			  const char *by)
{
	if (r->secret_len < TOTP_SECRET_MIN || r->secret_len > TOTP_SECRET_MAX ||
	    !totp_params_valid(&r->params))
		return ST_ERROR;
	const struct seal_place place = { "otp", "secret", user };
	uint8_t sealed[TOTP_SECRET_MAX + SEAL_OVERHEAD];
	size_t n = 0;
	enum store_status s = secret_seal(st, &place, r->secret, r->secret_len, sealed,
					  sizeof(sealed), &n);
	if (s == ST_OK)
		s = sql_run(st, "cannot write", NULL,
			"INSERT INTO otp (\"user\", secret, algorithm, digits, period, last_step,"
			" enrolled_at, enrolled_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
			" ON CONFLICT (\"user\") DO UPDATE SET secret = excluded.secret,"
			" algorithm = excluded.algorithm, digits = excluded.digits,"
			" period = excluded.period, last_step = excluded.last_step,"
			" enrolled_at = excluded.enrolled_at, enrolled_by = excluded.enrolled_by",
			SQL_TEXT(user), SQL_BLOB(sealed, n), SQL_INT(r->params.algorithm),
			SQL_INT(r->params.digits), SQL_INT(r->params.period), SQL_INT(r->last_step),
			SQL_INT(r->enrolled_at), SQL_TEXT(by ? by : ""));
	explicit_bzero(sealed, sizeof(sealed));
	return s;
}

enum store_status otp_advance_step(struct store *st, const char *user, int64_t step)
{
	long n = 0;
	enum store_status s = sql_run(st, "cannot write", &n,
		"UPDATE otp SET last_step = ?2 WHERE \"user\" = ?1 AND last_step < ?2",
		SQL_TEXT(user), SQL_INT(step));
	return s == ST_OK && n != 1 ? ST_NOTFOUND : s;
}

/* The per-user tables of this part, by name (never input). */
static enum store_status delete_from(struct store *st, const char *table, const char *user,
				     long *rows)
{
	char sql[96];
	long n = 0;
	snprintf(sql, sizeof(sql), "DELETE FROM %s WHERE \"user\" = ?", table);
	enum store_status s = sql_run(st, "cannot delete from", &n, sql, SQL_TEXT(user));
	if (s == ST_OK)
		*rows += n;
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
	return sql_int(st, "cannot read", deadline,
		       "SELECT deadline FROM otp_enroll_window WHERE \"user\" = ?", SQL_TEXT(user));
}

enum store_status otp_window_set(struct store *st, const char *user, int64_t deadline,
				 const char *by)
{
	long rows = 0;
	if (deadline == 0)
		return delete_from(st, "otp_enroll_window", user, &rows);
	return sql_run(st, "cannot write", NULL,
		"INSERT INTO otp_enroll_window (\"user\", deadline, set_by) VALUES (?, ?, ?)"
		" ON CONFLICT (\"user\") DO UPDATE SET deadline = excluded.deadline,"
		" set_by = excluded.set_by",
		SQL_TEXT(user), SQL_INT(deadline), SQL_TEXT(by ? by : ""));
}

enum store_status otp_recovery_replace(struct store *st, const char *user, unsigned n,
				       const char *const *ids, const char *const *hashes,
				       int64_t now)
{
	long rows = 0;
	enum store_status s = delete_from(st, "otp_recovery", user, &rows);
	for (unsigned i = 0; i < n && s == ST_OK; i++)
		s = sql_run(st, "cannot write", NULL,
			"INSERT INTO otp_recovery (\"user\", id, hash, created_at) VALUES (?, ?, ?, ?)",
			SQL_TEXT(user), SQL_TEXT(ids[i]), SQL_TEXT(hashes[i]), SQL_INT(now));
	return s;
}

enum store_status otp_recovery_hash(struct store *st, const char *user, const char *id,
				    char *hash, size_t hashlen)
{
	struct sql_stmt *q = NULL;
	hash[0] = '\0';
	enum store_status s = SQL_QUERY(st, "cannot read", &q,
		"SELECT hash FROM otp_recovery WHERE \"user\" = ? AND id = ? AND used_at = 0",
		SQL_TEXT(user), SQL_TEXT(id));
	if (s == ST_OK)
		s = sql_step(st, q, "cannot read");
	if (s == ST_OK) {
		const char *h = sql_text(q, 0);
		if (!h || strlen(h) >= hashlen)
			s = ST_CORRUPT;
		else
			snprintf(hash, hashlen, "%s", h);
	}
	sql_release(st, q);
	return s;
}

enum store_status otp_recovery_consume(struct store *st, const char *user, const char *id,
				       const char *hash, int64_t now, bool *used)
{
	long n = 0;
	*used = false;
	enum store_status s = sql_run(st, "cannot write", &n,
		"UPDATE otp_recovery SET used_at = ? WHERE \"user\" = ? AND id = ? AND hash = ? AND used_at = 0",
		SQL_INT(now > 0 ? now : 1), SQL_TEXT(user), SQL_TEXT(id), SQL_TEXT(hash));
	if (s == ST_OK)
		*used = n == 1;
	return s;
}

enum store_status otp_recovery_count(struct store *st, const char *user, unsigned *unused,
				     unsigned *total)
{
	struct sql_stmt *q = NULL;
	*unused = *total = 0;
	enum store_status s = SQL_QUERY(st, "cannot read", &q,
		"SELECT count(*), coalesce(sum(CASE WHEN used_at = 0 THEN 1 ELSE 0 END), 0) FROM otp_recovery WHERE \"user\" = ?",
		SQL_TEXT(user));
	if (s == ST_OK)
		s = sql_step(st, q, "cannot read");
	if (s == ST_NOTFOUND)   /* an aggregate always has a row */
		s = sql_error(st, ST_ERROR, "cannot read %s: no result", store_path(st));
	if (s == ST_OK) {
		*total = (unsigned)sql_col_int(q, 0);
		*unused = (unsigned)sql_col_int(q, 1);
	}
	sql_release(st, q);
	return s;
}
