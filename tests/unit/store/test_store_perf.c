/* Store behaviour behind the per-login cost work (docs/benchmarks-auth.md):
 *   - synchronous is FULL by default and NORMAL only with STORE_SYNC_NORMAL
 *     (store_sync_commits = no), for read-write and read-only opens;
 *   - the cached tally statements give the same results as fresh ones on
 *     repeated use, inside and outside transactions, after a rollback;
 *   - a cached statement never keeps a read transaction open after the
 *     call: another connection can checkpoint the whole WAL and reset it. */
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
#include <sys/stat.h>
#include <unistd.h>

#include "store/store.h"
#include "tmp_store.h"

static char dir[64];

static int setup(void **state)
{
	struct store *s;
	if (tmp_store_open(dir, sizeof(dir), "store-perf", &s))
		return -1;
	*state = s;
	return 0;
}

static int teardown(void **state)
{
	return tmp_store_remove(*state, dir);
}

static int synchronous_of(struct store *st)
{
	sqlite3_stmt *q = NULL;
	int v = -1;
	assert_int_equal(sqlite3_prepare_v2(store_db(st), "PRAGMA synchronous", -1, &q, NULL), SQLITE_OK);
	if (sqlite3_step(q) == SQLITE_ROW)
		v = sqlite3_column_int(q, 0);
	sqlite3_finalize(q);
	return v;
}

static void sync_mode_follows_flag(void **state)
{
	assert_int_equal(synchronous_of(*state), 2);   /* FULL */
	static const unsigned flags[] = { 0, STORE_SYNC_NORMAL, STORE_RDONLY,
					  STORE_RDONLY | STORE_SYNC_NORMAL };
	static const int want[] = { 2, 1, 2, 1 };
	for (unsigned i = 0; i < 4; i++) {
		struct store *s = NULL;
		char err[256];
		assert_int_equal(store_open(&s, dir, flags[i], 2000, err, sizeof(err)), ST_OK);
		assert_int_equal(synchronous_of(s), want[i]);
		store_close(s);
	}
}

static void cached_statements_round_trip(void **state)
{
	struct store *st = *state;
	struct tally t, g;
	for (int round = 0; round < 5; round++) {
		char user[16];
		snprintf(user, sizeof(user), "user%d", round);
		memset(&t, 0, sizeof(t));
		t.nfails = (unsigned)round;
		for (int k = 0; k < round; k++)
			t.fails[k] = 1000 + k;
		t.attempts = 10 + round;
		t.last_success = 5000 + round;
		assert_int_equal(store_begin(st), ST_OK);
		assert_int_equal(store_tally_get(st, user, &g), ST_NOTFOUND);
		assert_int_equal(store_tally_put(st, user, &t), ST_OK);
		assert_int_equal(store_tally_get(st, user, &g), ST_OK);   /* own write, same tx */
		assert_int_equal(store_commit(st), ST_OK);
		assert_int_equal(store_tally_get(st, user, &g), ST_OK);   /* autocommit read */
		assert_int_equal(g.nfails, (unsigned)round);
		assert_int_equal(g.attempts, 10 + round);
		assert_int_equal(g.last_success, 5000 + round);
		if (round)
			assert_int_equal(g.fails[round - 1], 1000 + round - 1);
	}
	/* a rolled-back write is not seen, and the statements still work */
	t.attempts = 99;
	assert_int_equal(store_begin(st), ST_OK);
	assert_int_equal(store_tally_put(st, "user1", &t), ST_OK);
	store_rollback(st);
	assert_int_equal(store_tally_get(st, "user1", &g), ST_OK);
	assert_int_equal(g.attempts, 11);
}

static void no_read_transaction_left_open(void **state)
{
	struct store *st = *state;
	struct tally t, g;
	memset(&t, 0, sizeof(t));
	t.attempts = 1;
	assert_int_equal(store_begin(st), ST_OK);
	assert_int_equal(store_tally_put(st, "carol", &t), ST_OK);
	assert_int_equal(store_commit(st), ST_OK);
	assert_int_equal(store_tally_get(st, "nobody", &g), ST_NOTFOUND);
	assert_int_equal(store_tally_get(st, "carol", &g), ST_OK);   /* stopped on a row */
	/* a second connection checkpoints everything and truncates the WAL:
	 * impossible while ST holds a read snapshot */
	char path[128];
	snprintf(path, sizeof(path), "%s/%s", dir, STORE_FILE);
	sqlite3 *other = NULL;
	assert_int_equal(sqlite3_open_v2(path, &other, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(other, "SELECT count(*) FROM tally", NULL, NULL, NULL), SQLITE_OK);
	int log = -1, ckpt = -1;
	assert_int_equal(sqlite3_wal_checkpoint_v2(other, "main", SQLITE_CHECKPOINT_TRUNCATE, &log, &ckpt),
			 SQLITE_OK);
	assert_int_equal(log, 0);
	assert_int_equal(ckpt, 0);
	sqlite3_close_v2(other);
	assert_int_equal(store_tally_get(st, "carol", &g), ST_OK);
	assert_int_equal(g.attempts, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(sync_mode_follows_flag, setup, teardown),
		cmocka_unit_test_setup_teardown(cached_statements_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(no_read_transaction_left_open, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
