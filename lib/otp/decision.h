/* The second-factor decision, one for every caller: sosafed's otp handler
 * (for pam_sosafe, root and unprivileged callers alike) calls the same three
 * functions, so every caller counts, checks, consumes and audits alike.
 *
 *   1. otp_decision_lookup: is the user enrolled, how many digits (a short
 *      read, before anybody is asked anything);
 *   2. otp_decision_prepare: the slow work, OUTSIDE the write lock: the
 *      shadow password (one-line mode), a recovery code's yescrypt hash
 *      (its stored hash read in a short read), and for users without a
 *      secret the dummy TOTP work, so timing does not tell who is enrolled;
 *   3. otp_decide: one attempt transaction (lockout/attempt.h): count the
 *      attempt unless preauth did (refuse if locked), check the code
 *      against the last accepted step (replay: only forward), or consume
 *      the recovery code if its hash is still unused, apply the no_secret
 *      policy, clear the attempt on success, write the audit records. An
 *      account the lockout never locks (root without even_deny_root) has
 *      its codes counted all the same, and too many wrong ones lock its
 *      second factor for the account's unlock time (code_locked).
 *
 * THREAD SAFETY: a decision belongs to one thread, like its store handle. */
#ifndef SOSAFE_OTP_DECISION_H
#define SOSAFE_OTP_DECISION_H

#include <stdbool.h>
#include <stdint.h>

#include "base/conf.h"
#include "base/log.h"
#include "lockout/lockout.h"
#include "otp/otp_answer.h"
#include "otp/recovery.h"
#include "store/store.h"

enum otp_outcome {
	OTP_REFUSED = 0,      /* wrong, replayed, malformed, not enrolled, error */
	OTP_ACCEPTED,         /* right: the attempt is cleared */
	OTP_ACCEPTED_COUNTED, /* right code, but the attempt stays counted (keep_counted) */
	OTP_DENY_LOCKED,      /* locked before anything was checked */
	OTP_RIGHT_BUT_LOCKED, /* right code, yet the attempt does not excuse the lock */
};

struct otp_decision {
	/* set by the caller */
	struct store *st;              /* NULL: store unusable, only the dummy work runs */
	const struct sosafe_config *cfg;
	const struct lock_policy *policy;
	const struct log_ctx *log;     /* syslog and audit: user, service, rhost */
	const char *user;
	bool check_password;           /* one-line mode: the shadow password must be right too */
	/* A module below this one still checks the password (forward_pass):
	 * the login has not succeeded yet, so a right code leaves the attempt
	 * counted; clearing it would let a known code buy free password guesses. */
	bool keep_counted;
	int64_t seq;                   /* the attempt counted up front; 0: count it here */

	/* otp_decision_lookup */
	bool enrolled;
	unsigned digits;               /* 6 when not enrolled: the prompt is the same */

	/* otp_decide */
	enum otp_outcome outcome;
	const char *reason;            /* for the log and the audit detail */
	bool counted_here;             /* seq was 0 and this decision counted the attempt */
	bool recovery_used;
	unsigned recovery_left;
	bool audit_failed;             /* the store error came from the audit record */
	bool locked_now;               /* counting this attempt set a lock */
	/* An exempt account's second factor is locked (too many wrong codes,
	 * attempt_count_code): refused unchecked, outcome OTP_REFUSED. */
	bool code_locked;
	struct tally counted_tally;    /* the tally right after counting (for the lock line) */
	struct tally tally;            /* the user's tally after the decision */

	/* otp_decision_prepare, private */
	bool password_ok;
	bool rec_match;
	char rec_id[RECOVERY_ID_LEN + 1];
	char rec_hash[RECOVERY_HASH_MAX];
};

/* Start D for USER (all other inputs zero). */
void otp_decision_init(struct otp_decision *d, struct store *st, const struct sosafe_config *cfg,
		       const struct lock_policy *policy, const struct log_ctx *log,
		       const char *user);

/* Step 1. ST_OK (enrolled, digits set), ST_NOTFOUND (not enrolled) or a
 * store error. */
enum store_status otp_decision_lookup(struct otp_decision *d);

/* Step 2, outside any transaction. PASSWORD (one-line mode) may be NULL:
 * then the password is wrong and costs nothing (a refused user name). */
void otp_decision_prepare(struct otp_decision *d, const struct otp_answer *ans,
			  const char *password);

/* Step 3 at NOW. Returns ST_OK with d->outcome, or a store error (all
 * rolled back: refuse). */
enum store_status otp_decide(struct otp_decision *d, const struct otp_answer *ans, int64_t now);

/* Wipe what D holds of the answer. */
void otp_decision_wipe(struct otp_decision *d);

#endif
