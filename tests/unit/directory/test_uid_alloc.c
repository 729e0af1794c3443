/* Uid allocation: the lowest number in uid_min..uid_max that no local
 * account or group, no export entry, no lifecycle row (uid or gid) and no
 * purged user holds; never the same number twice; a clear refusal when
 * the range is used up. */
#include <config.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "directory/lifecycle.h"
#include "tmp_store.h"

struct fixture {
	char dir[64];
	struct store *st;
	struct sosafe_config cfg;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	assert_int_equal(tmp_store_open(f->dir, sizeof(f->dir), "uid", &f->st), 0);
	config_defaults(&f->cfg);
	f->cfg.uid_min = 5000;
	f->cfg.uid_max = 5009;
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

static long long next(struct fixture *f, const struct local *lp, const struct local *lg,
		      const struct idset *ids)
{
	long long uid = -1;
	struct sosafe_err e = { "" };
	if (uid_allocate(f->st, &f->cfg, lp, lg, ids, &uid, &e))
		fail_msg("%s", e.msg);
	return uid;
}

static void test_skips_what_is_taken(void **state)
{
	struct fixture *f = *state;
	struct local lp = { 0 }, lg = { 0 };
	assert_int_equal(local_add(&lp, "localuser", 5000), 0);
	assert_int_equal(local_add(&lg, "localgroup", 5001), 0);
	long long export_ids[] = { 5002 };
	struct idset ids = { export_ids, 1 };
	assert_int_equal(dir_user_insert(f->st, "held", 5003, 5004, 1, NULL), ST_OK);
	assert_int_equal(dir_tombstone_add(f->st, 5005, "gone", 1), ST_OK);
	assert_int_equal(next(f, &lp, &lg, &ids), 5006);
	/* handed out once: the counter moved on even without a row */
	assert_int_equal(next(f, &lp, &lg, &ids), 5007);
	assert_int_equal(dir_meta_get(f->st, "next_uid", 0), 5008);
	local_free(&lp);
	local_free(&lg);
}

static void test_range_used_up(void **state)
{
	struct fixture *f = *state;
	struct local none = { 0 };
	struct idset ids = { 0 };
	assert_int_equal(dir_meta_set(f->st, "next_uid", 5009), ST_OK);
	assert_int_equal(next(f, &none, &none, &ids), 5009);
	long long uid = -1;
	struct sosafe_err e = { "" };
	assert_int_equal(uid_allocate(f->st, &f->cfg, &none, &none, &ids, &uid, &e), -1);
	assert_string_equal(e.msg, "uid range 5000..5009 is used up (uids are never reused); "
			    "widen uid_max");
	/* a counter below uid_min (uid_min raised) starts at uid_min */
	assert_int_equal(dir_meta_set(f->st, "next_uid", 10), ST_OK);
	assert_int_equal(next(f, &none, &none, &ids), 5000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_skips_what_is_taken, setup, teardown),
		cmocka_unit_test_setup_teardown(test_range_used_up, setup, teardown),
	};
	return cmocka_run_group_tests_name("uid allocation", tests, NULL, NULL);
}
