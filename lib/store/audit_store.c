/* The audit trail's tables (schema part "audit") and their queries. The
 * chain's MACs are computed and checked in lib/audit/audit.c. */
#include <config.h>
#include "store/audit_store.h"

#include <string.h>

#include "store/schema_parts.h"
#include "store/store_sql.h"

static const char *const audit_steps[] = {
	/* 1: the chained records, their MACed head, access reviews */
	"CREATE TABLE audit ("
	"  seq INTEGER PRIMARY KEY,"
	"  time INTEGER NOT NULL,"
	"  event TEXT NOT NULL,"
	"  user TEXT NOT NULL,"
	"  service TEXT NOT NULL,"
	"  rhost TEXT NOT NULL,"
	"  actor TEXT NOT NULL,"
	"  detail TEXT NOT NULL,"
	"  mac BLOB NOT NULL);"
	"CREATE INDEX audit_time ON audit(time);"
	"CREATE TABLE audit_head ("
	"  id INTEGER PRIMARY KEY CHECK (id = 1),"
	"  first_seq INTEGER NOT NULL,"
	"  first_prev BLOB NOT NULL,"
	"  last_seq INTEGER NOT NULL,"
	"  last_mac BLOB NOT NULL,"
	"  mac BLOB NOT NULL);"
	"CREATE TABLE review ("
	"  user TEXT PRIMARY KEY NOT NULL,"
	"  time INTEGER NOT NULL,"
	"  reviewer TEXT NOT NULL"
	") WITHOUT ROWID",
	/* 2: the high-water mark of the chain, outside its rows (stores that
	 * already hold records start from their head) */
	"INSERT OR IGNORE INTO meta (key, value) SELECT '" AUDIT_MARK_KEY "', last_seq FROM audit_head",
};
/* The audit table is deliberately not per-user: purge must not break the
 * chain (with log_identity = pseudonym it holds no names anyway). */
static const char *const audit_user_tables[] = { "review" };

static const char *const audit_pg_steps[] = {
	"CREATE TABLE audit ("
	"  seq BIGINT PRIMARY KEY,"
	"  time BIGINT NOT NULL,"
	"  event TEXT NOT NULL,"
	"  \"user\" TEXT NOT NULL,"
	"  service TEXT NOT NULL,"
	"  rhost TEXT NOT NULL,"
	"  actor TEXT NOT NULL,"
	"  detail TEXT NOT NULL,"
	"  mac BYTEA NOT NULL);"
	"CREATE INDEX audit_time ON audit (time);"
	"CREATE TABLE audit_head ("
	"  id INTEGER PRIMARY KEY CHECK (id = 1),"
	"  first_seq BIGINT NOT NULL,"
	"  first_prev BYTEA NOT NULL,"
	"  last_seq BIGINT NOT NULL,"
	"  last_mac BYTEA NOT NULL,"
	"  mac BYTEA NOT NULL);"
	"CREATE TABLE review ("
	"  \"user\" TEXT PRIMARY KEY,"
	"  time BIGINT NOT NULL,"
	"  reviewer TEXT NOT NULL)",
};

const struct schema_part audit_schema_part = {
	.name = "audit",
	.steps = audit_steps,
	.nsteps = ARRAY_SIZE(audit_steps),
	.user_tables = audit_user_tables,
	.nuser_tables = ARRAY_SIZE(audit_user_tables),
	.pg_steps = audit_pg_steps,
	.pg_nsteps = ARRAY_SIZE(audit_pg_steps),
};

enum store_status audit_head_get(struct store *st, struct audit_head *hd)
{
	struct sql_stmt *q;
	memset(hd, 0, sizeof(*hd));
	enum store_status s = sql_prepare(st, "SELECT first_seq, first_prev, last_seq, last_mac, mac"
					  " FROM audit_head WHERE id = 1", &q, "cannot read");
	if (s == ST_OK)
		s = sql_step(st, q, "cannot read");
	if (s == ST_OK) {
		hd->first_seq = sql_col_int64(q, 0);
		hd->last_seq = sql_col_int64(q, 2);
		const int cols[] = { 1, 3, 4 };
		unsigned char *dst[] = { hd->first_prev, hd->last_mac, hd->mac };
		for (int i = 0; i < 3; i++) {
			size_t len;
			const void *mac = sql_col_blob(q, cols[i], &len);
			if (len != AUDIT_MAC_LEN)
				s = ST_CORRUPT;
			else
				memcpy(dst[i], mac, AUDIT_MAC_LEN);
		}
		if (s == ST_CORRUPT)
			sql_error(st, s, "audit head in %s is damaged", store_path(st));
	}
	sql_release(st, q);
	return s;
}

enum store_status audit_head_put(struct store *st, const struct audit_head *hd)
{
	return sql_run(st, "cannot write", NULL,
		       "INSERT INTO audit_head (id, first_seq, first_prev, last_seq, last_mac, mac)"
		       " VALUES (1, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET"
		       " first_seq = excluded.first_seq, first_prev = excluded.first_prev,"
		       " last_seq = excluded.last_seq, last_mac = excluded.last_mac, mac = excluded.mac",
		       SQL_INT(hd->first_seq), SQL_BLOB(hd->first_prev, AUDIT_MAC_LEN),
		       SQL_INT(hd->last_seq), SQL_BLOB(hd->last_mac, AUDIT_MAC_LEN),
		       SQL_BLOB(hd->mac, AUDIT_MAC_LEN));
}

static const char *or_empty(const char *s)
{
	return s ? s : "";
}

enum store_status audit_record_put(struct store *st, const struct audit_record *r,
				   const unsigned char mac[AUDIT_MAC_LEN])
{
	return sql_run(st, "cannot write", NULL,
		       "INSERT INTO audit VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", SQL_INT(r->seq),
		       SQL_INT(r->time), SQL_TEXT(or_empty(r->event)), SQL_TEXT(or_empty(r->user)),
		       SQL_TEXT(or_empty(r->service)), SQL_TEXT(or_empty(r->rhost)),
		       SQL_TEXT(or_empty(r->actor)), SQL_TEXT(or_empty(r->detail)),
		       SQL_BLOB(mac, AUDIT_MAC_LEN));
}

enum store_status audit_mark_get(struct store *st, long long *last_seq)
{
	int64_t v = 0;
	enum store_status s = sql_int(st, "cannot read", &v, "SELECT value FROM meta WHERE key = ?",
				      SQL_TEXT(AUDIT_MARK_KEY));
	*last_seq = s == ST_OK ? v : 0;
	return s;
}

enum store_status audit_mark_put(struct store *st, long long last_seq)
{
	return sql_run(st, "cannot write", NULL, "INSERT INTO meta (key, value) VALUES (?, ?)"
		       " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
		       SQL_TEXT(AUDIT_MARK_KEY), SQL_INT(last_seq));
}
