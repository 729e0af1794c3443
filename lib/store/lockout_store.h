/* The lockout feature's rows in the state store: one tally per user.
 * All functions work inside the caller's transaction (store_begin) when
 * there is one. */
#ifndef SOSAFE_LOCKOUT_STORE_H
#define SOSAFE_LOCKOUT_STORE_H

#include <stdint.h>

#include "lockout/lockout.h"
#include "store/store.h"

/* Tally of USER; a missing row gives ST_NOTFOUND with *T zeroed. */
enum store_status store_tally_get(struct store *st, const char *user, struct tally *t);
enum store_status store_tally_put(struct store *st, const char *user, const struct tally *t);

/* The second-factor tally of an account the tally above never locks (root
 * without even_deny_root, an exempt admin): its wrong codes, under the
 * same rules, lock only the code path. Same contract as store_tally_*. */
enum store_status store_code_tally_get(struct store *st, const char *user, struct tally *t);
enum store_status store_code_tally_put(struct store *st, const char *user, const struct tally *t);
/* Forget it (admin unlock); no row is not an error. */
enum store_status store_code_tally_delete(struct store *st, const char *user);

/* Call FN for every tally row (ordered by user); FN returns non-zero to stop. */
typedef int (*store_tally_fn)(const char *user, const struct tally *t, void *ctx);
enum store_status store_tally_foreach(struct store *st, store_tally_fn fn, void *ctx);

/* Inside an open transaction: delete the tally rows lockout_is_idle() says
 * can be forgotten under policy P at NOW; *PRUNED gets how many. */
enum store_status store_tally_prune_idle(struct store *st, const struct lock_policy *p,
					 int64_t now, long *pruned);

#endif
