/* Sealing secrets again: init's migration, rekey and renames (see
 * secret_store.h). */
#include <config.h>
#include "store/secret_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_sql.h"

/* Read the value of SRC, open it (PLAIN: it is plaintext), seal it for DST
 * under the first key and write it back to SRC's row. ST_NOTFOUND if SRC
 * has no row. */
static enum store_status reseal_one(struct store *st, const struct seal_place *src,
				    const struct seal_place *dst, bool plain)
{
	char sql[160];
	struct sql_stmt *q = NULL;
	uint8_t secret[SEAL_MAX_PLAIN], sealed[SEAL_MAX_PLAIN + SEAL_OVERHEAD];
	size_t n = 0, m = 0;
	struct sosafe_err e = { "" };
	snprintf(sql, sizeof(sql), "SELECT %s FROM %s WHERE \"user\" = ?", src->column, src->table);
	enum store_status s = SQL_QUERY(st, "cannot read", &q, sql, SQL_TEXT(src->user));
	if (s == ST_OK)
		s = sql_step(st, q, "cannot read");
	if (s == ST_OK) {
		size_t len;
		const uint8_t *blob = sql_col_blob(q, 0, &len);
		if (plain && blob && len && len <= sizeof(secret)) {
			memcpy(secret, blob, len);
			n = len;
		} else if (plain) {
			s = sql_error(st, ST_CORRUPT, "a plaintext secret in %s.%s of %s is malformed",
				      src->table, src->column, store_path(st));
		} else {
			s = secret_open(st, src, blob ? blob : (const uint8_t *)"", len, secret,
					sizeof(secret), &n);
		}
	}
	sql_release(st, q);
	if (s == ST_OK) {
		enum seal_result r = seal_value(store_keyring(st), dst, secret, n, sealed,
						sizeof(sealed), &m, &e);
		if (r != SEAL_OK)
			s = sql_error(st, r == SEAL_NOKEY ? ST_KEY : ST_ERROR,
				      "cannot seal the secrets of %s: %s", store_path(st), e.msg);
	}
	explicit_bzero(secret, sizeof(secret));
	if (s == ST_OK) {
		snprintf(sql, sizeof(sql), "UPDATE %s SET %s = ? WHERE \"user\" = ?", src->table,
			 src->column);
		s = sql_run(st, "cannot write", NULL, sql, SQL_BLOB(sealed, m), SQL_TEXT(src->user));
	}
	explicit_bzero(sealed, sizeof(sealed));
	return s;
}

/* Every user with a row in TABLE into a malloc'd array (*N names). */
static enum store_status users_of(struct store *st, const char *table, char ***out, size_t *n)
{
	char sql[96];
	struct sql_stmt *q = NULL;
	*out = NULL;
	*n = 0;
	snprintf(sql, sizeof(sql), "SELECT \"user\" FROM %s ORDER BY \"user\"", table);
	enum store_status s = sql_prepare(st, sql, &q, "cannot read");
	while (s == ST_OK && (s = sql_step(st, q, "cannot read")) == ST_OK) {
		char **v = realloc(*out, (*n + 1) * sizeof(*v));
		char *u = strdup(sql_text(q, 0));
		if (!v || !u) {
			free(u);
			if (v)
				*out = v;
			s = sql_error(st, ST_NOMEM, "out of memory");
			break;
		}
		*out = v;
		v[(*n)++] = u;
	}
	sql_release(st, q);
	return s == ST_NOTFOUND ? ST_OK : s;
}

static void users_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

enum store_status secret_reseal_all(struct store *st, long *rows)
{
	bool plain;
	*rows = 0;
	enum store_status s = secret_plaintext(st, &plain);
	for (unsigned c = 0; c < secret_ncolumns && s == ST_OK; c++) {
		char **users;
		size_t n;
		s = users_of(st, secret_columns[c].table, &users, &n);
		for (size_t i = 0; i < n && s == ST_OK; i++) {
			struct seal_place at = secret_columns[c];
			at.user = users[i];
			s = reseal_one(st, &at, &at, plain);
			if (s == ST_OK) {
				++*rows;
			} else {   /* the admin needs the name: reset-otp, or the right key */
				char why[512];
				snprintf(why, sizeof(why), "%s", store_error(st));
				sql_error(st, s, "user %s: %s", users[i], why);
			}
		}
		users_free(users, n);
	}
	if (s == ST_OK && plain)
		s = sql_run(st, "cannot write", NULL, "DELETE FROM meta WHERE key = ?",
			    SQL_TEXT(SECRET_PLAIN_MARK));
	return s;
}

enum store_status secret_rebind(struct store *st, const char *from, const char *to)
{
	bool plain;
	enum store_status s = secret_plaintext(st, &plain);
	for (unsigned c = 0; c < secret_ncolumns && s == ST_OK && !plain; c++) {
		struct seal_place src = secret_columns[c], dst = secret_columns[c];
		src.user = from;
		dst.user = to;
		s = reseal_one(st, &src, &dst, false);
		if (s == ST_NOTFOUND)
			s = ST_OK;
	}
	return s;
}
