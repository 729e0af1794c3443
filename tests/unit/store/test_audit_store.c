/* The audit trail's rows in a real store: the head (absent, round trip,
 * damaged), records in seq order with their MACs, the time filter, and the
 * pruning queries. The chain's MACs are tested in tests/unit/audit/. */
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

#include "store/audit_store.h"
#include "store/store.h"
#include "store/store_sql.h"
#include "tmp_store.h"

static char dir[64];

static int setup(void **state)
{
	struct store *s;
	if (tmp_store_open(dir, sizeof(dir), "audit-store", &s))
		return -1;
	*state = s;
	return 0;
}

static int teardown(void **state)
{
	return tmp_store_remove(*state, dir);
}

static void fill(unsigned char *mac, unsigned char v)
{
	memset(mac, v, AUDIT_MAC_LEN);
}

static void head_round_trip(void **state)
{
	struct store *st = *state;
	struct audit_head hd, got;
	assert_int_equal(audit_head_get(st, &got), ST_NOTFOUND);
	assert_int_equal(got.last_seq, 0);
	hd.first_seq = 3;
	hd.last_seq = 9;
	fill(hd.first_prev, 1);
	fill(hd.last_mac, 2);
	fill(hd.mac, 3);
	assert_int_equal(audit_head_put(st, &hd), ST_OK);
	assert_int_equal(audit_head_get(st, &got), ST_OK);
	assert_memory_equal(&got, &hd, sizeof(hd));
	/* one row only: a second put replaces it */
	hd.last_seq = 10;
	assert_int_equal(audit_head_put(st, &hd), ST_OK);
	assert_int_equal(audit_head_get(st, &got), ST_OK);
	assert_int_equal(got.last_seq, 10);
}

/* The mark of the highest seq written; a store from before the mark gets
 * it from its head when its schema is upgraded. */
static void mark_round_trip_and_upgrade(void **state)
{
	struct store *st = *state;
	long long mark = -1;
	assert_int_equal(audit_mark_get(st, &mark), ST_NOTFOUND);
	assert_int_equal(mark, 0);
	assert_int_equal(audit_mark_put(st, 7), ST_OK);
	assert_int_equal(audit_mark_get(st, &mark), ST_OK);
	assert_int_equal(mark, 7);
	struct audit_head hd = { .first_seq = 1, .last_seq = 9 };
	assert_int_equal(audit_head_put(st, &hd), ST_OK);
	assert_int_equal(sqlite3_exec(store_db(st),
				      "DELETE FROM meta WHERE key = '" AUDIT_MARK_KEY "';"
				      "UPDATE meta SET value = 1 WHERE key = 'schema.audit'",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	assert_int_equal(store_migrate(st, true), ST_OK);
	assert_int_equal(audit_mark_get(st, &mark), ST_OK);
	assert_int_equal(mark, 9);
}

static void damaged_head_is_corrupt(void **state)
{
	struct store *st = *state;
	assert_int_equal(sqlite3_exec(store_db(st),
				      "INSERT INTO audit_head VALUES (1, 1, x'00', 1, x'00', x'00')",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	struct audit_head got;
	assert_int_equal(audit_head_get(st, &got), ST_CORRUPT);
	assert_non_null(strstr(store_error(st), "damaged"));
}

static void put(struct store *st, long long seq, long long time, const char *user)
{
	struct audit_record r = { .seq = seq, .time = time, .event = "fail", .user = user,
				  .service = "sshd", .rhost = NULL, .actor = "", .detail = "x" };
	unsigned char mac[AUDIT_MAC_LEN];
	fill(mac, (unsigned char)seq);
	assert_int_equal(audit_record_put(st, &r, mac), ST_OK);
}

struct seen {
	long long seq[8];
	char user[8][16];
	unsigned n, stop_after;
	bool macs_ok;
};

static int collect(const struct audit_record *r, const void *mac, size_t maclen, void *ctx)
{
	struct seen *s = ctx;
	unsigned char want[AUDIT_MAC_LEN];
	fill(want, (unsigned char)r->seq);
	if (maclen != AUDIT_MAC_LEN || memcmp(mac, want, AUDIT_MAC_LEN) || strcmp(r->rhost, ""))
		s->macs_ok = false;
	s->seq[s->n] = r->seq;
	snprintf(s->user[s->n], sizeof(s->user[0]), "%s", r->user);
	s->n++;
	return s->n == s->stop_after;
}

static void records_in_seq_order(void **state)
{
	struct store *st = *state;
	put(st, 2, 200, "bob");
	put(st, 1, 100, "alice");
	put(st, 3, 300, "carol");
	struct seen all = { .macs_ok = true };
	assert_int_equal(audit_rows_all(st, collect, &all), ST_OK);
	assert_int_equal(all.n, 3);
	assert_true(all.macs_ok);
	assert_int_equal(all.seq[0], 1);
	assert_int_equal(all.seq[2], 3);
	assert_string_equal(all.user[1], "bob");
	struct seen since = { .macs_ok = true };
	assert_int_equal(audit_rows_since(st, 200, collect, &since), ST_OK);
	assert_int_equal(since.n, 2);
	assert_int_equal(since.seq[0], 2);
	struct seen one = { .macs_ok = true, .stop_after = 1 };
	assert_int_equal(audit_rows_all(st, collect, &one), ST_OK);
	assert_int_equal(one.n, 1);
	/* seq is the key: a record cannot be written twice */
	struct audit_record dup = { .seq = 2, .time = 1, .event = "x" };
	unsigned char mac[AUDIT_MAC_LEN] = { 0 };
	assert_int_not_equal(audit_record_put(st, &dup, mac), ST_OK);
}

static void prune_queries(void **state)
{
	struct store *st = *state;
	for (int i = 1; i <= 5; i++)
		put(st, i, i * 100, "alice");
	long long seq = -1;
	unsigned char mac[AUDIT_MAC_LEN];
	assert_int_equal(audit_last_before(st, 100, &seq, mac), ST_NOTFOUND);
	assert_int_equal(audit_last_before(st, 350, &seq, mac), ST_OK);
	assert_int_equal(seq, 3);
	unsigned char want[AUDIT_MAC_LEN];
	fill(want, 3);
	assert_memory_equal(mac, want, AUDIT_MAC_LEN);
	long deleted = -1;
	assert_int_equal(audit_delete_upto(st, seq, &deleted), ST_OK);
	assert_int_equal(deleted, 3);
	struct seen left = { .macs_ok = true };
	assert_int_equal(audit_rows_all(st, collect, &left), ST_OK);
	assert_int_equal(left.n, 2);
	assert_int_equal(left.seq[0], 4);
	/* a record whose MAC has the wrong length is reported, not copied */
	assert_int_equal(sqlite3_exec(store_db(st), "UPDATE audit SET mac = x'01' WHERE seq = 5",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	assert_int_equal(audit_last_before(st, 1000, &seq, mac), ST_CORRUPT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(head_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(mark_round_trip_and_upgrade, setup, teardown),
		cmocka_unit_test_setup_teardown(damaged_head_is_corrupt, setup, teardown),
		cmocka_unit_test_setup_teardown(records_in_seq_order, setup, teardown),
		cmocka_unit_test_setup_teardown(prune_queries, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
