/* The audit trail's queries that only sosafectl runs: walking the records
 * (verify, export, report) and pruning old ones (admin library). */
#include <config.h>
#include "store/audit_store.h"

#include <string.h>

#include "store/store_sql.h"

#define RECORD_COLS "seq, time, event, user, service, rhost, actor, detail, mac"

static enum store_status walk(struct store *st, const char *sql, const struct sql_arg *args,
			      unsigned nargs, audit_row_fn fn, void *ctx)
{
	sqlite3_stmt *q;
	enum store_status s = sql_query(st, sql, args, nargs, &q, "cannot read");
	while (s == ST_OK && (s = sql_step(st, q, "cannot read")) == ST_OK) {
		struct audit_record r = {
			.seq = sqlite3_column_int64(q, 0), .time = sqlite3_column_int64(q, 1),
			.event = sql_text(q, 2), .user = sql_text(q, 3), .service = sql_text(q, 4),
			.rhost = sql_text(q, 5), .actor = sql_text(q, 6), .detail = sql_text(q, 7),
		};
		const void *mac = sqlite3_column_blob(q, 8);
		int maclen = sqlite3_column_bytes(q, 8);
		if (fn(&r, mac, maclen > 0 ? (size_t)maclen : 0, ctx))
			break;
	}
	sql_release(st, q);
	return s == ST_NOTFOUND ? ST_OK : s;
}

enum store_status audit_rows_all(struct store *st, audit_row_fn fn, void *ctx)
{
	return walk(st, "SELECT " RECORD_COLS " FROM audit ORDER BY seq", NULL, 0, fn, ctx);
}

enum store_status audit_rows_since(struct store *st, long long since, audit_row_fn fn, void *ctx)
{
	return walk(st, "SELECT " RECORD_COLS " FROM audit WHERE time >= ? ORDER BY seq",
		    &SQL_INT(since), 1, fn, ctx);
}

enum store_status audit_last_before(struct store *st, int64_t cutoff, long long *seq,
				    unsigned char mac[AUDIT_MAC_LEN])
{
	sqlite3_stmt *q;
	*seq = 0;
	enum store_status s = sql_query(st, "SELECT seq, mac FROM audit WHERE time < ?"
					" ORDER BY seq DESC LIMIT 1", &SQL_INT(cutoff), 1, &q, "cannot read");
	if (s == ST_OK)
		s = sql_step(st, q, "cannot read");
	if (s == ST_OK && sqlite3_column_bytes(q, 1) != AUDIT_MAC_LEN) {
		s = sql_error(st, ST_CORRUPT, "audit record %lld in %s is damaged",
			      (long long)sqlite3_column_int64(q, 0), store_path(st));
	} else if (s == ST_OK) {
		*seq = sqlite3_column_int64(q, 0);
		memcpy(mac, sqlite3_column_blob(q, 1), AUDIT_MAC_LEN);
	}
	sql_release(st, q);
	return s;
}

enum store_status audit_delete_upto(struct store *st, long long seq, long *deleted)
{
	*deleted = 0;
	return sql_run(st, "cannot write", deleted, "DELETE FROM audit WHERE seq <= ?", SQL_INT(seq));
}
