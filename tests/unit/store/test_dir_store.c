/* The directory lifecycle's rows: a user's row read back, deactivation
 * and re-activation, the walks (by name, active, due for purging), ids
 * taken as uid, gid or tombstone, the deletion report, dir_meta, and a
 * rename that moves every per-user row of every schema part. */
#include <config.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "store/dir_store.h"
#include "store/lockout_store.h"
#include "tmp_store.h"

struct fixture {
	char dir[64];
	struct store *st;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	assert_int_equal(tmp_store_open(f->dir, sizeof(f->dir), "dirstore", &f->st), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	int r = tmp_store_remove(f->st, f->dir);
	free(f);
	return r;
}

struct seen {
	char names[8][32];
	size_t n;
	size_t stop_after;
};

static int collect(const struct dir_row *r, void *ctx)
{
	struct seen *s = ctx;
	snprintf(s->names[s->n++], sizeof(s->names[0]), "%s", r->user);
	return s->stop_after && s->n == s->stop_after;
}

static void test_rows(void **state)
{
	struct fixture *f = *state;
	struct dir_state s;
	assert_int_equal(dir_user_get(f->st, "carol", &s), ST_NOTFOUND);
	assert_int_equal(dir_user_insert(f->st, "carol", 5002, 5002, 100, NULL), ST_OK);
	assert_int_equal(dir_user_insert(f->st, "alice", 5000, 6000, 100, "uuid:a"), ST_OK);
	assert_int_equal(dir_user_insert(f->st, "bob", 5001, 5001, 100, NULL), ST_OK);
	/* a uid is one user's */
	assert_int_not_equal(dir_user_insert(f->st, "dave", 5000, 5000, 100, NULL), ST_OK);
	assert_non_null(strstr(store_error(f->st), "cannot write"));

	assert_int_equal(dir_user_get(f->st, "alice", &s), ST_OK);
	assert_int_equal(s.uid, 5000);
	assert_int_equal(s.first_seen, 100);
	assert_int_equal(s.deactivated_at, 0);
	char buf[64], name[64];
	long long uid = 0;
	assert_int_equal(dir_user_ext_id(f->st, "alice", buf, sizeof(buf)), ST_OK);
	assert_string_equal(buf, "uuid:a");
	assert_int_equal(dir_user_ext_id(f->st, "bob", buf, sizeof(buf)), ST_OK);
	assert_string_equal(buf, "");
	assert_int_equal(dir_user_set_ext_id(f->st, "bob", "uuid:b"), ST_OK);
	assert_int_equal(dir_user_by_ext_id(f->st, "uuid:b", name, sizeof(name), &uid), ST_OK);
	assert_string_equal(name, "bob");
	assert_int_equal(uid, 5001);
	assert_int_equal(dir_user_by_ext_id(f->st, "uuid:x", name, sizeof(name), &uid), ST_NOTFOUND);

	assert_int_equal(dir_user_deactivate(f->st, "bob", 200, "gone"), ST_OK);
	assert_int_equal(dir_user_deactivate(f->st, "carol", 300, "gone"), ST_OK);
	assert_int_equal(dir_user_get(f->st, "bob", &s), ST_OK);
	assert_int_equal(s.deactivated_at, 200);
	long long n = 0;
	assert_int_equal(dir_users_active_count(f->st, &n), ST_OK);
	assert_int_equal(n, 1);

	struct seen all = { 0 }, active = { 0 }, due = { 0 }, first = { .stop_after = 1 };
	assert_int_equal(dir_users_foreach(f->st, collect, &all), ST_OK);
	assert_int_equal(all.n, 3);
	assert_string_equal(all.names[0], "alice");
	assert_string_equal(all.names[2], "carol");
	assert_int_equal(dir_users_foreach(f->st, collect, &first), ST_OK);
	assert_int_equal(first.n, 1);
	assert_int_equal(dir_users_active_foreach(f->st, collect, &active), ST_OK);
	assert_int_equal(active.n, 1);
	assert_string_equal(active.names[0], "alice");
	assert_int_equal(dir_users_deactivated_before(f->st, 300, collect, &due), ST_OK);
	assert_int_equal(due.n, 1);
	assert_string_equal(due.names[0], "bob");

	assert_int_equal(dir_user_reactivate(f->st, "bob"), ST_OK);
	assert_int_equal(dir_user_set_gid(f->st, "bob", 7000), ST_OK);
	assert_int_equal(dir_users_active_count(f->st, &n), ST_OK);
	assert_int_equal(n, 2);

	/* ids: a uid, a gid, a tombstone */
	assert_true(dir_id_taken(f->st, 5000));
	assert_true(dir_id_taken(f->st, 6000));
	assert_true(dir_id_taken(f->st, 7000));
	assert_false(dir_id_taken(f->st, 6001));
	assert_false(dir_uid_tombstoned(f->st, 9000));
	assert_int_equal(dir_tombstone_add(f->st, 9000, "old", 400), ST_OK);
	assert_true(dir_uid_tombstoned(f->st, 9000));
	assert_true(dir_id_taken(f->st, 9000));
}

static int count_report(const struct deletion_row *r, void *ctx)
{
	struct deletion_row *last = ctx;
	assert_true(r->id > last->id);
	*last = *r;
	return 0;
}

static void test_report_and_meta(void **state)
{
	struct fixture *f = *state;
	struct deletion_row r = { .uid = 5000, .deactivated_at = 10, .purged_at = 20, .records = 3 };
	snprintf(r.user, sizeof(r.user), "alice");
	snprintf(r.rule, sizeof(r.rule), "grace_days=30");
	snprintf(r.admin, sizeof(r.admin), "root");
	assert_int_equal(dir_report_add(f->st, &r), ST_OK);
	r.uid = 5001;
	snprintf(r.user, sizeof(r.user), "bob");
	assert_int_equal(dir_report_add(f->st, &r), ST_OK);
	struct deletion_row last = { 0 };
	assert_int_equal(dir_report_foreach(f->st, count_report, &last), ST_OK);
	assert_int_equal(last.id, 2);
	assert_string_equal(last.user, "bob");
	assert_int_equal(last.records, 3);
	assert_string_equal(last.rule, "grace_days=30");
	assert_string_equal(last.admin, "root");

	assert_int_equal(dir_meta_get(f->st, "serial", 42), 42);
	assert_int_equal(dir_meta_set(f->st, "serial", 7), ST_OK);
	assert_int_equal(dir_meta_set(f->st, "serial", 8), ST_OK);
	assert_int_equal(dir_meta_get(f->st, "serial", 42), 8);
}

static void test_rename(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(dir_user_insert(f->st, "old", 5000, 5000, 1, "uuid:1"), ST_OK);
	struct tally t = { 0 };
	t.attempts = 4;
	assert_int_equal(store_tally_put(f->st, "old", &t), ST_OK);
	t.attempts = 9;
	assert_int_equal(store_tally_put(f->st, "new", &t), ST_OK);   /* an unknown name's failures */
	long rows = 0;
	assert_int_equal(dir_user_rename(f->st, "old", "new", &rows), ST_OK);
	assert_int_equal(rows, 2);   /* lifecycle row and tally */
	struct dir_state s;
	assert_int_equal(dir_user_get(f->st, "old", &s), ST_NOTFOUND);
	assert_int_equal(dir_user_get(f->st, "new", &s), ST_OK);
	assert_int_equal(s.uid, 5000);
	assert_int_equal(store_tally_get(f->st, "new", &t), ST_OK);
	assert_int_equal(t.attempts, 4);
	assert_int_equal(store_tally_get(f->st, "old", &t), ST_NOTFOUND);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_rows, setup, teardown),
		cmocka_unit_test_setup_teardown(test_report_and_meta, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rename, setup, teardown),
	};
	return cmocka_run_group_tests_name("dir_store", tests, NULL, NULL);
}
