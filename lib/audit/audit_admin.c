/* The admin side of the audit trail: verify the whole chain, prune old
 * records behind a chained checkpoint, walk records for export and report.
 * sosafectl only (admin library): a login appends, it never walks. */
#include <config.h>
#include "audit/audit.h"

#include <limits.h>
#include <string.h>

#include "audit/audit_chain.h"
#include "base/util.h"
#include "store/audit_store.h"

/* The walk of audit_verify: each record must come next in the chain. */
struct verify_walk {
	const unsigned char *key;
	unsigned char prev[AUDIT_MAC_LEN];
	long long expect;
	long *count;
	long long *bad_seq;
	struct sosafe_err *why;
	int ret;
};

static int verify_one(const struct audit_record *r, const void *stored, size_t maclen, void *ctx)
{
	struct verify_walk *w = ctx;
	if (r->seq != w->expect) {
		*w->bad_seq = r->seq < w->expect ? r->seq : w->expect;
		if (r->seq < w->expect)
			err_set(w->why, "record %lld lies before the checkpoint (inserted)",
				r->seq);
		else
			err_set(w->why, "record %lld missing (deleted); next is %lld",
				w->expect, r->seq);
		w->ret = 1;
		return 1;
	}
	unsigned char mac[AUDIT_MAC_LEN];
	audit_record_mac(w->key, w->prev, r, mac);
	if (maclen != AUDIT_MAC_LEN || !ct_memeq(mac, stored, AUDIT_MAC_LEN)) {
		*w->bad_seq = r->seq;
		err_set(w->why, "record %lld altered, reordered or forged (MAC mismatch)",
			r->seq);
		w->ret = 1;
		return 1;
	}
	memcpy(w->prev, mac, AUDIT_MAC_LEN);
	w->expect++;
	(*w->count)++;
	return 0;
}

/* With no head, any record at all was left behind by a deleted head. */
struct first_record {
	bool found;
	long long seq;
};

static int first_record(const struct audit_record *r, const void *mac, size_t maclen, void *ctx)
{
	(void)mac;
	(void)maclen;
	struct first_record *f = ctx;
	f->found = true;
	f->seq = r->seq;
	return 1;
}

static bool all_zero(const unsigned char *p, size_t n)
{
	unsigned char acc = 0;
	for (size_t i = 0; i < n; i++)
		acc |= p[i];
	return acc == 0;
}

/* The chain itself is intact: do its ends agree with the mark, the highest
 * seq ever written? 0 if so, 1 (WHY, BAD_SEQ) if records were taken away
 * with their head (a chain restarted after a deletion, or an older head put
 * back). */
static int check_mark(const struct audit_head *hd, long long mark, long long *bad_seq,
		      struct sosafe_err *why)
{
	/* Only the first chain starts from a zero MAC, at seq 1; a prune's
	 * checkpoint keeps the MAC of the last record it removed. */
	if (hd->first_seq > 1 && all_zero(hd->first_prev, AUDIT_MAC_LEN)) {
		*bad_seq = 1;
		err_set(why, "records 1..%lld missing: the trail was deleted and started again",
			hd->first_seq - 1);
		return 1;
	}
	if (mark > hd->last_seq) {
		*bad_seq = hd->last_seq + 1;
		err_set(why, "records %lld..%lld missing (deleted at the end with the head)",
			hd->last_seq + 1, mark);
		return 1;
	}
	return 0;
}

int audit_verify(struct store *st, const unsigned char key[AUDIT_KEY_LEN], long *count,
		 long long *bad_seq, struct sosafe_err *why)
{
	struct audit_head hd;
	long long mark = 0;
	*count = 0;
	*bad_seq = 0;
	enum store_status m = audit_mark_get(st, &mark);
	if (m != ST_OK && m != ST_NOTFOUND) {
		err_set(why, "cannot read the audit trail: %s", store_cause(st));
		return -1;
	}
	enum store_status s = audit_head_get(st, &hd);
	if (s == ST_CORRUPT) {
		err_set(why, "audit head damaged");
		return 1;
	}
	if (s != ST_OK && s != ST_NOTFOUND) {
		err_set(why, "cannot read the audit trail: %s", store_cause(st));
		return -1;
	}
	if (s == ST_NOTFOUND) {
		struct first_record first = { false, 0 };
		if (audit_rows_all(st, first_record, &first) != ST_OK) {
			err_set(why, "cannot read the audit trail: %s", store_cause(st));
			return -1;
		}
		if (first.found) {
			*bad_seq = first.seq;
			err_set(why, "audit head missing (deleted) but records exist");
			return 1;
		}
		if (mark > 0) {
			*bad_seq = 1;
			err_set(why, "audit trail deleted: %lld records were written, none is left",
				mark);
			return 1;
		}
		err_set(why, "audit trail empty");
		return 0;
	}
	unsigned char want[AUDIT_MAC_LEN];
	audit_head_mac(key, &hd, want);
	if (!ct_memeq(want, hd.mac, AUDIT_MAC_LEN)) {
		err_set(why, "audit head (checkpoint) fails its MAC: altered, or wrong audit.key");
		return 1;
	}
	struct verify_walk w = { .key = key, .expect = hd.first_seq, .count = count,
				 .bad_seq = bad_seq, .why = why };
	memcpy(w.prev, hd.first_prev, AUDIT_MAC_LEN);
	if (audit_rows_all(st, verify_one, &w) != ST_OK && w.ret == 0) {
		err_set(why, "cannot read the audit trail: %s", store_cause(st));
		w.ret = -1;
	}
	if (w.ret == 0 &&
	    (w.expect - 1 != hd.last_seq || !ct_memeq(w.prev, hd.last_mac, AUDIT_MAC_LEN))) {
		*bad_seq = w.expect;
		err_set(why, "record %lld missing (deleted at the end; head says last is %lld)",
			w.expect <= hd.last_seq ? w.expect : hd.last_seq, hd.last_seq);
		w.ret = 1;
	}
	if (w.ret == 0)
		w.ret = check_mark(&hd, mark, bad_seq, why);
	if (w.ret == 0)
		err_set(why, "%ld records intact (seq %lld..%lld)", *count, hd.first_seq,
			hd.last_seq);
	return w.ret;
}

int audit_prune(struct store *st, const struct log_ctx *ctx, const char *actor, unsigned days,
		int64_t now, long *pruned)
{
	char dir[PATH_MAX];
	unsigned char key[AUDIT_KEY_LEN];
	*pruned = 0;
	if (days < 90)
		days = 90;
	int64_t cutoff = now - (int64_t)days * SOSAFE_DAY;
	if (audit_state_dir(st, dir, sizeof(dir)) || audit_key_load(dir, true, key, NULL)) {
		log_event(LOG_CRIT, ctx, "audit-error", "audit prune refused: no audit key");
		return -1;
	}
	struct audit_head hd;
	int ret = -1;
	enum store_status s = audit_head_get(st, &hd);
	if (s != ST_OK) {
		explicit_bzero(key, sizeof(key));
		return s == ST_NOTFOUND ? 0 : -1;   /* nothing recorded yet */
	}
	unsigned char want[AUDIT_MAC_LEN];
	audit_head_mac(key, &hd, want);
	if (!ct_memeq(want, hd.mac, AUDIT_MAC_LEN)) {
		log_event(LOG_CRIT, ctx, "audit-error", "audit prune refused: audit head fails its MAC");
		goto out;
	}
	long long upto;
	s = audit_last_before(st, cutoff, &upto, hd.first_prev);
	if (s == ST_NOTFOUND) {
		ret = 0;
		goto out;
	}
	if (s == ST_OK)
		s = audit_delete_upto(st, upto, pruned);
	if (s == ST_OK) {
		hd.first_seq = upto + 1;
		audit_head_mac(key, &hd, hd.mac);
		s = audit_head_put(st, &hd);
	}
	if (s != ST_OK) {
		log_event(LOG_CRIT, ctx, "audit-error", "audit prune failed: %s", store_cause(st));
		goto out;
	}
	ret = audit_append_at(st, ctx, "audit-prune", actor, now,
			 "pruned %ld records up to seq %lld (older than %u days); chain continues from its MAC",
			 *pruned, upto, days);
out:
	explicit_bzero(key, sizeof(key));
	return ret;
}

/* audit_foreach hands out records without their MACs. */
struct plain_walk {
	audit_record_fn fn;
	void *ctx;
};

static int plain_one(const struct audit_record *r, const void *mac, size_t maclen, void *ctx)
{
	(void)mac;
	(void)maclen;
	const struct plain_walk *w = ctx;
	return w->fn(r, w->ctx);
}

int audit_foreach(struct store *st, long long since, audit_record_fn fn, void *ctx)
{
	struct plain_walk w = { fn, ctx };
	return audit_rows_since(st, since, plain_one, &w) == ST_OK ? 0 : -1;
}
