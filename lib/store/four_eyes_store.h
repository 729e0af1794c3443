/* Four-eyes requests in the state store: one admin proposes an action, a
 * second one carries it out once, anyone may deny it, and it expires after
 * four_eyes_ttl. All functions work inside the caller's transaction
 * (store_begin), so a claim commits or rolls back with the action itself. */
#ifndef SOSAFE_FOUR_EYES_STORE_H
#define SOSAFE_FOUR_EYES_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "base/names.h"
#include "store/store.h"

/* A request holds the command line as typed: at most this many words of
 * at most this many bytes, stored joined by FOUR_EYES_SEP. */
#define FOUR_EYES_MAX_ARGS 24
#define FOUR_EYES_MAX_ARG 512
#define FOUR_EYES_SEP '\x1f'
#define FOUR_EYES_ADMIN_MAX 300   /* an admin identity (name or "uid=N") */

enum four_eyes_state {
	FE_STATE_PENDING,
	FE_STATE_DONE,
	FE_STATE_DENIED,
	FE_STATE_EXPIRED,
};

struct four_eyes_request {
	long long id;
	char action[32];      /* four_eyes_name() of the action */
	char args[FOUR_EYES_MAX_ARGS * (FOUR_EYES_MAX_ARG + 1)];
	char target[SOSAFE_NAME_MAX + 1];   /* the user it concerns, or "" */
	char requester[FOUR_EYES_ADMIN_MAX];
	char requester_login[FOUR_EYES_ADMIN_MAX];   /* login uid's name, or "" */
	enum four_eyes_state state;
	char decided_by[FOUR_EYES_ADMIN_MAX];        /* "" while pending */
	int64_t created, expires, decided;
};

/* "pending", "done", "denied", "expired". */
const char *four_eyes_state_name(enum four_eyes_state s);

/* Record R (action, args, target, requester, requester_login, created,
 * expires) as a new pending request; *ID gets its id (never reused). */
enum store_status four_eyes_add(struct store *st, const struct four_eyes_request *r, long long *id);

/* Request ID into R; ST_NOTFOUND for an unknown id. */
enum store_status four_eyes_get(struct store *st, long long id, struct four_eyes_request *r);

/* Mark request ID done by BY if, at NOW, it is still pending, unexpired
 * and not BY's own. ST_NOTFOUND if not: exactly one claim of a request can
 * succeed, and it commits or rolls back with the caller's transaction. */
enum store_status four_eyes_claim(struct store *st, long long id, const char *by, int64_t now);

/* Mark pending request ID denied by BY; ST_NOTFOUND if it is not pending. */
enum store_status four_eyes_deny(struct store *st, long long id, const char *by, int64_t now);

/* Mark every pending request whose expiry is at or before NOW expired,
 * calling FN for each one first (id, action, target and requester filled)
 * so the caller can record it. FN returns non-zero to give up: then
 * nothing is marked and the result is ST_ERROR. */
typedef int (*four_eyes_fn)(const struct four_eyes_request *r, void *ctx);
enum store_status four_eyes_expire(struct store *st, int64_t now, four_eyes_fn fn, void *ctx);

/* Call FN for each request in id order: only pending ones unless ALL.
 * FN returns non-zero to stop. */
enum store_status four_eyes_foreach(struct store *st, bool all, four_eyes_fn fn, void *ctx);

#endif
