/* One bad record does not stop the sync: a record with an unsafe shell or
 * home, a local account's name, a changed uid is quarantined (noted, left
 * out, its row and snapshot entry as they were: fields and groups from the
 * snapshot before) and everyone else is published; a deactivation in the
 * directory still applies to a quarantined record. */
#include <config.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "base/util.h"
#include "directory/directory.h"
#include "snapshot/snapshot.h"

#include "sync_run.h"

#define T0 1700000000LL

static struct dir_fixture fx;
static struct sosafe_config cfg;
static struct store *st;

static int setup(void **state)
{
	(void)state;
	return dir_fixture_open(&fx, "held", "root:x:0:0:root:/root:/bin/sh\n"
				"localuser:x:1000:1000::/home/l:/bin/sh\n",
				"root:x:0:\nlocaluser:x:1000:\n", &cfg, &st);
}

static int teardown(void **state)
{
	(void)state;
	return dir_fixture_close(&fx, st);
}

/* Sync JSON at day DAYNO; the quarantined users, space-separated, in HELD. */
static void sync_day(const char *json, int dayno, char *held, size_t len)
{
	struct sync_result r;
	struct sosafe_err err;
	if (sync_run(&fx, st, &cfg, json, T0 + (int64_t)dayno * SOSAFE_DAY, &r, &err))
		fail_msg("day %d refused: %s", dayno, err.msg);
	held[0] = 0;
	for (size_t i = 0; i < r.nchanges; i++)
		if (!strcmp(r.changes[i].what, "quarantined"))
			snprintf(held + strlen(held), len - strlen(held), "%s%s",
				 held[0] ? " " : "", r.changes[i].user);
	sync_result_free(&r);
}

static bool ops_has(const char *name)
{
	char path[4200];
	struct snap s;
	struct snap_gr gr;
	snprintf(path, sizeof(path), "%s/%s", cfg.state_dir, SNAP_PASSWD_FILE);
	assert_int_equal(snap_open(&s, path, SNAP_KIND_PASSWD, NULL), SNAP_OK);
	assert_int_equal(snap_gr_by_name(&s, "ops", &gr), SNAP_OK);
	bool found = false;
	const char *m = (const char *)gr.mem;
	for (uint32_t k = 0; k < gr.nmem && !found; k++, m += strlen(m) + 1)
		found = !strcmp(m, name);
	snap_close(&s);
	return found;
}

static void test_one_bad_record(void **state)
{
	(void)state;
	char held[256], shell[64];
	bool deact = true;
	sync_day("{\"users\":[{\"name\":\"ann\",\"uid\":5001,\"shell\":\"/bin/zsh\","
		 "\"groups\":[\"sosafe-users\",\"ops\"]},"
		 "{\"name\":\"bob\",\"groups\":[\"sosafe-users\"]},"
		 "{\"name\":\"carl\",\"uid\":5003,\"groups\":[\"sosafe-users\"]}],"
		 "\"groups\":[{\"name\":\"ops\",\"gid\":300001}]}", 0, held, sizeof(held));
	assert_string_equal(held, "");
	assert_true(ops_has("ann"));

	sync_day("{\"users\":[{\"name\":\"ann\",\"uid\":5001,\"shell\":\"/bin/sh\\u001b[8m\","
		 "\"groups\":[\"sosafe-users\"]},\n"
		 "{\"name\":\"bob\",\"groups\":[\"sosafe-users\"]},\n"
		 "{\"name\":\"carl\",\"uid\":5999,\"groups\":[\"sosafe-users\"]},\n"
		 "{\"name\":\"localuser\",\"groups\":[\"sosafe-users\"]},\n"
		 "{\"name\":\"dave\",\"home\":\"/home/d:0\",\"groups\":[\"sosafe-users\"]},\n"
		 "{\"name\":\"erin\",\"groups\":[\"sosafe-users\"]}],"
		 "\"groups\":[{\"name\":\"ops\",\"gid\":300001}]}", 1, held, sizeof(held));
	assert_string_equal(held, "ann carl localuser dave");
	/* the rest is published */
	assert_true(snap_user(&cfg, "erin", &deact, NULL, 0) > 0);
	assert_false(deact);
	assert_true(snap_user(&cfg, "bob", &deact, NULL, 0) > 0);
	/* quarantined: as before, nothing of the bad record shows */
	assert_int_equal(snap_user(&cfg, "ann", &deact, shell, sizeof(shell)), 5001);
	assert_false(deact);
	assert_string_equal(shell, "/bin/zsh");
	assert_true(ops_has("ann"));
	assert_int_equal(snap_user(&cfg, "carl", &deact, NULL, 0), 5003);
	assert_false(deact);
	assert_int_equal(snap_user(&cfg, "localuser", NULL, NULL, 0), -1);
	assert_int_equal(snap_user(&cfg, "dave", NULL, NULL, 0), -1);

	/* disabled in the directory: deactivated whatever else the record holds */
	sync_day("{\"users\":[{\"name\":\"ann\",\"enabled\":false,\"shell\":\"/bin/sh\\u001b[8m\","
		 "\"groups\":[\"sosafe-users\"]},"
		 "{\"name\":\"bob\",\"groups\":[\"sosafe-users\"]},"
		 "{\"name\":\"carl\",\"uid\":5003,\"groups\":[\"sosafe-users\"]},"
		 "{\"name\":\"erin\",\"groups\":[\"sosafe-users\"]}]}", 2, held, sizeof(held));
	assert_string_equal(held, "ann");
	assert_int_equal(snap_user(&cfg, "ann", &deact, NULL, 0), 5001);
	assert_true(deact);
	assert_int_equal(snap_user(&cfg, "carl", &deact, NULL, 0), 5003);
	assert_false(deact);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_bad_record),
	};
	return cmocka_run_group_tests_name("directory quarantine", tests, setup, teardown);
}
