/* The audit trail's rows in the state store: the chained records and their
 * MACed head (the MACs themselves are computed in lib/audit/). Writes run
 * inside the caller's write transaction. */
#ifndef SOSAFE_AUDIT_STORE_H
#define SOSAFE_AUDIT_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "audit/audit.h"
#include "store/store.h"

/* The one head row: the first record kept and the MAC chained before it,
 * the last record and its MAC, and the head's own MAC. */
struct audit_head {
	long long first_seq, last_seq;
	unsigned char first_prev[AUDIT_MAC_LEN], last_mac[AUDIT_MAC_LEN], mac[AUDIT_MAC_LEN];
};

/* ST_NOTFOUND: nothing recorded yet (*HD zeroed). ST_CORRUPT: the row is
 * there but a MAC has the wrong length. */
enum store_status audit_head_get(struct store *st, struct audit_head *hd);
enum store_status audit_head_put(struct store *st, const struct audit_head *hd);

/* The highest seq ever written, kept in the store's meta table apart from
 * the records and their head: deleting the whole trail (or its newest
 * records with an older head) cannot also take back the fact that records
 * were written. ST_NOTFOUND (*LAST_SEQ 0): no record was ever written. */
#define AUDIT_MARK_KEY "audit.last_seq"
enum store_status audit_mark_get(struct store *st, long long *last_seq);
enum store_status audit_mark_put(struct store *st, long long last_seq);

/* Add record R (R->seq set) with its MAC. */
enum store_status audit_record_put(struct store *st, const struct audit_record *r,
				   const unsigned char mac[AUDIT_MAC_LEN]);

/* ---- admin library only (audit_store_admin.c): walks and pruning ---- */

/* Call FN for records in seq order, with the stored MAC (MACLEN may differ
 * from AUDIT_MAC_LEN in a damaged row); FN returns non-zero to stop.
 * audit_rows_all walks every record, audit_rows_since those with time >=
 * SINCE. The strings live until FN returns. */
typedef int (*audit_row_fn)(const struct audit_record *r, const void *mac, size_t maclen,
			    void *ctx);
enum store_status audit_rows_all(struct store *st, audit_row_fn fn, void *ctx);
enum store_status audit_rows_since(struct store *st, long long since, audit_row_fn fn, void *ctx);

/* The newest record older than CUTOFF: *SEQ and its MAC. ST_NOTFOUND if
 * none, ST_CORRUPT if its MAC has the wrong length. */
enum store_status audit_last_before(struct store *st, int64_t cutoff, long long *seq,
				    unsigned char mac[AUDIT_MAC_LEN]);
/* Delete the records up to and including SEQ; *DELETED gets how many. */
enum store_status audit_delete_upto(struct store *st, long long seq, long *deleted);

#endif
