/* The audit trail's queries that only sosafectl runs: walking the records
 * (verify, export, report) and pruning old ones (admin library). */
#include <config.h>
#include "store/audit_store.h"

#include <string.h>

#include "store/store_sql.h"

#define RECORD_COLS "seq, time, event, \"user\", service, rhost, actor, detail, mac"

static enum store_status walk(struct store *st, const char *sql, const struct sql_arg *args,
			      unsigned nargs, audit_row_fn fn, void *ctx)
{
	struct sql_stmt *q;
	enum store_status s = sql_query(st, sql, args, nargs, &q, "cannot read");
	while (s == ST_OK && (s = sql_step(st, q, "cannot read")) == ST_OK) {
		struct audit_record r = {
			.seq = sql_col_int64(q, 0), .time = sql_col_int64(q, 1),
			.event = sql_text(q, 2), .user = sql_text(q, 3), .service = sql_text(q, 4),
			.rhost = sql_text(q, 5), .actor = sql_text(q, 6), .detail = sql_text(q, 7),
		};
		size_t maclen;
		const void *mac = sql_col_blob(q, 8, &maclen);
		if (fn(&r, mac, maclen, ctx))
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
	struct sql_stmt *q;
	*seq = 0;
	enum store_status s = sql_query(st, "SELECT seq, mac FROM audit WHERE time < ?"
					" ORDER BY seq DESC LIMIT 1", &SQL_INT(cutoff), 1, &q, "cannot read");
	if (s == ST_OK)
		s = sql_step(st, q, "cannot read");
	size_t maclen = 0;
	const void *last = s == ST_OK ? sql_col_blob(q, 1, &maclen) : NULL;
	if (s == ST_OK && maclen != AUDIT_MAC_LEN) {
		s = sql_error(st, ST_CORRUPT, "audit record %lld in %s is damaged",
			      (long long)sql_col_int64(q, 0), store_path(st));
	} else if (s == ST_OK) {
		*seq = sql_col_int64(q, 0);
		memcpy(mac, last, AUDIT_MAC_LEN);
	}
	sql_release(st, q);
	return s;
}

enum store_status audit_delete_upto(struct store *st, long long seq, long *deleted)
{
	*deleted = 0;
	return sql_run(st, "cannot write", deleted, "DELETE FROM audit WHERE seq <= ?", SQL_INT(seq));
}
