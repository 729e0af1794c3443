/* Sealing and opening secret columns (see secret_store.h). */
#include <config.h>
#include "store/secret_store.h"

#include <string.h>

#include "store/store_sql.h"

const struct seal_place secret_columns[] = {
	{ .table = "otp", .column = "secret" },
};
const unsigned secret_ncolumns = ARRAY_SIZE(secret_columns);

enum store_status secret_plaintext(struct store *st, bool *plain)
{
	int64_t v = 0;
	enum store_status s = sql_int(st, "cannot read", &v, "SELECT value FROM meta WHERE key = ?",
				      SQL_TEXT(SECRET_PLAIN_MARK));
	*plain = s == ST_OK && v != 0;
	return s == ST_NOTFOUND ? ST_OK : s;
}

static enum store_status seal_status(struct store *st, enum seal_result r, const char *what,
				     const struct seal_place *at, const struct sosafe_err *e)
{
	enum store_status s = r == SEAL_NOKEY ? ST_KEY : r == SEAL_BAD ? ST_CORRUPT : ST_ERROR;
	return sql_error(st, s, "cannot %s the secret of %s.%s in %s: %s", what, at->table,
			 at->column, store_path(st), e->msg);
}

enum store_status secret_seal(struct store *st, const struct seal_place *at,
			      const uint8_t *plain, size_t len, uint8_t *out, size_t cap,
			      size_t *outlen)
{
	bool plaintext;
	*outlen = 0;
	enum store_status s = secret_plaintext(st, &plaintext);
	if (s != ST_OK)
		return s;
	if (plaintext)
		return sql_error(st, ST_SCHEMA, "%s holds secrets from before they were sealed; "
				 "run: sosafectl init (it seals them)", store_path(st));
	struct sosafe_err e = { "" };
	enum seal_result r = seal_value(store_keyring(st), at, plain, len, out, cap, outlen, &e);
	return r == SEAL_OK ? ST_OK : seal_status(st, r, "seal", at, &e);
}

enum store_status secret_open(struct store *st, const struct seal_place *at,
			      const uint8_t *in, size_t len, uint8_t *out, size_t cap,
			      size_t *outlen)
{
	bool plaintext;
	*outlen = 0;
	enum store_status s = secret_plaintext(st, &plaintext);
	if (s != ST_OK)
		return s;
	if (plaintext) {
		if (len > cap)
			return sql_error(st, ST_CORRUPT, "a secret in %s is too long", store_path(st));
		memcpy(out, in, len);
		*outlen = len;
		return ST_OK;
	}
	struct sosafe_err e = { "" };
	enum seal_result r = seal_open(store_keyring(st), at, in, len, out, cap, outlen, &e);
	return r == SEAL_OK ? ST_OK : seal_status(st, r, "open", at, &e);
}
