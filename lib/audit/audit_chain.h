/* The chain's building blocks, shared by the append path (audit.c, core
 * library) and verify/prune (audit_admin.c, admin library). Internal to
 * lib/audit/. */
#ifndef SOSAFE_AUDIT_CHAIN_H
#define SOSAFE_AUDIT_CHAIN_H

#include <stddef.h>
#include <stdint.h>

#include "audit/audit.h"
#include "store/audit_store.h"

/* MAC of record R chained to the MAC before it (PREV). */
void audit_record_mac(const unsigned char key[AUDIT_KEY_LEN], const unsigned char prev[AUDIT_MAC_LEN],
		      const struct audit_record *r, unsigned char out[AUDIT_MAC_LEN]);
/* MAC of the head (checkpoint) HD. */
void audit_head_mac(const unsigned char key[AUDIT_KEY_LEN], const struct audit_head *hd,
		    unsigned char out[AUDIT_MAC_LEN]);
/* The state directory of ST (where audit.key lives); -1 if it does not fit. */
int audit_state_dir(struct store *st, char *dir, size_t len);
/* audit_append with the record's time given (prune's checkpoint). */
int audit_append_at(struct store *st, const struct log_ctx *ctx, const char *event,
		    const char *actor, int64_t now, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

#endif
