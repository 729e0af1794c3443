/* One authentication attempt as one write transaction of the store:
 * begin, read the user's tally, let the lockout rules count or clear the
 * attempt, write the tally back, append the audit record(s), commit.
 * Whatever the caller checks in between (the second factor) runs inside
 * the same transaction, so the tally, the decision and its audit record
 * commit together or not at all. Any store or audit failure rolls all of
 * it back and the caller refuses (fail closed).
 *
 *     struct attempt a;
 *     if (attempt_begin(&a, st, &policy, &log, user, now) == ST_OK) {
 *             if (attempt_count(&a, &seq) == LOCK_ALLOW) ...check...
 *             s = attempt_commit(&a, "fail", "otp: %s", reason);
 *     }
 *
 * THREAD SAFETY: an attempt belongs to one thread, like its store handle. */
#ifndef SOSAFE_ATTEMPT_H
#define SOSAFE_ATTEMPT_H

#include <stdbool.h>
#include <stdint.h>

#include "base/log.h"
#include "lockout/lockout.h"
#include "store/store.h"

struct attempt {
	struct store *st;
	const struct lock_policy *policy;
	const struct log_ctx *log;     /* who, where: for the audit records */
	const char *user;
	int64_t now;
	struct tally tally;            /* the user's tally, as changed by this attempt */
	int64_t refused_before;        /* tally.refused and tally.lock_refused as read */
	int64_t lock_refused_before;
	bool locked_now;               /* attempt_count() set a lock */
	bool audit_failed;             /* attempt_commit() failed on the audit record */
	/* the second factor of an exempt account (attempt_count_code) */
	bool code_counted;
	bool code_locked_now;
	struct lock_policy code_policy;
	struct tally code;
	int64_t code_refused_before, code_lock_refused_before;
};

/* Open the write transaction and read USER's tally (a fresh one if none).
 * On failure nothing is left open. */
enum store_status attempt_begin(struct attempt *a, struct store *st,
				const struct lock_policy *policy, const struct log_ctx *log,
				const char *user, int64_t now);

/* Count the attempt up front (lockout_begin): LOCK_ALLOW and its number in
 * *SEQ, or LOCK_DENY_LOCKED when the account is locked. */
enum lock_verdict attempt_count(struct attempt *a, int64_t *seq);

/* A full success of attempt SEQ (0: none was counted); LOCK_DENY_LOCKED if
 * the account is locked and SEQ does not excuse it (lockout_success). */
enum lock_verdict attempt_succeed(struct attempt *a, int64_t seq);

/* An account the tally never locks (policy->exempt: root without
 * even_deny_root, an exempt admin) still gets no unlimited guesses at its
 * second factor: each code it checks is counted in a tally of its own
 * (store_code_tally_*) under the same rules, with the account's unlock
 * time and without the exemption. Its lock refuses the second factor only;
 * the account and its password path stay usable. *V is LOCK_DENY_LOCKED
 * while that lock stands, else LOCK_ALLOW and *SEQ the code attempt for
 * attempt_succeed_code(). Returns a store error (then abort). */
enum store_status attempt_count_code(struct attempt *a, enum lock_verdict *v, int64_t *seq);

/* The code of attempt SEQ was right: clear the code tally. */
void attempt_succeed_code(struct attempt *a, int64_t seq);

/* Write the tally, append a "lock" record if this attempt set a lock that
 * still stands, then the record of EVENT (none if EVENT is NULL), and
 * commit. On failure the transaction is rolled back; audit_failed tells
 * that the audit record was the cause (audit_append has logged it).
 *
 * Refusals of a locked account are recorded once per lock, so that
 * connections to a locked (or invented) name cannot fill the store: the
 * first refusal of a lock gets EVENT's record, later ones only count in the
 * tally (refused, lock_refused). When the lock ends (expiry or success seen
 * by a later attempt) and more than one attempt was refused during it, one
 * "deny-locked-count" record gives their number. An admin unlock reports
 * the count in its own record (attempt_refusals_unrecorded). The code
 * tally (attempt_count_code) is written and recorded the same way, its
 * records' details starting with "second factor: ". */
enum store_status attempt_commit(struct attempt *a, const char *event, const char *detail_fmt,
				 ...) __attribute__((format(printf, 3, 4)));

/* Refusals of the lock in force in T that have no record of their own
 * (all but the first); for the record of an admin unlock. */
int64_t attempt_refusals_unrecorded(const struct tally *t);

/* Give up: roll back whatever the attempt changed. */
void attempt_abort(struct attempt *a);

#endif
