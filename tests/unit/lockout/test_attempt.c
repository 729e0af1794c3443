/* The attempt transaction on a real store: the tally, the lockout verdict
 * and the audit records commit together, and a store or audit failure
 * leaves nothing behind. */
#include <config.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit/audit.h"
#include "lockout/attempt.h"
#include "store/lockout_store.h"
#include <sqlite3.h>

#include "store/store_sql.h"
#include "tmp_store.h"

#define NOW 1700000000

static char dir[64];
static struct lock_policy policy;
static const struct log_ctx logc = { .ident = "test", .service = "login", .user = "alice" };

static int setup(void **state)
{
	struct store *s;
	struct sosafe_config cfg;
	config_defaults(&cfg);
	lock_policy_from_conf(&policy, &cfg, false, false);
	if (tmp_store_open(dir, sizeof(dir), "attempt", &s))
		return -1;
	*state = s;
	return 0;
}

static int teardown(void **state)
{
	return tmp_store_remove(*state, dir);
}

struct records {
	unsigned n;           /* all records, even those beyond the 16 kept */
	char event[16][32];
	char detail[16][128];
};

static int collect(const struct audit_record *r, void *ctx)
{
	struct records *rs = ctx;
	if (rs->n < 16) {
		snprintf(rs->event[rs->n], sizeof(rs->event[0]), "%s", r->event);
		snprintf(rs->detail[rs->n], sizeof(rs->detail[0]), "%s", r->detail);
	}
	rs->n++;
	return 0;
}

static struct records records_of(struct store *st)
{
	struct records rs = { 0 };
	assert_int_equal(audit_foreach(st, 0, collect, &rs), 0);
	return rs;
}

static struct tally tally_of(struct store *st)
{
	struct tally t;
	enum store_status s = store_tally_get(st, "alice", &t);
	assert_true(s == ST_OK || s == ST_NOTFOUND);
	return t;
}

/* One failed attempt: count it, commit with EVENT (may be NULL). */
static enum lock_verdict fail_once(struct store *st, int64_t now, const char *event)
{
	struct attempt a;
	int64_t seq;
	assert_int_equal(attempt_begin(&a, st, &policy, &logc, "alice", now), ST_OK);
	enum lock_verdict v = attempt_count(&a, &seq);
	assert_int_equal(attempt_commit(&a, event, "%s", "failed"), ST_OK);
	return v;
}

/* deny - 1 failures, then begin (not commit) the attempt that reaches
 * `deny` and locks; returns its number. */
static int64_t begin_locking_attempt(struct store *st, struct attempt *a)
{
	for (unsigned i = 1; i < policy.deny; i++)
		fail_once(st, NOW + i, NULL);
	int64_t seq = 0;
	assert_int_equal(attempt_begin(a, st, &policy, &logc, "alice", NOW + 10), ST_OK);
	assert_int_equal(attempt_count(a, &seq), LOCK_ALLOW);
	assert_true(a->locked_now);
	return seq;
}

static void count_commits_the_tally(void **state)
{
	struct store *st = *state;
	struct attempt a;
	int64_t seq = 0;
	assert_int_equal(attempt_begin(&a, st, &policy, &logc, "alice", NOW), ST_OK);
	assert_int_equal(attempt_count(&a, &seq), LOCK_ALLOW);
	assert_int_equal(seq, 1);
	assert_false(a.locked_now);
	assert_int_equal(attempt_commit(&a, NULL, NULL), ST_OK);
	struct tally t = tally_of(st);
	assert_int_equal(t.attempts, 1);
	assert_int_equal(t.nfails, 1);
	assert_int_equal(records_of(st).n, 0);   /* a counted attempt alone is no record */
}

static void lock_and_refusal_are_recorded(void **state)
{
	struct store *st = *state;
	for (unsigned i = 1; i < policy.deny; i++)
		assert_int_equal(fail_once(st, NOW + i, NULL), LOCK_ALLOW);
	assert_int_equal(records_of(st).n, 0);
	/* the attempt that reaches `deny` locks, and says so */
	assert_int_equal(fail_once(st, NOW + 10, NULL), LOCK_ALLOW);
	struct records rs = records_of(st);
	assert_int_equal(rs.n, 1);
	assert_string_equal(rs.event[0], "lock");
	char want[64];
	snprintf(want, sizeof(want), "level 1, %u failures", policy.deny);
	assert_string_equal(rs.detail[0], want);
	/* the next one is refused, and recorded with its own event */
	assert_int_equal(fail_once(st, NOW + 11, "deny-locked"), LOCK_DENY_LOCKED);
	rs = records_of(st);
	assert_int_equal(rs.n, 2);
	assert_string_equal(rs.event[1], "deny-locked");
	assert_int_equal(tally_of(st).refused, 1);
}

/* Connections to a locked (possibly invented) name must not fill the
 * store: one record for the lock's first refusal, one count when it ends. */
static void refusals_of_one_lock_are_one_record(void **state)
{
	struct store *st = *state;
	for (unsigned i = 1; i <= policy.deny; i++)
		fail_once(st, NOW + i, NULL);
	struct tally t = tally_of(st);
	assert_true(lockout_is_locked(&policy, &t, NOW + 20));
	int64_t until = t.locked_until;
	/* durability is not under test here: 10,000 fsyncs would take minutes */
	assert_int_equal(sqlite3_exec(store_db(st), "PRAGMA synchronous=OFF", NULL, NULL, NULL),
			 SQLITE_OK);
	for (int i = 0; i < 10000; i++)
		assert_int_equal(fail_once(st, NOW + 20, "deny-locked"), LOCK_DENY_LOCKED);
	struct records rs = records_of(st);
	assert_int_equal(rs.n, 2);
	assert_string_equal(rs.event[0], "lock");
	assert_string_equal(rs.event[1], "deny-locked");
	t = tally_of(st);
	assert_int_equal(t.refused, 10000);
	assert_int_equal(t.lock_refused, 10000);
	/* the first attempt after the lock ended writes their number */
	assert_int_equal(fail_once(st, until, "fail"), LOCK_ALLOW);
	rs = records_of(st);
	assert_int_equal(rs.n, 4);
	assert_string_equal(rs.event[2], "deny-locked-count");
	assert_string_equal(rs.detail[2],
			    "10000 attempts refused during the lock that ended (the first has its own record)");
	assert_string_equal(rs.event[3], "fail");
	assert_int_equal(tally_of(st).lock_refused, 0);
}

/* A success that lifts the lock (its attempt was counted before the lock)
 * writes the count too; a lock with a single refusal needs no count. */
static void success_ends_the_count(void **state)
{
	struct store *st = *state;
	struct attempt a;
	int64_t seq = begin_locking_attempt(st, &a);
	assert_int_equal(attempt_commit(&a, NULL, NULL), ST_OK);
	for (int i = 0; i < 3; i++)
		fail_once(st, NOW + 11, "deny-locked");
	assert_int_equal(attempt_begin(&a, st, &policy, &logc, "alice", NOW + 12), ST_OK);
	assert_int_equal(attempt_succeed(&a, seq), LOCK_ALLOW);
	assert_int_equal(attempt_commit(&a, "success", "%s", "authsucc"), ST_OK);
	struct records rs = records_of(st);
	assert_int_equal(rs.n, 4);
	assert_string_equal(rs.event[1], "deny-locked");
	assert_string_equal(rs.event[2], "deny-locked-count");
	assert_string_equal(rs.detail[2],
			    "3 attempts refused during the lock that ended (the first has its own record)");
	assert_string_equal(rs.event[3], "success");
	assert_int_equal(attempt_refusals_unrecorded(&(struct tally){ .lock_refused = 1 }), 0);
	assert_int_equal(attempt_refusals_unrecorded(&(struct tally){ .lock_refused = 5 }), 4);
}

static void success_clears_the_attempt(void **state)
{
	struct store *st = *state;
	struct attempt a;
	int64_t seq = 0;
	assert_int_equal(attempt_begin(&a, st, &policy, &logc, "alice", NOW), ST_OK);
	assert_int_equal(attempt_count(&a, &seq), LOCK_ALLOW);
	assert_int_equal(attempt_succeed(&a, seq), LOCK_ALLOW);
	assert_int_equal(attempt_commit(&a, "success", "%s", "authsucc"), ST_OK);
	struct tally t = tally_of(st);
	assert_int_equal(t.nfails, 0);
	assert_int_equal(t.last_success, NOW);
	struct records rs = records_of(st);
	assert_int_equal(rs.n, 1);
	assert_string_equal(rs.event[0], "success");
	assert_string_equal(rs.detail[0], "authsucc");
}

/* The attempt that reached `deny` and then succeeded lifts its own lock:
 * no "lock" record for a lock that never stood. */
static void lifted_lock_is_not_recorded(void **state)
{
	struct store *st = *state;
	struct attempt a;
	int64_t seq = begin_locking_attempt(st, &a);
	assert_int_equal(attempt_succeed(&a, seq), LOCK_ALLOW);
	assert_int_equal(attempt_commit(&a, "success", "%s", "otp: code accepted"), ST_OK);
	struct records rs = records_of(st);
	assert_int_equal(rs.n, 1);
	assert_string_equal(rs.event[0], "success");
	assert_false(lockout_is_locked(&policy, &a.tally, NOW + 10));
}

/* No record, no decision: an audit failure rolls the tally back too, and
 * leaves no transaction open on the connection. */
static void audit_failure_rolls_back(void **state)
{
	struct store *st = *state;
	fail_once(st, NOW, NULL);
	char key[128];
	snprintf(key, sizeof(key), "%s/%s", dir, AUDIT_KEY_FILE);
	unlink(key);
	assert_int_equal(mkdir(key, 0700), 0);   /* the key cannot be read */
	struct attempt a;
	int64_t seq = 0;
	assert_int_equal(attempt_begin(&a, st, &policy, &logc, "alice", NOW + 1), ST_OK);
	assert_int_equal(attempt_count(&a, &seq), LOCK_ALLOW);
	assert_int_not_equal(attempt_commit(&a, "fail", "%s", "otp: wrong code"), ST_OK);
	assert_true(a.audit_failed);
	assert_int_equal(tally_of(st).attempts, 1);
	assert_int_equal(store_begin(st), ST_OK);
	store_rollback(st);
	rmdir(key);
}

/* The store is busy beyond store_timeout_ms: the attempt does not start. */
static void busy_store_refuses(void **state)
{
	struct store *st = *state, *other = NULL;
	struct sosafe_err err = { "" };
	assert_int_equal(store_open(&other, dir, 0, 50, &err), ST_OK);
	assert_int_equal(store_begin(st), ST_OK);   /* someone else holds the write lock */
	struct attempt a;
	enum store_status s = attempt_begin(&a, other, &policy, &logc, "alice", NOW);
	assert_int_not_equal(s, ST_OK);
	store_rollback(st);
	/* nothing was left open on the refused connection */
	assert_int_equal(attempt_begin(&a, other, &policy, &logc, "alice", NOW), ST_OK);
	attempt_abort(&a);
	store_close(other);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(count_commits_the_tally, setup, teardown),
		cmocka_unit_test_setup_teardown(lock_and_refusal_are_recorded, setup, teardown),
		cmocka_unit_test_setup_teardown(refusals_of_one_lock_are_one_record, setup, teardown),
		cmocka_unit_test_setup_teardown(success_ends_the_count, setup, teardown),
		cmocka_unit_test_setup_teardown(success_clears_the_attempt, setup, teardown),
		cmocka_unit_test_setup_teardown(lifted_lock_is_not_recorded, setup, teardown),
		cmocka_unit_test_setup_teardown(audit_failure_rolls_back, setup, teardown),
		cmocka_unit_test_setup_teardown(busy_store_refuses, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
