/* The lockout decision with an injected clock. */
#include <config.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "base/conf.h"
#include "lockout/lockout.h"

static struct lock_policy policy(bool root)
{
	struct sosafe_config cfg;
	struct lock_policy p;
	config_defaults(&cfg);
	lock_policy_from_conf(&p, &cfg, root, false);
	return p;
}

/* One failed attempt at NOW: preauth counts it, nothing clears it. */
static enum lock_verdict fail_at(const struct lock_policy *p, struct tally *t, int64_t now)
{
	int64_t seq;
	bool locked_now;
	return lockout_begin(p, t, now, &seq, &locked_now);
}

static void locks_after_exactly_six(void **state)
{
	struct lock_policy p = policy(false);
	struct tally t;
	memset(&t, 0, sizeof(t));
	for (int i = 0; i < 6; i++) {
		assert_int_equal(fail_at(&p, &t, 1000 + i), LOCK_ALLOW);
		assert_int_equal(lockout_is_locked(&p, &t, 1000 + i), i == 5);
	}
	assert_int_equal(fail_at(&p, &t, 1010), LOCK_DENY_LOCKED);
	assert_int_equal(t.refused, 1);
	assert_int_equal(t.attempts, 6);
	assert_int_equal(t.locked_until, 1005 + 600);
}

static void sixth_attempt_may_still_succeed(void **state)
{
	struct lock_policy p = policy(false);
	struct tally t;
	memset(&t, 0, sizeof(t));
	for (int i = 0; i < 5; i++)
		fail_at(&p, &t, 1000 + i);
	int64_t seq;
	bool locked_now;
	assert_int_equal(lockout_begin(&p, &t, 1006, &seq, &locked_now), LOCK_ALLOW);
	assert_true(locked_now);
	/* the 6th attempt was right: its own lock is lifted */
	assert_int_equal(lockout_success(&p, &t, 1007, seq), LOCK_ALLOW);
	assert_false(lockout_is_locked(&p, &t, 1007));
	assert_int_equal(t.nfails, 0);
	assert_int_equal(t.last_success, 1007);
}

static void counted_attempts_succeed_alongside_the_lock(void **state)
{
	struct lock_policy p = policy(false);
	struct tally t;
	memset(&t, 0, sizeof(t));
	int64_t seq, seq_other;
	bool ln;
	for (int i = 0; i < 4; i++)
		fail_at(&p, &t, 1000 + i);
	lockout_begin(&p, &t, 1005, &seq, &ln);       /* 5th: ours, right */
	lockout_begin(&p, &t, 1006, &seq_other, &ln); /* 6th: runs alongside, sets the lock */
	assert_true(ln);
	/* ours was counted: with it only 5 can be failures, so it is accepted */
	assert_int_equal(lockout_success(&p, &t, 1007, seq), LOCK_ALLOW);
	assert_false(lockout_is_locked(&p, &t, 1007));
}

static void uncounted_success_refused_while_locked(void **state)
{
	struct lock_policy p = policy(false);
	struct tally t;
	memset(&t, 0, sizeof(t));
	int64_t seq;
	bool ln;
	for (int i = 0; i < 6; i++)
		fail_at(&p, &t, 1000 + i);
	/* success without preauth (seq 0) */
	assert_int_equal(lockout_success(&p, &t, 1008, 0), LOCK_DENY_LOCKED);
	/* a made-up attempt number is not counted either */
	assert_int_equal(lockout_success(&p, &t, 1008, 999), LOCK_DENY_LOCKED);
	/* attempt counted, then wiped by an admin unlock, then six others lock */
	lockout_clear(&t);
	lockout_begin(&p, &t, 1010, &seq, &ln);
	lockout_clear(&t);
	for (int i = 0; i < 6; i++)
		fail_at(&p, &t, 1011);
	assert_int_equal(lockout_success(&p, &t, 1012, seq), LOCK_DENY_LOCKED);
	assert_true(lockout_is_locked(&p, &t, 1012));
	assert_int_equal(t.refused, 3);
}

static void unlock_after_time(void **state)
{
	struct lock_policy p = policy(false);
	struct tally t;
	memset(&t, 0, sizeof(t));
	for (int i = 0; i < 6; i++)
		fail_at(&p, &t, 1000);
	assert_true(lockout_is_locked(&p, &t, 1599));
	assert_false(lockout_is_locked(&p, &t, 1600));
	assert_int_equal(fail_at(&p, &t, 1600), LOCK_ALLOW);
	assert_int_equal(t.nfails, 1);
}

static void failures_expire_after_interval(void **state)
{
	struct lock_policy p = policy(false);
	struct tally t;
	memset(&t, 0, sizeof(t));
	for (int i = 0; i < 5; i++)
		fail_at(&p, &t, 1000);
	/* 900 s later the five no longer count */
	fail_at(&p, &t, 1900);
	assert_false(lockout_is_locked(&p, &t, 1900));
	assert_int_equal(lockout_recent_failures(&p, &t, 1900), 1);
	/* sliding window: failures at 1000..1004 spaced so 6 fall inside 900 s */
	memset(&t, 0, sizeof(t));
	for (int i = 0; i < 6; i++)
		fail_at(&p, &t, 1000 + i * 179);
	assert_true(lockout_is_locked(&p, &t, 1000 + 5 * 179));
}

static void escalation_doubles_then_admin_only(void **state)
{
	struct lock_policy p = policy(false);
	struct tally t;
	memset(&t, 0, sizeof(t));
	int64_t now = 10000;
	int64_t expect[] = { 600, 1200, 2400 };
	for (int lock = 0; lock < 3; lock++) {
		for (int i = 0; i < 6; i++)
			fail_at(&p, &t, now);
		assert_int_equal(t.lock_level, lock + 1);
		assert_int_equal(t.locked_until, now + expect[lock]);
		now = t.locked_until;
	}
	for (int i = 0; i < 6; i++)
		fail_at(&p, &t, now);
	assert_int_equal(t.lock_level, 4);
	assert_int_equal(t.locked_until, LOCK_FOREVER);
	assert_true(lockout_is_locked(&p, &t, now + 10 * 366 * 86400LL));
	lockout_clear(&t);
	assert_false(lockout_is_locked(&p, &t, now));
	assert_int_equal(t.lock_level, 0);
}

static void escalation_forgotten_after_period(void **state)
{
	struct lock_policy p = policy(false);
	struct tally t;
	memset(&t, 0, sizeof(t));
	for (int i = 0; i < 6; i++)
		fail_at(&p, &t, 1000);
	int64_t later = 1000 + 86400 + 1;
	for (int i = 0; i < 6; i++)
		fail_at(&p, &t, later);
	assert_int_equal(t.lock_level, 1);
	assert_int_equal(t.locked_until, later + 600);
}

static void clock_step_back_keeps_failures_and_lock(void **state)
{
	struct lock_policy p = policy(false);
	struct tally t;
	memset(&t, 0, sizeof(t));
	for (int i = 0; i < 6; i++)
		fail_at(&p, &t, 100000);
	/* clock stepped back one hour: still locked, failures kept */
	assert_true(lockout_is_locked(&p, &t, 100000 - 3600));
	assert_int_equal(fail_at(&p, &t, 100000 - 3600), LOCK_DENY_LOCKED);
	memset(&t, 0, sizeof(t));
	for (int i = 0; i < 3; i++)
		fail_at(&p, &t, 100000);
	fail_at(&p, &t, 50000);
	assert_int_equal(t.nfails, 4);
}

static void root_exempt_unless_even_deny_root(void **state)
{
	struct lock_policy p = policy(true);
	struct tally t;
	memset(&t, 0, sizeof(t));
	for (int i = 0; i < 20; i++)
		assert_int_equal(fail_at(&p, &t, 1000 + i), LOCK_ALLOW);
	assert_false(lockout_is_locked(&p, &t, 1020));

	struct sosafe_config cfg;
	config_defaults(&cfg);
	cfg.even_deny_root = true;
	cfg.root_unlock_time = 60;
	cfg.root_unlock_time_set = true;
	lock_policy_from_conf(&p, &cfg, true, false);
	memset(&t, 0, sizeof(t));
	for (int i = 0; i < 6; i++)
		fail_at(&p, &t, 1000);
	assert_true(lockout_is_locked(&p, &t, 1000));
	assert_int_equal(t.locked_until, 1060);
	/* escalation never makes root's lock permanent */
	int64_t now = 1060;
	for (int lock = 0; lock < 10; lock++) {
		for (int i = 0; i < 6; i++)
			fail_at(&p, &t, now);
		assert_true(t.locked_until != LOCK_FOREVER);
		assert_true(t.locked_until - now <= 86400);
		now = t.locked_until;
	}
	/* without root_unlock_time, root uses unlock_time */
	cfg.root_unlock_time_set = false;
	lock_policy_from_conf(&p, &cfg, true, false);
	assert_int_equal(p.unlock_time, 600);
	/* admin_group members are treated like root */
	cfg.even_deny_root = false;
	lock_policy_from_conf(&p, &cfg, false, true);
	assert_true(p.exempt);
}

static void unlock_time_zero_means_admin(void **state)
{
	struct sosafe_config cfg;
	struct lock_policy p;
	struct tally t;
	config_defaults(&cfg);
	cfg.unlock_time = 0;
	lock_policy_from_conf(&p, &cfg, false, false);
	memset(&t, 0, sizeof(t));
	for (int i = 0; i < 6; i++)
		fail_at(&p, &t, 1000);
	assert_int_equal(t.locked_until, LOCK_FOREVER);
	assert_int_equal(fail_at(&p, &t, 1000 + 400 * 86400LL), LOCK_DENY_LOCKED);
}

static void long_term_budget_stops_slow_guessing(void **state)
{
	struct lock_policy p = policy(false);
	struct tally t;
	memset(&t, 0, sizeof(t));
	int64_t now = 100000;
	int guesses = 0;
	/* 5 failures per 15 minutes never reaches `deny`, but the daily budget
	 * (deny_per_period = 24) ends it: 23 guesses pass, the 24th locks. */
	while (fail_at(&p, &t, now) == LOCK_ALLOW) {
		guesses++;
		if (guesses % 5 == 0)
			now += 901;
		if (guesses > 1000)
			break;
	}
	assert_int_equal(guesses, 24);
	assert_int_equal(t.locked_until, LOCK_FOREVER);
	/* a year of this: no more than 23 guesses a day get through */
	assert_true(lockout_is_locked(&p, &t, now + 366 * 86400LL));
	/* a right answer counted in the period gives its slot back */
	memset(&t, 0, sizeof(t));
	int64_t seq;
	bool ln;
	for (int i = 0; i < 30; i++) {
		lockout_begin(&p, &t, 200000 + i * 1000, &seq, &ln);
		assert_int_equal(lockout_success(&p, &t, 200000 + i * 1000, seq), LOCK_ALLOW);
	}
	assert_int_equal(t.period_fails, 0);
	/* the window restarts after escalation_period, not when the clock steps back */
	memset(&t, 0, sizeof(t));
	for (int i = 0; i < 20; i++)
		fail_at(&p, &t, 300000 + (i / 5) * 901);
	for (int i = 0; i < 3; i++)
		fail_at(&p, &t, 250000 + i * 901);
	assert_int_equal(t.period_fails, 23);
	fail_at(&p, &t, 300000 + 86400 + 10);
	assert_int_equal(t.period_fails, 1);
}

static void durations_are_capped(void **state)
{
	struct sosafe_config cfg;
	struct lock_policy p;
	config_defaults(&cfg);
	cfg.max_locks = 0;
	lock_policy_from_conf(&p, &cfg, false, false);
	assert_int_equal(lockout_duration(&p, 1), 600);
	assert_int_equal(lockout_duration(&p, 2), 1200);
	assert_int_equal(lockout_duration(&p, 64), LOCK_MAX_SECONDS);
	assert_int_equal(lockout_duration(&p, 1000), LOCK_MAX_SECONDS);
}

/* An idle row may be forgotten only when forgetting it changes nothing. */
static void idle_only_when_nothing_is_in_force(void **state)
{
	struct lock_policy p = policy(false);   /* 900 s interval, 1 day escalation */
	const int64_t day = 86400;
	struct tally t;
	memset(&t, 0, sizeof(t));
	assert_true(lockout_is_idle(&p, &t, 1000));
	fail_at(&p, &t, 1000);
	assert_false(lockout_is_idle(&p, &t, 1000 + 899));      /* failure still counts */
	assert_false(lockout_is_idle(&p, &t, 1000 + 901));      /* long-term window open */
	assert_true(lockout_is_idle(&p, &t, 1000 + day));
	assert_false(lockout_is_idle(&p, &t, 500));             /* clock stepped back */
	for (int i = 1; i < 6; i++)
		fail_at(&p, &t, 1000 + i);
	assert_true(lockout_is_locked(&p, &t, 1010));
	assert_false(lockout_is_idle(&p, &t, 1010));            /* locked */
	assert_false(lockout_is_idle(&p, &t, 1005 + 700));      /* lock over, escalation chain open */
	assert_true(lockout_is_idle(&p, &t, 1005 + day + 1));
	t.locked_until = LOCK_FOREVER;
	assert_false(lockout_is_idle(&p, &t, 1005 + 365 * day)); /* admin-only lock never forgotten */
	memset(&t, 0, sizeof(t));
	int64_t seq;
	bool locked_now;
	lockout_begin(&p, &t, 1000, &seq, &locked_now);
	lockout_success(&p, &t, 1001, seq);
	assert_false(lockout_is_idle(&p, &t, 1001 + 10 * day)); /* keeps its last login */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(locks_after_exactly_six),
		cmocka_unit_test(sixth_attempt_may_still_succeed),
		cmocka_unit_test(counted_attempts_succeed_alongside_the_lock),
		cmocka_unit_test(uncounted_success_refused_while_locked),
		cmocka_unit_test(unlock_after_time),
		cmocka_unit_test(failures_expire_after_interval),
		cmocka_unit_test(escalation_doubles_then_admin_only),
		cmocka_unit_test(escalation_forgotten_after_period),
		cmocka_unit_test(clock_step_back_keeps_failures_and_lock),
		cmocka_unit_test(root_exempt_unless_even_deny_root),
		cmocka_unit_test(unlock_time_zero_means_admin),
		cmocka_unit_test(durations_are_capped),
		cmocka_unit_test(long_term_budget_stops_slow_guessing),
		cmocka_unit_test(idle_only_when_nothing_is_in_force),
	};
	return cmocka_run_group_tests_name("lockout", tests, NULL, NULL);
}
