/* Warnings before the snapshot expires: the levels at 50 %, 90 % and past
 * max_snapshot_age, each logged once per snapshot however often a daemon
 * asks, and no snapshot at all is no warning. */
#include <config.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "snapshot/snapshot_age.h"

#define MAX 86400u
#define GEN 1700000000LL

static int lines, last_prio;
static char last[512];

static void sink(int priority, const char *line)
{
	lines++;
	last_prio = priority;
	snprintf(last, sizeof(last), "%s", line);
}

static void test_levels(void **state)
{
	(void)state;
	assert_int_equal(snap_age_level(GEN, GEN, MAX), SNAP_AGE_FRESH);
	assert_int_equal(snap_age_level(GEN, GEN + MAX / 2 - 1, MAX), SNAP_AGE_FRESH);
	assert_int_equal(snap_age_level(GEN, GEN + MAX / 2, MAX), SNAP_AGE_HALF);
	assert_int_equal(snap_age_level(GEN, GEN + MAX * 9 / 10 - 1, MAX), SNAP_AGE_HALF);
	assert_int_equal(snap_age_level(GEN, GEN + MAX * 9 / 10, MAX), SNAP_AGE_LATE);
	assert_int_equal(snap_age_level(GEN, GEN + MAX, MAX), SNAP_AGE_LATE);
	assert_int_equal(snap_age_level(GEN, GEN + MAX + 1, MAX), SNAP_AGE_STALE);
}

static void test_warn_once_per_level(void **state)
{
	(void)state;
	struct log_ctx log = { .ident = "test" };
	struct snap_age_memo memo = { 0 };
	log_sink_fn old = log_set_sink(sink);
	lines = 0;
	assert_int_equal(snap_age_warn(&log, &memo, GEN, GEN + 10, MAX), SNAP_AGE_FRESH);
	assert_int_equal(lines, 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(snap_age_warn(&log, &memo, GEN, GEN + MAX / 2 + i, MAX), SNAP_AGE_HALF);
	assert_int_equal(lines, 1);
	assert_int_equal(last_prio, LOG_WARNING);
	assert_non_null(strstr(last, "event=snapshot-aging"));
	assert_non_null(strstr(last, "50 %"));
	for (int i = 0; i < 3; i++)
		snap_age_warn(&log, &memo, GEN, GEN + MAX * 95 / 100 + i, MAX);
	assert_int_equal(lines, 2);
	assert_int_equal(last_prio, LOG_ERR);
	assert_non_null(strstr(last, "95 %"));
	snap_age_warn(&log, &memo, GEN, GEN + 2 * MAX, MAX);
	snap_age_warn(&log, &memo, GEN, GEN + 3 * MAX, MAX);
	assert_int_equal(lines, 3);
	assert_non_null(strstr(last, "event=snapshot-stale"));
	/* a new snapshot starts over */
	snap_age_warn(&log, &memo, GEN + MAX, GEN + MAX + MAX / 2, MAX);
	assert_int_equal(lines, 4);
	/* without a memo (sosafectl) every call logs */
	snap_age_warn(&log, NULL, GEN, GEN + MAX / 2, MAX);
	snap_age_warn(&log, NULL, GEN, GEN + MAX / 2, MAX);
	assert_int_equal(lines, 6);
	log_set_sink(old);
}

static void test_no_snapshot(void **state)
{
	(void)state;
	int64_t at = 0;
	struct sosafe_err e;
	assert_int_equal(snap_age_read("/nonexistent-sosafe-state", &at, &e), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_levels),
		cmocka_unit_test(test_warn_once_per_level),
		cmocka_unit_test(test_no_snapshot),
	};
	return cmocka_run_group_tests_name("snapshot age", tests, NULL, NULL);
}
