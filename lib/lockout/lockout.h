/* The lockout decision, as pure functions over a per-user tally and an
 * injected clock, so that every rule can be unit-tested without a store.
 *
 * The attempt is counted as a failure up front (preauth) and only a full
 * success takes it back: a caller killed after a guess cannot erase it.
 * At most `deny` attempts are ever counted in the interval; once they are,
 * the account is locked and further attempts are refused before any check.
 * An attempt that was counted and then succeeds was not a failure, so it is
 * accepted and clears the count, even if it was the one that reached
 * `deny` or ran alongside the ones that did (parallel logins of one user).
 * A success whose attempt was not counted (no preauth line, or its count
 * was wiped by an admin unlock or a lock's expiry meanwhile) is refused
 * while locked. A success clears the count of attempts still in flight too:
 * that is the price of not refusing parallel logins; the long-term budget
 * (deny_per_period) still counts every one of them. */
#ifndef SOSAFE_LOCKOUT_H
#define SOSAFE_LOCKOUT_H

#include <stdbool.h>
#include <stdint.h>

#include "base/conf.h"
#include "base/util.h"

#define LOCK_FOREVER INT64_MAX   /* until an admin unlocks */
#define LOCK_MAX_SECONDS (366LL * SOSAFE_DAY) /* no timed lock lasts longer */

struct tally {
	int64_t fails[SOSAFE_MAX_DENY]; /* times of counted failures, oldest first */
	unsigned nfails;
	int64_t locked_until;  /* 0 = not locked; LOCK_FOREVER = admin only */
	int64_t reset_seq;     /* attempts up to this number were wiped (admin unlock, expiry) */
	unsigned lock_level;   /* locks in the current escalation chain */
	int64_t last_lock;     /* when the last lock started */
	int64_t attempts;      /* attempts ever counted (also the attempt number) */
	int64_t refused;       /* attempts refused because the account was locked */
	int64_t lock_refused;  /* of those, refused during the lock in force (0 once it ends) */
	int64_t last_success;  /* time of the last full success, 0 = never */
	int64_t period_start;  /* start of the long-term window (escalation_period) */
	int64_t period_fails;  /* failures counted in that window */
};

struct lock_policy {
	unsigned deny;
	unsigned fail_interval;
	unsigned unlock_time;       /* 0 = until admin */
	unsigned max_locks;         /* 0 = escalation never becomes permanent */
	unsigned escalation_period;
	unsigned deny_per_period;   /* long-term budget; 0 = off */
	bool exempt;                /* root without even_deny_root: never locked */
	bool privileged;            /* root/admin_group: never locked for ever by escalation */
};

enum lock_verdict {
	LOCK_ALLOW = 0,
	LOCK_DENY_LOCKED = 1,
};

/* Build the policy for one user from the configuration. */
void lock_policy_from_conf(struct lock_policy *p, const struct sosafe_config *cfg, bool is_root,
			   bool is_admin);

/* Lift a lock whose time has passed (called by every operation first).
 * Ending a lock (expiry, success, lockout_clear) sets lock_refused to 0. */
void lockout_expire(struct tally *t, int64_t now);

/* Start of an authentication attempt. Counts it as a failure unless the
 * account is locked (then only `refused` grows). On LOCK_ALLOW, *SEQ is the
 * attempt number to hand to lockout_success(); *LOCKED_NOW tells that this
 * attempt reached `deny` and set a lock. */
enum lock_verdict lockout_begin(const struct lock_policy *p, struct tally *t, int64_t now,
				int64_t *seq, bool *locked_now);

/* Full success of attempt SEQ (0 if no preauth ran in this conversation).
 * Refused only if the account is locked and SEQ is not among the attempts
 * still counted; otherwise clears the failures, the lock and escalation. */
enum lock_verdict lockout_success(const struct lock_policy *p, struct tally *t, int64_t now,
				  int64_t seq);

/* Would forgetting this tally change nothing? True when it records no
 * login, no lock in force, no failure still inside fail_interval and no
 * escalation or long-term window still open: deleting the row is then the
 * same as keeping it. Names that never logged in (typos, guessed names)
 * would otherwise fill the store with one row each, for ever. */
bool lockout_is_idle(const struct lock_policy *p, const struct tally *t, int64_t now);

/* Read-only check for the account phase and `sosafectl status`. */
bool lockout_is_locked(const struct lock_policy *p, const struct tally *t, int64_t now);

/* Failures that still count at NOW. */
unsigned lockout_recent_failures(const struct lock_policy *p, const struct tally *t, int64_t now);

/* Duration of lock number LEVEL (1-based); LOCK_FOREVER for admin-only. */
int64_t lockout_duration(const struct lock_policy *p, unsigned level);

/* Admin unlock: forget failures, lock and escalation. */
void lockout_clear(struct tally *t);

#endif
