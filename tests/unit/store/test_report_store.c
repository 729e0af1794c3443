/* The access-review report's queries: one row per local account the caller
 * names and per directory user (a name that is both: one row each), with
 * what each feature says about it, and none for names only the store knows;
 * lock records counted by name or pseudonym; reviews replace older ones. */
#include <config.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/report_store.h"
#include "store/store.h"
#include "store/store_sql.h"
#include "tmp_store.h"

static char dir[64];

static int setup(void **state)
{
	struct store *s;
	if (tmp_store_open(dir, sizeof(dir), "report-store", &s))
		return -1;
	*state = s;
	return 0;
}

static int teardown(void **state)
{
	return tmp_store_remove(*state, dir);
}

static void rows_join_every_feature(void **state)
{
	struct store *st = *state;
	assert_int_equal(sqlite3_exec(store_db(st),
		"INSERT INTO tally (user, locked_until, last_success) VALUES ('bob', 500, 400);"
		"INSERT INTO otp (user, secret, algorithm, digits, period, enrolled_at)"
		" VALUES ('alice', x'00', 1, 6, 30, 1);"
		"INSERT INTO otp_recovery (user, id, hash, created_at, used_at) VALUES"
		" ('alice', 'a', 'h', 1, 0), ('alice', 'b', 'h', 1, 7), ('alice', 'c', 'h', 1, 0);"
		"INSERT INTO dir_user (user, uid, gid, first_seen, deactivated_at)"
		" VALUES ('carol', 3000, 3000, 1, 99);"
		"INSERT INTO otp_enroll_window (user, deadline) VALUES ('dora', 1);"
		"INSERT INTO audit VALUES (1, 150, 'lock', 'bob', '', '', '', '', x'00'),"
		" (2, 50, 'lock', 'bob', '', '', '', '', x'00'),"
		" (3, 160, 'lock', 'pn:b0b', '', '', '', '', x'00'),"
		" (4, 170, 'fail', 'bob', '', '', '', '', x'00')",
		NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(report_review_put(st, "alice", 10, "erin"), ST_OK);
	assert_int_equal(report_review_put(st, "alice", 20, "dave"), ST_OK);
	struct report_cursor *c = NULL;
	assert_int_equal(report_open(st, 100, &c), ST_OK);
	const char *const local[] = { "bob", "alice", "carol", "zed", "alice" };
	for (size_t i = 0; i < sizeof(local) / sizeof(local[0]); i++)
		assert_int_equal(report_add_local(c, local[i]), ST_OK);
	struct report_row r;
	assert_int_equal(report_next(c, &r), ST_OK);
	assert_string_equal(r.user, "alice");
	assert_true(r.totp);
	assert_int_equal(r.recovery_left, 2);
	assert_int_equal(r.review_time, 20);
	assert_string_equal(r.reviewer, "dave");
	assert_false(r.directory);
	assert_int_equal(report_locks(c, r.user, ""), 0);
	assert_int_equal(report_next(c, &r), ST_OK);
	assert_string_equal(r.user, "bob");
	assert_int_equal(r.locked_until, 500);
	assert_int_equal(r.last_success, 400);
	assert_false(r.totp);
	assert_string_equal(r.reviewer, "");
	assert_int_equal(report_locks(c, r.user, "pn:b0b"), 2);   /* by name and pseudonym */
	assert_int_equal(report_locks(c, r.user, ""), 1);
	assert_int_equal(report_next(c, &r), ST_OK);
	assert_string_equal(r.user, "carol");     /* the local account first */
	assert_false(r.directory);
	assert_int_equal(r.deactivated_at, 0);
	assert_int_equal(report_next(c, &r), ST_OK);
	assert_string_equal(r.user, "carol");
	assert_true(r.directory);
	assert_int_equal(r.deactivated_at, 99);
	/* dora: only an enrollment window, no account: not listed */
	assert_int_equal(report_next(c, &r), ST_OK);
	assert_string_equal(r.user, "zed");
	assert_false(r.directory);
	assert_int_equal(report_next(c, &r), ST_NOTFOUND);
	report_close(c);
	report_close(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(rows_join_every_feature, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
