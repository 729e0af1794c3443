/* Four-eyes requests for unit tests: add a committed pending request and
 * read back a request's state (cmocka asserts on any store error). */
#ifndef SOSAFE_TEST_FOUR_EYES_FIXTURE_H
#define SOSAFE_TEST_FOUR_EYES_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>

#include "store/four_eyes_store.h"

/* "unlock TARGET" requested by REQUESTER at CREATED, open until EXPIRES. */
static inline long long fe_fixture_add(struct store *st, const char *requester, const char *target,
				       int64_t created, int64_t expires)
{
	struct four_eyes_request *r = calloc(1, sizeof(*r));
	assert_non_null(r);
	snprintf(r->action, sizeof(r->action), "unlock");
	snprintf(r->args, sizeof(r->args), "unlock%c%s", FOUR_EYES_SEP, target);
	snprintf(r->target, sizeof(r->target), "%s", target);
	snprintf(r->requester, sizeof(r->requester), "%s", requester);
	snprintf(r->requester_login, sizeof(r->requester_login), "%s-login", requester);
	r->created = created;
	r->expires = expires;
	long long id = 0;
	assert_int_equal(store_begin(st), ST_OK);
	assert_int_equal(four_eyes_add(st, r, &id), ST_OK);
	assert_int_equal(store_commit(st), ST_OK);
	free(r);
	assert_true(id > 0);
	return id;
}

static inline enum four_eyes_state fe_fixture_state(struct store *st, long long id)
{
	struct four_eyes_request *r = calloc(1, sizeof(*r));
	assert_non_null(r);
	assert_int_equal(four_eyes_get(st, id, r), ST_OK);
	enum four_eyes_state s = r->state;
	free(r);
	return s;
}

#endif
