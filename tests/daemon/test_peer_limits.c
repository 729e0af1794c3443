/* The rate limit and connection cap of unprivileged uids (sosafed/peer.c),
 * on an injected clock. */
#include <config.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "peer.h"

static void burst_then_rate(void **state)
{
	struct peer_limits *l = peer_limits_new();
	int64_t t = 1000000;
	unsigned admitted = 0;
	for (int i = 0; i < 100; i++)
		if (peer_limits_admit(l, 1000, t)) {
			admitted++;
			peer_limits_release(l, 1000);
		}
	assert_int_equal(admitted, PEER_BURST);
	/* one second refills PEER_RATE_PER_S requests, no more */
	admitted = 0;
	for (int i = 0; i < 100; i++)
		if (peer_limits_admit(l, 1000, t + 1000)) {
			admitted++;
			peer_limits_release(l, 1000);
		}
	assert_int_equal(admitted, PEER_RATE_PER_S);
	/* another uid has its own bucket */
	assert_true(peer_limits_admit(l, 1001, t + 1000));
	/* a long pause refills up to the burst only */
	admitted = 0;
	for (int i = 0; i < 100; i++)
		if (peer_limits_admit(l, 1000, t + 3600000)) {
			admitted++;
			peer_limits_release(l, 1000);
		}
	assert_int_equal(admitted, PEER_BURST);
	peer_limits_free(l);
}

static void open_connections_capped(void **state)
{
	struct peer_limits *l = peer_limits_new();
	int64_t t = 5000;
	for (int i = 0; i < PEER_MAX_CONN; i++)
		assert_true(peer_limits_admit(l, 42, t));
	assert_false(peer_limits_admit(l, 42, t + 60000));   /* tokens, but no room */
	peer_limits_release(l, 42);
	assert_true(peer_limits_admit(l, 42, t + 60000));
	peer_limits_free(l);
}

static void table_full_refuses_then_recycles(void **state)
{
	struct peer_limits *l = peer_limits_new();
	int64_t t = 0;
	/* every slot holds an open connection: a new uid cannot be tracked */
	for (uid_t u = 1; u <= PEER_TABLE; u++)
		assert_true(peer_limits_admit(l, u, t));
	assert_false(peer_limits_admit(l, PEER_TABLE + 1, t));
	/* a slot with no connection and a full bucket is free again */
	peer_limits_release(l, 7);
	assert_false(peer_limits_admit(l, PEER_TABLE + 1, t));   /* bucket not full yet */
	assert_true(peer_limits_admit(l, PEER_TABLE + 1, t + 10000));
	peer_limits_free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(burst_then_rate),
		cmocka_unit_test(open_connections_capped),
		cmocka_unit_test(table_full_refuses_then_recycles),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
