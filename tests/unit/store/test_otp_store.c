/* The otp schema part in a real store: secrets, forward-only last step,
 * recovery codes used once, purge covers every otp table. */
#include <config.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "otp/otp_answer.h"
#include "store/otp_store.h"
#include "tmp_store.h"
#include "otp/recovery.h"

static char dir[64];

static int setup(void **st)
{
	struct store *s;
	if (tmp_store_open(dir, sizeof(dir), "otp-store", &s))
		return -1;
	*st = s;
	return 0;
}

static int teardown(void **st)
{
	return tmp_store_remove(*st, dir);
}

static void record_round_trip(void **state)
{
	struct store *st = *state;
	struct otp_record r = { .secret_len = 20, .params = { TOTP_SHA512, 8, 60 },
				.last_step = -1, .enrolled_at = 1700000000 };
	memcpy(r.secret, "12345678901234567890", 20);
	assert_int_equal(store_begin(st), ST_OK);
	assert_int_equal(otp_put(st, "alice", &r, "admin"), ST_OK);
	assert_int_equal(store_commit(st), ST_OK);
	struct otp_record g;
	assert_int_equal(otp_get(st, "alice", &g), ST_OK);
	assert_int_equal(g.secret_len, 20);
	assert_memory_equal(g.secret, r.secret, 20);
	assert_int_equal(g.params.algorithm, TOTP_SHA512);
	assert_int_equal(g.params.digits, 8);
	assert_int_equal(g.params.period, 60);
	assert_int_equal(g.last_step, -1);
	assert_int_equal(otp_get(st, "nobody", &g), ST_NOTFOUND);
	/* last_step only moves forward */
	assert_int_equal(otp_advance_step(st, "alice", 100), ST_OK);
	assert_int_equal(otp_advance_step(st, "alice", 100), ST_NOTFOUND);
	assert_int_equal(otp_advance_step(st, "alice", 99), ST_NOTFOUND);
	assert_int_equal(otp_advance_step(st, "alice", 101), ST_OK);
	assert_int_equal(otp_get(st, "alice", &g), ST_OK);
	assert_int_equal(g.last_step, 101);
	/* bad records are refused */
	r.params.digits = 7;
	assert_int_equal(otp_put(st, "bob", &r, NULL), ST_ERROR);
	r.params.digits = 6;
	r.secret_len = 5;
	assert_int_equal(otp_put(st, "bob", &r, NULL), ST_ERROR);
}

static void recovery_single_use(void **state)
{
	struct store *st = *state;
	struct recovery_code c[3];
	const char *ids[3], *hashes[3];
	for (int i = 0; i < 3; i++) {
		assert_int_equal(recovery_generate(&c[i]), 0);
		assert_int_equal(strlen(c[i].shown), RECOVERY_SHOWN_LEN);
		assert_memory_equal(c[i].hash, "$y$", 3);
		ids[i] = c[i].id;
		hashes[i] = c[i].hash;
	}
	assert_int_equal(store_begin(st), ST_OK);
	assert_int_equal(otp_recovery_replace(st, "alice", 3, ids, hashes, 1700000000), ST_OK);
	assert_int_equal(store_commit(st), ST_OK);
	unsigned unused, total;
	assert_int_equal(otp_recovery_count(st, "alice", &unused, &total), ST_OK);
	assert_int_equal(unused, 3);
	assert_int_equal(total, 3);

	struct otp_answer a;
	assert_int_equal(otp_answer_parse(c[1].shown, strlen(c[1].shown), 6, &a), 0);
	assert_int_equal(a.kind, ANSWER_RECOVERY);
	char id[RECOVERY_ID_LEN + 1], hash[RECOVERY_HASH_MAX];
	recovery_id_of(a.code, id);
	assert_string_equal(id, c[1].id);
	assert_int_equal(otp_recovery_hash(st, "alice", id, hash, sizeof(hash)), ST_OK);
	assert_true(recovery_check(a.code, hash));
	/* a wrong code with the right id fails */
	char wrong[RECOVERY_LEN + 1];
	memcpy(wrong, a.code, sizeof(wrong));
	wrong[10] = wrong[10] == 'A' ? 'B' : 'A';
	assert_false(recovery_check(wrong, hash));
	assert_false(recovery_check(a.code, NULL));
	bool used;
	assert_int_equal(otp_recovery_consume(st, "alice", id, hash, 1700000100, &used), ST_OK);
	assert_true(used);
	assert_int_equal(otp_recovery_consume(st, "alice", id, hash, 1700000101, &used), ST_OK);
	assert_false(used);
	assert_int_equal(otp_recovery_hash(st, "alice", id, hash, sizeof(hash)), ST_NOTFOUND);
	assert_int_equal(otp_recovery_count(st, "alice", &unused, &total), ST_OK);
	assert_int_equal(unused, 2);
}

static void purge_covers_otp(void **state)
{
	struct store *st = *state;
	assert_int_equal(otp_window_set(st, "alice", 1900000000, "admin"), ST_OK);
	int64_t d;
	assert_int_equal(otp_window_get(st, "alice", &d), ST_OK);
	assert_int_equal(d, 1900000000);
	long rows = 0;
	assert_int_equal(store_begin(st), ST_OK);
	assert_int_equal(store_delete_user(st, "alice", &rows), ST_OK);
	assert_int_equal(store_commit(st), ST_OK);
	assert_int_equal(rows, 1 + 3 + 1);
	struct otp_record g;
	assert_int_equal(otp_get(st, "alice", &g), ST_NOTFOUND);
	assert_int_equal(otp_window_get(st, "alice", &d), ST_NOTFOUND);
}

static void recovery_timing(void **state)
{
	/* the dummy check costs the same order as a real one */
	struct recovery_code c;
	assert_int_equal(recovery_generate(&c), 0);
	struct timespec a, b, e;
	clock_gettime(CLOCK_MONOTONIC, &a);
	assert_false(recovery_check("AAAAAAAAAAAAAAAA", c.hash));
	clock_gettime(CLOCK_MONOTONIC, &b);
	assert_false(recovery_check("AAAAAAAAAAAAAAAA", NULL));
	clock_gettime(CLOCK_MONOTONIC, &e);
	double real = (b.tv_sec - a.tv_sec) * 1e3 + (b.tv_nsec - a.tv_nsec) / 1e6;
	double dummy = (e.tv_sec - b.tv_sec) * 1e3 + (e.tv_nsec - b.tv_nsec) / 1e6;
	printf("# yescrypt check %.1f ms, dummy %.1f ms\n", real, dummy);
	assert_true(dummy > real / 3 && dummy < real * 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(record_round_trip),
		cmocka_unit_test(recovery_single_use),
		cmocka_unit_test(purge_covers_otp),
		cmocka_unit_test(recovery_timing),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
