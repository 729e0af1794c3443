/* The second-factor decision on a real store: right and wrong codes,
 * replay, recovery codes used once, users without a secret under each
 * no_secret policy, a locked account, a store error; and an audit record
 * for every outcome. */
#include <config.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "audit/audit.h"
#include "otp/decision.h"
#include "otp/recovery.h"
#include "otp/totp.h"
#include "store/lockout_store.h"
#include "store/otp_store.h"
#include "tmp_store.h"

#define NOW 1700000000

static const struct totp_params P6 = { TOTP_SHA1, 6, 30 };
static const char secret[] = "12345678901234567890";

struct fixture {
	struct store *st;
	struct sosafe_config cfg;
	struct lock_policy policy;
	struct log_ctx log;
	char dir[64];
};

static int setup(void **state)
{
	static struct fixture f;
	memset(&f, 0, sizeof(f));
	config_defaults(&f.cfg);
	lock_policy_from_conf(&f.policy, &f.cfg, false, false);
	f.log = (struct log_ctx){ .ident = "test", .service = "login" };
	if (totp_init() || tmp_store_open(f.dir, sizeof(f.dir), "decision", &f.st))
		return -1;
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	return tmp_store_remove(f->st, f->dir);
}

static void enroll(struct fixture *f, const char *user)
{
	struct otp_record r = { .secret_len = 20, .params = P6, .last_step = -1, .enrolled_at = NOW };
	memcpy(r.secret, secret, 20);
	assert_int_equal(store_begin(f->st), ST_OK);
	assert_int_equal(otp_put(f->st, user, &r, "admin"), ST_OK);
	assert_int_equal(store_commit(f->st), ST_OK);
}

static void code_at(int64_t t, char out[TOTP_MAX_DIGITS + 1])
{
	assert_int_equal(totp_code_at_step(&P6, (const uint8_t *)secret, 20, totp_step_of(&P6, t),
					   out), 0);
}

/* The caller's mode: one-line, forward_pass, the attempt preauth counted. */
struct mode {
	bool check_password, keep_counted;
	int64_t seq;
};

/* What a caller does: look up, parse, prepare, decide. */
static enum store_status run_in(struct fixture *f, struct otp_decision *d, const char *user,
				const char *answer, int64_t now, struct mode m)
{
	f->log.user = user;
	otp_decision_init(d, f->st, &f->cfg, &f->policy, &f->log, user);
	d->check_password = m.check_password;
	d->keep_counted = m.keep_counted;
	d->seq = m.seq;
	enum store_status s = otp_decision_lookup(d);
	assert_true(s == ST_OK || s == ST_NOTFOUND);
	assert_int_equal(d->enrolled, s == ST_OK);
	struct otp_answer a;
	if (otp_answer_parse(answer, strlen(answer), d->digits, &a))
		otp_answer_wipe(&a);
	otp_decision_prepare(d, &a, NULL);
	s = otp_decide(d, &a, now);
	otp_decision_wipe(d);
	return s;
}

static enum store_status run(struct fixture *f, struct otp_decision *d, const char *user,
			     const char *answer, int64_t now)
{
	return run_in(f, d, user, answer, now, (struct mode){ 0 });
}

static enum otp_outcome decide(struct fixture *f, const char *user, const char *answer,
			       int64_t now, const char **reason)
{
	struct otp_decision d;
	assert_int_equal(run(f, &d, user, answer, now), ST_OK);
	*reason = d.reason;
	return d.outcome;
}

struct last_record {
	long n;
	char event[32], user[64], detail[128];
};

static int keep_last(const struct audit_record *r, void *ctx)
{
	struct last_record *l = ctx;
	l->n++;
	snprintf(l->event, sizeof(l->event), "%s", r->event);
	snprintf(l->user, sizeof(l->user), "%s", r->user);
	snprintf(l->detail, sizeof(l->detail), "%s", r->detail);
	return 0;
}

/* The newest audit record is EVENT with DETAIL, for USER. */
static long assert_last_record(struct fixture *f, const char *user, const char *event,
			       const char *detail)
{
	struct last_record l = { 0 };
	assert_int_equal(audit_foreach(f->st, 0, keep_last, &l), 0);
	assert_true(l.n > 0);
	assert_string_equal(l.event, event);
	assert_string_equal(l.user, user);
	assert_string_equal(l.detail, detail);
	return l.n;
}

static long record_count(struct fixture *f)
{
	struct last_record l = { 0 };
	assert_int_equal(audit_foreach(f->st, 0, keep_last, &l), 0);
	return l.n;
}

struct wanted_record {
	const char *event, *detail;
	bool found;
};

static int match_record(const struct audit_record *r, void *ctx)
{
	struct wanted_record *w = ctx;
	w->found = w->found || (!strcmp(r->event, w->event) && !strcmp(r->detail, w->detail));
	return 0;
}

/* Some audit record is EVENT with DETAIL. */
static bool has_record(struct fixture *f, const char *event, const char *detail)
{
	struct wanted_record w = { event, detail, false };
	assert_int_equal(audit_foreach(f->st, 0, match_record, &w), 0);
	return w.found;
}

static struct tally tally_of(struct fixture *f, const char *user)
{
	struct tally t;
	enum store_status s = store_tally_get(f->st, user, &t);
	assert_true(s == ST_OK || s == ST_NOTFOUND);
	return t;
}

static void right_code_accepted(void **state)
{
	struct fixture *f = *state;
	enroll(f, "alice");
	char code[9];
	code_at(NOW, code);
	const char *why;
	assert_int_equal(decide(f, "alice", code, NOW, &why), OTP_ACCEPTED);
	assert_string_equal(why, "code accepted");
	assert_last_record(f, "alice", "success", "otp: code accepted");
	struct tally t = tally_of(f, "alice");
	assert_int_equal(t.attempts, 1);   /* counted up front ... */
	assert_int_equal(t.nfails, 0);     /* ... and taken back */
}

static void wrong_code_refused(void **state)
{
	struct fixture *f = *state;
	enroll(f, "alice");
	char code[9];
	code_at(NOW, code);
	code[0] = code[0] == '9' ? '0' : (char)(code[0] + 1);
	const char *why;
	assert_int_equal(decide(f, "alice", code, NOW, &why), OTP_REFUSED);
	assert_string_equal(why, "wrong code");
	assert_last_record(f, "alice", "fail", "otp: wrong code");
	assert_int_equal(tally_of(f, "alice").nfails, 1);
	/* not a code at all: refused before any secret is looked at */
	assert_int_equal(decide(f, "alice", "12a456", NOW, &why), OTP_REFUSED);
	assert_string_equal(why, "malformed answer");
	assert_last_record(f, "alice", "fail", "otp: malformed answer");
}

static void replay_refused(void **state)
{
	struct fixture *f = *state;
	enroll(f, "alice");
	char code[9], next[9];
	code_at(NOW, code);
	code_at(NOW + 30, next);
	const char *why;
	assert_int_equal(decide(f, "alice", code, NOW, &why), OTP_ACCEPTED);
	assert_int_equal(decide(f, "alice", code, NOW, &why), OTP_REFUSED);
	assert_string_equal(why, "replayed code (or the clock stepped back)");
	assert_last_record(f, "alice", "fail", "otp: replayed code (or the clock stepped back)");
	/* the next step works once; then the older one is refused too */
	assert_int_equal(decide(f, "alice", next, NOW, &why), OTP_ACCEPTED);
	assert_int_equal(decide(f, "alice", next, NOW + 30, &why), OTP_REFUSED);
	assert_int_equal(decide(f, "alice", code, NOW + 30, &why), OTP_REFUSED);
}

static void recovery_code_used_once(void **state)
{
	struct fixture *f = *state;
	enroll(f, "alice");
	struct recovery_code rc[2];
	assert_int_equal(recovery_generate(&rc[0]), 0);
	assert_int_equal(recovery_generate(&rc[1]), 0);
	const char *ids[] = { rc[0].id, rc[1].id }, *hashes[] = { rc[0].hash, rc[1].hash };
	assert_int_equal(store_begin(f->st), ST_OK);
	assert_int_equal(otp_recovery_replace(f->st, "alice", 2, ids, hashes, NOW), ST_OK);
	assert_int_equal(store_commit(f->st), ST_OK);

	struct otp_decision d;
	assert_int_equal(run(f, &d, "alice", rc[0].shown, NOW), ST_OK);
	assert_int_equal(d.outcome, OTP_ACCEPTED);
	assert_true(d.recovery_used);
	assert_int_equal(d.recovery_left, 1);
	assert_last_record(f, "alice", "success", "otp: recovery code used");
	/* used: the same code again is refused */
	assert_int_equal(run(f, &d, "alice", rc[0].shown, NOW), ST_OK);
	assert_int_equal(d.outcome, OTP_REFUSED);
	assert_false(d.recovery_used);
	assert_last_record(f, "alice", "fail", "otp: wrong recovery code");
	/* a code whose hash changed between the check and the transaction
	 * (a concurrent consume) is not taken twice */
	assert_int_equal(store_begin(f->st), ST_OK);
	bool used = false;
	assert_int_equal(otp_recovery_consume(f->st, "alice", rc[1].id, rc[1].hash, NOW, &used), ST_OK);
	assert_true(used);
	assert_int_equal(store_commit(f->st), ST_OK);
	assert_int_equal(run(f, &d, "alice", rc[1].shown, NOW), ST_OK);
	assert_int_equal(d.outcome, OTP_REFUSED);
}

static void no_secret_policies(void **state)
{
	struct fixture *f = *state;
	const char *why;
	long n = record_count(f);
	/* deny (default) */
	assert_int_equal(decide(f, "bob", "123456", NOW, &why), OTP_REFUSED);
	assert_string_equal(why, "no secret enrolled");
	assert_int_equal(assert_last_record(f, "bob", "fail", "otp: no secret enrolled"), n + 1);
	/* allow */
	f->cfg.no_secret = NO_SECRET_ALLOW;
	assert_int_equal(decide(f, "bob", "123456", NOW, &why), OTP_ACCEPTED);
	assert_last_record(f, "bob", "success", "otp: no secret enrolled; no_secret=allow");
	assert_int_equal(tally_of(f, "bob").nfails, 0);
	/* enrollment window: none, open, closed */
	f->cfg.no_secret = NO_SECRET_ENROLL_WINDOW;
	assert_int_equal(decide(f, "bob", "123456", NOW, &why), OTP_REFUSED);
	assert_last_record(f, "bob", "fail", "otp: no secret enrolled; no enrollment window");
	assert_int_equal(store_begin(f->st), ST_OK);
	assert_int_equal(otp_window_set(f->st, "bob", NOW + 60, "admin"), ST_OK);
	assert_int_equal(store_commit(f->st), ST_OK);
	assert_int_equal(decide(f, "bob", "123456", NOW, &why), OTP_ACCEPTED);
	assert_last_record(f, "bob", "success", "otp: no secret enrolled; inside the enrollment window");
	assert_int_equal(decide(f, "bob", "123456", NOW + 61, &why), OTP_REFUSED);
	assert_last_record(f, "bob", "fail", "otp: no secret enrolled; enrollment window closed");
}

/* A store error while deciding refuses and leaves nothing behind: no
 * counted attempt, no record (it used to read as "no window" in the helper). */
static void store_error_refuses(void **state)
{
	struct fixture *f = *state;
	f->cfg.no_secret = NO_SECRET_ENROLL_WINDOW;
	long n = record_count(f);
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open(store_path(f->st), &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 2000);
	assert_int_equal(sqlite3_exec(db, "DROP TABLE otp_enroll_window", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	struct otp_decision d;
	assert_int_not_equal(run(f, &d, "bob", "123456", NOW), ST_OK);
	assert_int_not_equal(d.outcome, OTP_ACCEPTED);
	assert_int_not_equal(d.outcome, OTP_ACCEPTED_COUNTED);
	assert_int_equal(tally_of(f, "bob").attempts, 0);
	assert_int_equal(record_count(f), n);
}

/* A locked account: refused before the code is looked at. */
static void locked_account_refused(void **state)
{
	struct fixture *f = *state;
	enroll(f, "alice");
	const char *why;
	for (unsigned i = 0; i < f->policy.deny; i++)
		assert_int_equal(decide(f, "alice", "000000", NOW, &why), OTP_REFUSED);
	char code[9];
	code_at(NOW, code);
	struct otp_decision d;
	assert_int_equal(run(f, &d, "alice", code, NOW), ST_OK);
	assert_int_equal(d.outcome, OTP_DENY_LOCKED);
	assert_false(d.counted_here);
	assert_last_record(f, "alice", "deny-locked", "otp: account locked");
	assert_int_equal(tally_of(f, "alice").refused, 1);
}

/* Root without even_deny_root is never locked, yet its second factor is no
 * unlimited guess: after `deny` wrong codes codes are refused (even the
 * right one) for its unlock time; the account itself stays unlocked. */
static void exempt_account_code_path_is_limited(void **state)
{
	struct fixture *f = *state;
	lock_policy_from_conf(&f->policy, &f->cfg, true, false);
	assert_true(f->policy.exempt);
	enroll(f, "root");
	char code[9], wrong[9];
	code_at(NOW, code);
	memcpy(wrong, code, sizeof(wrong));
	wrong[0] = code[0] == '9' ? '0' : (char)(code[0] + 1);
	const char *why;
	for (unsigned i = 0; i < f->policy.deny; i++)
		assert_int_equal(decide(f, "root", wrong, NOW + i, &why), OTP_REFUSED);
	char want[96];
	snprintf(want, sizeof(want), "second factor: level 1, %u failures", f->policy.deny);
	assert_true(has_record(f, "lock", want));
	struct otp_decision d;
	assert_int_equal(run(f, &d, "root", code, NOW + 10), ST_OK);
	assert_int_equal(d.outcome, OTP_REFUSED);
	assert_true(d.code_locked);
	assert_string_equal(d.reason,
			    "second factor locked after too many wrong codes (the account is not)");
	assert_last_record(f, "root", "deny-locked",
			   "otp: second factor locked after too many wrong codes (the account is not)");
	assert_false(lockout_is_locked(&f->policy, &d.tally, NOW + 10));
	struct tally ct;
	assert_int_equal(store_code_tally_get(f->st, "root", &ct), ST_OK);
	assert_int_equal(ct.nfails, f->policy.deny);
	assert_true(ct.locked_until >= NOW + (int64_t)f->policy.unlock_time);
	/* the lock record came with the attempt that reached deny */
	long n = record_count(f);
	assert_int_equal(run(f, &d, "root", code, NOW + 11), ST_OK);
	assert_true(d.code_locked);
	assert_int_equal(record_count(f), n);   /* later refusals only count */
	/* after the unlock time the right code is accepted and clears the count */
	int64_t later = ct.locked_until + 30;
	code_at(later, code);
	assert_int_equal(decide(f, "root", code, later, &why), OTP_ACCEPTED);
	assert_int_equal(store_code_tally_get(f->st, "root", &ct), ST_OK);
	assert_int_equal(ct.nfails, 0);
	assert_int_equal(ct.locked_until, 0);
}

/* forward_pass: a right code keeps the attempt counted for authsucc; an
 * attempt counted by preauth is not counted twice. */
static void keep_counted_and_preauth(void **state)
{
	struct fixture *f = *state;
	enroll(f, "alice");
	char code[9], next[9];
	code_at(NOW, code);
	code_at(NOW + 30, next);
	struct otp_decision d;
	assert_int_equal(run_in(f, &d, "alice", code, NOW, (struct mode){ .keep_counted = true }),
			 ST_OK);
	assert_int_equal(d.outcome, OTP_ACCEPTED_COUNTED);
	assert_true(d.counted_here);
	assert_last_record(f, "alice", "success", "otp: code accepted");
	assert_int_equal(tally_of(f, "alice").nfails, 1);
	/* the same attempt (preauth's number) settled by the next code */
	assert_int_equal(run_in(f, &d, "alice", next, NOW, (struct mode){ .seq = d.seq }), ST_OK);
	assert_int_equal(d.outcome, OTP_ACCEPTED);
	assert_false(d.counted_here);
	struct tally t = tally_of(f, "alice");
	assert_int_equal(t.attempts, 1);
	assert_int_equal(t.nfails, 0);
}

/* One-line mode: without a right password the code does not matter. */
static void wrong_password_refused(void **state)
{
	struct fixture *f = *state;
	enroll(f, "alice");
	char code[9];
	code_at(NOW, code);
	struct otp_decision d;
	assert_int_equal(run_in(f, &d, "alice", code, NOW, (struct mode){ .check_password = true }),
			 ST_OK);
	assert_int_equal(d.outcome, OTP_REFUSED);
	assert_string_equal(d.reason, "wrong password");
	assert_last_record(f, "alice", "fail", "otp: wrong password");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(right_code_accepted, setup, teardown),
		cmocka_unit_test_setup_teardown(wrong_code_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(replay_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(recovery_code_used_once, setup, teardown),
		cmocka_unit_test_setup_teardown(no_secret_policies, setup, teardown),
		cmocka_unit_test_setup_teardown(store_error_refuses, setup, teardown),
		cmocka_unit_test_setup_teardown(locked_account_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(exempt_account_code_path_is_limited, setup, teardown),
		cmocka_unit_test_setup_teardown(keep_counted_and_preauth, setup, teardown),
		cmocka_unit_test_setup_teardown(wrong_password_refused, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
