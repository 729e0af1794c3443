/* An admin action commits its change only together with its audit record
 * and, under `approve`, the claim of its four-eyes request: when either
 * fails, the change is rolled back (fail closed). */
#include <config.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "action.h"
#include "audit/audit.h"
#include "store/lockout_store.h"
#include "four_eyes_fixture.h"
#include "store/lockout_store.h"
#include "tmp_store.h"

static char dir[64];
static struct cli cli;

static int setup(void **state)
{
	struct store *s;
	if (tmp_store_open(dir, sizeof(dir), "action", &s))
		return -1;
	memset(&cli, 0, sizeof(cli));
	config_defaults(&cli.cfg);
	snprintf(cli.cfg.state_dir, sizeof(cli.cfg.state_dir), "%s", dir);
	cli.admin = "dave";
	cli.log.ident = cli.log.service = "sosafectl";
	*state = s;
	return 0;
}

static int teardown(void **state)
{
	return tmp_store_remove(*state, dir);
}

/* The change of the tests: one failure in bob's tally. */
static enum store_status count_failure(struct store *st, struct action *a)
{
	struct tally t;
	enum store_status s = store_tally_get(st, a->user, &t);
	if (s != ST_OK && s != ST_NOTFOUND)
		return s;
	t.attempts++;
	snprintf(a->detail, sizeof(a->detail), "attempts=%lld", (long long)t.attempts);
	return store_tally_put(st, a->user, &t);
}

static enum store_status nothing_to_do(struct store *st, struct action *a)
{
	(void)st;
	(void)a;
	return ST_NOTFOUND;
}

static int64_t attempts(struct store *st)
{
	struct tally t;
	enum store_status s = store_tally_get(st, "bob", &t);
	assert_true(s == ST_OK || s == ST_NOTFOUND);
	return s == ST_OK ? t.attempts : 0;
}

static struct action bob_action(void)
{
	return (struct action){ .event = "test", .user = "bob", .change = count_failure,
				.refused = "test refused" };
}

static void committed_with_record(void **state)
{
	struct store *st = *state;
	struct action a = bob_action();
	assert_int_equal(action_run(&cli, st, &a), ACTION_DONE);
	assert_int_equal(attempts(st), 1);
	assert_string_equal(a.detail, "attempts=1");

	struct action none = { .event = "test", .user = "bob", .change = nothing_to_do };
	assert_int_equal(action_run(&cli, st, &none), ACTION_UNCHANGED);
	assert_int_equal(action_exit(ACTION_UNCHANGED), EXIT_OK);
}

static void no_record_no_change(void **state)
{
	struct store *st = *state;
	struct action a = bob_action();
	assert_int_equal(action_run(&cli, st, &a), ACTION_DONE);
	/* an unusable audit key: the record cannot be written */
	char path[128];
	snprintf(path, sizeof(path), "%s/%s", dir, AUDIT_KEY_FILE);
	int fd = open(path, O_WRONLY | O_TRUNC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "short", 5), 5);
	close(fd);
	a = bob_action();
	assert_int_equal(action_run(&cli, st, &a), ACTION_REFUSED);
	assert_int_equal(action_exit(ACTION_REFUSED), EXIT_FAIL);
	assert_int_equal(attempts(st), 1);
}

static long long request(struct store *st, const char *requester, int64_t expires)
{
	return fe_fixture_add(st, requester, "bob", time(NULL), expires);
}

/* Run bob_action as `approve ID` would. */
static enum action_result approve(struct store *st, long long id)
{
	cli.fe_request = id;
	cli.fe_requester = "alice";
	cli.fe_target = "bob";
	cli.fe_line = "unlock bob";
	cli.fe_claimed = false;
	struct action a = bob_action();
	enum action_result r = action_run(&cli, st, &a);
	cli.fe_request = 0;
	return r;
}

static void approval_claimed_once(void **state)
{
	struct store *st = *state;
	long long id = request(st, "alice", time(NULL) + 3600);
	assert_int_equal(approve(st, id), ACTION_DONE);
	assert_int_equal(fe_fixture_state(st, id), FE_STATE_DONE);
	assert_int_equal(attempts(st), 1);
	/* the second approval finds it done and changes nothing */
	assert_int_equal(approve(st, id), ACTION_REFUSED);
	assert_int_equal(attempts(st), 1);

	/* an expired request, or one's own, is no approval either */
	long long old = request(st, "alice", time(NULL) - 1), own = request(st, "dave", time(NULL) + 3600);
	assert_int_equal(approve(st, old), ACTION_REFUSED);
	assert_int_equal(approve(st, own), ACTION_REFUSED);
	assert_int_equal(fe_fixture_state(st, old), FE_STATE_PENDING);
	assert_int_equal(fe_fixture_state(st, own), FE_STATE_PENDING);
	assert_int_equal(attempts(st), 1);
}

/* An action that writes its own record: the claim comes first, and a
 * failing record takes the claim back with it. */
static int own_record(struct store *st, struct action *a)
{
	(void)st;
	int *calls = a->ctx;
	(*calls)++;
	return cli.fe_claimed ? 0 : -1;
}

static int failing_record(struct store *st, struct action *a)
{
	(void)st;
	(void)a;
	return -1;
}

static enum action_result approve_own_record(struct store *st, long long id,
					     int (*record)(struct store *, struct action *), int *calls)
{
	cli.fe_request = id;
	cli.fe_requester = "alice";
	cli.fe_target = "bob";
	cli.fe_line = "audit prune";
	cli.fe_claimed = false;
	struct action a = { .record = record, .ctx = calls, .refused = "test refused" };
	enum action_result r = action_run(&cli, st, &a);
	cli.fe_request = 0;
	return r;
}

static void own_record_after_claim(void **state)
{
	struct store *st = *state;
	int calls = 0;
	long long failing = request(st, "alice", time(NULL) + 3600);
	assert_int_equal(approve_own_record(st, failing, failing_record, &calls), ACTION_REFUSED);
	assert_int_equal(fe_fixture_state(st, failing), FE_STATE_PENDING);

	long long id = request(st, "alice", time(NULL) + 3600);
	assert_int_equal(approve_own_record(st, id, own_record, &calls), ACTION_DONE);
	assert_int_equal(calls, 1);
	assert_int_equal(fe_fixture_state(st, id), FE_STATE_DONE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(committed_with_record, setup, teardown),
		cmocka_unit_test_setup_teardown(no_record_no_change, setup, teardown),
		cmocka_unit_test_setup_teardown(approval_claimed_once, setup, teardown),
		cmocka_unit_test_setup_teardown(own_record_after_claim, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
