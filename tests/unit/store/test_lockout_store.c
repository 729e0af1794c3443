/* The tally rows of the lockout feature in a real store:
 *   - the cached tally statements give the same results as fresh ones on
 *     repeated use, inside and outside transactions, after a rollback;
 *   - a cached statement never keeps a read transaction open after the
 *     call: another connection can checkpoint the whole WAL and reset it;
 *   - the walk is ordered and can stop; a malformed row is "corrupt";
 *   - pruning removes exactly the rows lockout_is_idle() can forget. */
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

#include "store/lockout_store.h"
#include "store/store.h"
#include "store/store_sql.h"
#include "tmp_store.h"

static char dir[64];

static int setup(void **state)
{
	struct store *s;
	if (tmp_store_open(dir, sizeof(dir), "lockout-store", &s))
		return -1;
	*state = s;
	return 0;
}

static int teardown(void **state)
{
	return tmp_store_remove(*state, dir);
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

/* The second-factor tally is a table of its own: same row format, and
 * neither row sees the other; lock_refused round-trips in both. */
static void code_tally_is_separate(void **state)
{
	struct store *st = *state;
	struct tally t = { .nfails = 2, .fails = { 7, 8 }, .locked_until = 900, .lock_refused = 4 };
	struct tally g;
	assert_int_equal(store_code_tally_get(st, "root", &g), ST_NOTFOUND);
	assert_int_equal(store_code_tally_put(st, "root", &t), ST_OK);
	assert_int_equal(store_tally_get(st, "root", &g), ST_NOTFOUND);
	assert_int_equal(store_code_tally_get(st, "root", &g), ST_OK);
	assert_int_equal(g.nfails, 2);
	assert_int_equal(g.fails[1], 8);
	assert_int_equal(g.locked_until, 900);
	assert_int_equal(g.lock_refused, 4);
	t.lock_refused = 3;
	assert_int_equal(store_tally_put(st, "root", &t), ST_OK);
	assert_int_equal(store_tally_get(st, "root", &g), ST_OK);
	assert_int_equal(g.lock_refused, 3);
	assert_int_equal(store_code_tally_delete(st, "root"), ST_OK);
	assert_int_equal(store_code_tally_get(st, "root", &g), ST_NOTFOUND);
	assert_int_equal(store_tally_get(st, "root", &g), ST_OK);
	assert_int_equal(store_code_tally_delete(st, "nobody"), ST_OK);
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

struct walk {
	char names[4][16];
	unsigned n, stop_after;
};

static int collect(const char *user, const struct tally *t, void *ctx)
{
	(void)t;
	struct walk *w = ctx;
	snprintf(w->names[w->n++], sizeof(w->names[0]), "%s", user);
	return w->n == w->stop_after;
}

static void walk_is_ordered_and_stops(void **state)
{
	struct store *st = *state;
	struct tally t;
	memset(&t, 0, sizeof(t));
	static const char *const users[] = { "carol", "alice", "bob" };
	for (unsigned i = 0; i < 3; i++)
		assert_int_equal(store_tally_put(st, users[i], &t), ST_OK);
	struct walk w = { .stop_after = 0 };
	assert_int_equal(store_tally_foreach(st, collect, &w), ST_OK);
	assert_int_equal(w.n, 3);
	assert_string_equal(w.names[0], "alice");
	assert_string_equal(w.names[1], "bob");
	assert_string_equal(w.names[2], "carol");
	struct walk two = { .stop_after = 2 };
	assert_int_equal(store_tally_foreach(st, collect, &two), ST_OK);
	assert_int_equal(two.n, 2);
}

static void malformed_row_is_corrupt(void **state)
{
	struct store *st = *state;
	struct tally t;
	/* a fails blob that is not a whole number of 8-byte times */
	assert_int_equal(sqlite3_exec(store_db(st),
				      "INSERT INTO tally (user, fails) VALUES ('mallory', x'0102')",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	assert_int_equal(store_tally_get(st, "mallory", &t), ST_CORRUPT);
	assert_non_null(strstr(store_error(st), "malformed tally row"));
	assert_int_equal(t.nfails, 0);
	struct walk w = { .stop_after = 0 };
	assert_int_equal(store_tally_foreach(st, collect, &w), ST_CORRUPT);
}

static void prune_forgets_only_idle_rows(void **state)
{
	struct store *st = *state;
	const int64_t now = 1700000000;
	struct lock_policy p = { .deny = 3, .fail_interval = 900, .unlock_time = 600,
				 .escalation_period = 86400 };
	struct tally idle, recent, locked, known;
	memset(&idle, 0, sizeof(idle));
	idle.nfails = 1;
	idle.fails[0] = now - 100000;   /* failure long outside fail_interval */
	idle.attempts = 1;
	recent = idle;
	recent.fails[0] = now - 10;
	memset(&locked, 0, sizeof(locked));
	locked.locked_until = now + 60;
	memset(&known, 0, sizeof(known));
	known.last_success = now - 100000;
	assert_int_equal(store_begin(st), ST_OK);
	assert_int_equal(store_tally_put(st, "typo1", &idle), ST_OK);
	assert_int_equal(store_tally_put(st, "typo2", &idle), ST_OK);
	assert_int_equal(store_tally_put(st, "recent", &recent), ST_OK);
	assert_int_equal(store_tally_put(st, "locked", &locked), ST_OK);
	assert_int_equal(store_tally_put(st, "known", &known), ST_OK);
	long pruned = -1;
	assert_int_equal(store_tally_prune_idle(st, &p, now, &pruned), ST_OK);
	assert_int_equal(store_commit(st), ST_OK);
	assert_int_equal(pruned, 2);
	struct tally g;
	assert_int_equal(store_tally_get(st, "typo1", &g), ST_NOTFOUND);
	assert_int_equal(store_tally_get(st, "typo2", &g), ST_NOTFOUND);
	assert_int_equal(store_tally_get(st, "recent", &g), ST_OK);
	assert_int_equal(store_tally_get(st, "locked", &g), ST_OK);
	assert_int_equal(store_tally_get(st, "known", &g), ST_OK);
	/* nothing left to prune */
	assert_int_equal(store_tally_prune_idle(st, &p, now, &pruned), ST_OK);
	assert_int_equal(pruned, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(cached_statements_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(code_tally_is_separate, setup, teardown),
		cmocka_unit_test_setup_teardown(no_read_transaction_left_open, setup, teardown),
		cmocka_unit_test_setup_teardown(walk_is_ordered_and_stops, setup, teardown),
		cmocka_unit_test_setup_teardown(malformed_row_is_corrupt, setup, teardown),
		cmocka_unit_test_setup_teardown(prune_forgets_only_idle_rows, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
