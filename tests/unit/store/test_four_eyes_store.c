/* The four-eyes requests in a real store: a request's life from pending to
 * done, denied or expired; an approval succeeds exactly once and only with
 * the transaction it is part of; expiry is recorded before it is marked. */
#include <config.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "four_eyes_fixture.h"
#include "tmp_store.h"

#define NOW 1800000000LL
#define TTL 7200

static char dir[64];

static int setup(void **state)
{
	struct store *s;
	if (tmp_store_open(dir, sizeof(dir), "four-eyes", &s))
		return -1;
	*state = s;
	return 0;
}

static int teardown(void **state)
{
	return tmp_store_remove(*state, dir);
}

static long long add(struct store *st, const char *requester, const char *target, int64_t created)
{
	return fe_fixture_add(st, requester, target, created, created + TTL);
}

static int count_one(const struct four_eyes_request *r, void *ctx)
{
	(void)r;
	++*(unsigned *)ctx;
	return 0;
}

static void lifecycle(void **state)
{
	struct store *st = *state;
	long long a = add(st, "alice", "bob", NOW), b = add(st, "alice", "carol", NOW);
	assert_true(b > a);

	struct four_eyes_request *r = calloc(1, sizeof(*r));
	assert_non_null(r);
	assert_int_equal(four_eyes_get(st, a, r), ST_OK);
	assert_int_equal(r->id, a);
	assert_string_equal(r->action, "unlock");
	assert_string_equal(r->target, "bob");
	assert_string_equal(r->requester, "alice");
	assert_string_equal(r->requester_login, "alice-login");
	assert_int_equal(r->state, FE_STATE_PENDING);
	assert_string_equal(r->decided_by, "");
	assert_int_equal(r->created, NOW);
	assert_int_equal(r->expires, NOW + TTL);
	assert_int_equal(four_eyes_get(st, b + 1000, r), ST_NOTFOUND);

	/* b is denied; a is approved */
	assert_int_equal(store_begin(st), ST_OK);
	assert_int_equal(four_eyes_deny(st, b, "alice", NOW + 1), ST_OK);
	assert_int_equal(four_eyes_claim(st, a, "dave", NOW + 2), ST_OK);
	assert_int_equal(store_commit(st), ST_OK);
	assert_int_equal(four_eyes_get(st, b, r), ST_OK);
	assert_int_equal(r->state, FE_STATE_DENIED);
	assert_string_equal(r->decided_by, "alice");
	assert_int_equal(r->decided, NOW + 1);
	assert_int_equal(four_eyes_get(st, a, r), ST_OK);
	assert_int_equal(r->state, FE_STATE_DONE);
	assert_string_equal(r->decided_by, "dave");
	free(r);

	/* a decided request is decided for good */
	assert_int_equal(store_begin(st), ST_OK);
	assert_int_equal(four_eyes_deny(st, a, "erin", NOW + 3), ST_NOTFOUND);
	assert_int_equal(four_eyes_claim(st, b, "erin", NOW + 3), ST_NOTFOUND);
	store_rollback(st);

	unsigned pending = 0, all = 0;
	assert_int_equal(four_eyes_foreach(st, false, count_one, &pending), ST_OK);
	assert_int_equal(four_eyes_foreach(st, true, count_one, &all), ST_OK);
	assert_int_equal(pending, 0);
	assert_int_equal(all, 2);
	assert_string_equal(four_eyes_state_name(FE_STATE_EXPIRED), "expired");
}

static void approved_exactly_once(void **state)
{
	struct store *st = *state;
	long long id = add(st, "alice", "bob", NOW);

	/* the requester cannot claim her own request */
	assert_int_equal(store_begin(st), ST_OK);
	assert_int_equal(four_eyes_claim(st, id, "alice", NOW + 1), ST_NOTFOUND);
	store_rollback(st);

	/* a claim rolled back with its action leaves the request pending */
	assert_int_equal(store_begin(st), ST_OK);
	assert_int_equal(four_eyes_claim(st, id, "dave", NOW + 1), ST_OK);
	store_rollback(st);
	assert_int_equal(fe_fixture_state(st, id), FE_STATE_PENDING);

	/* two approvers on two connections: the second finds it done */
	struct store *other = NULL;
	struct sosafe_err err = { "" };
	assert_int_equal(store_open(&other, dir, 0, 2000, &err), ST_OK);
	assert_int_equal(store_begin(st), ST_OK);
	assert_int_equal(four_eyes_claim(st, id, "dave", NOW + 2), ST_OK);
	assert_int_equal(four_eyes_claim(st, id, "dave", NOW + 2), ST_NOTFOUND);
	assert_int_equal(store_commit(st), ST_OK);
	assert_int_equal(store_begin(other), ST_OK);
	assert_int_equal(four_eyes_claim(other, id, "erin", NOW + 3), ST_NOTFOUND);
	store_rollback(other);
	store_close(other);
	assert_int_equal(fe_fixture_state(st, id), FE_STATE_DONE);
}

struct seen {
	unsigned n;
	long long last_id;
	int fail;
};

static int note_expiry(const struct four_eyes_request *r, void *ctx)
{
	struct seen *s = ctx;
	assert_int_equal(r->state, FE_STATE_PENDING);   /* reported before it is marked */
	assert_string_equal(r->requester, "alice");
	s->n++;
	s->last_id = r->id;
	return s->fail;
}

static void expiry(void **state)
{
	struct store *st = *state;
	long long old = add(st, "alice", "bob", NOW - TTL - 10);
	long long fresh = add(st, "alice", "carol", NOW);

	/* an expired request cannot be claimed, even before the sweep */
	assert_int_equal(store_begin(st), ST_OK);
	assert_int_equal(four_eyes_claim(st, old, "dave", NOW), ST_NOTFOUND);
	store_rollback(st);

	/* if the record of an expiry fails, nothing is marked */
	struct seen s = { .fail = 1 };
	assert_int_equal(store_begin(st), ST_OK);
	assert_int_not_equal(four_eyes_expire(st, NOW, note_expiry, &s), ST_OK);
	store_rollback(st);
	assert_int_equal(s.n, 1);
	assert_int_equal(fe_fixture_state(st, old), FE_STATE_PENDING);

	s = (struct seen){ 0 };
	assert_int_equal(store_begin(st), ST_OK);
	assert_int_equal(four_eyes_expire(st, NOW, note_expiry, &s), ST_OK);
	assert_int_equal(store_commit(st), ST_OK);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.last_id, old);
	assert_int_equal(fe_fixture_state(st, old), FE_STATE_EXPIRED);
	assert_int_equal(fe_fixture_state(st, fresh), FE_STATE_PENDING);

	/* the expiry is the deadline: at NOW + TTL the fresh one is over */
	s = (struct seen){ 0 };
	assert_int_equal(store_begin(st), ST_OK);
	assert_int_equal(four_eyes_expire(st, NOW + TTL, note_expiry, &s), ST_OK);
	assert_int_equal(store_commit(st), ST_OK);
	assert_int_equal(s.n, 1);
	assert_int_equal(fe_fixture_state(st, fresh), FE_STATE_EXPIRED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(lifecycle, setup, teardown),
		cmocka_unit_test_setup_teardown(approved_exactly_once, setup, teardown),
		cmocka_unit_test_setup_teardown(expiry, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
