/* Sync and purge with an injected clock: deactivation, re-activation
 * within grace_days (same uid, same state), purge after it (deletion report,
 * uid tombstoned, a new uid on return), refusals (local account
 * collisions, an empty export) that leave the old snapshot in place. */
#include <config.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "base/conf.h"
#include "base/util.h"
#include "directory/directory.h"
#include "lockout/lockout.h"
#include "snapshot/snapshot.h"
#include "store/lockout_store.h"
#include "store/store.h"

#include "sync_run.h"

#define T0 1700000000LL

static struct dir_fixture fx;
static struct sosafe_config cfg;
static struct store *st;

static int setup(void **state)
{
	(void)state;
	return dir_fixture_open(&fx, "life",
				"root:x:0:0:root:/root:/bin/sh\nlocaluser:x:1000:1000::/home/l:/bin/sh\n"
				"highlocal:x:200005:200005::/home/h:/bin/sh\n",
				"root:x:0:\nsudo:x:27:localuser\nlocaluser:x:1000:\n", &cfg, &st);
}

static int teardown(void **state)
{
	(void)state;
	return dir_fixture_close(&fx, st);
}

/* sync a JSON export at day DAYNO; returns 0 or -1 with ERR */
static int sync_at(const char *json, int dayno, struct sync_result *r, struct sosafe_err *e)
{
	return sync_run(&fx, st, &cfg, json, T0 + (int64_t)dayno * SOSAFE_DAY, r, e);
}

static void must_sync(const char *json, int dayno)
{
	struct sync_result r;
	struct sosafe_err err;
	if (sync_at(json, dayno, &r, &err))
		fail_msg("sync day %d: %s", dayno, err.msg);
	if (getenv("LIFECYCLE_DEBUG"))
		for (size_t i = 0; i < r.nchanges; i++)
			fprintf(stderr, "day %d: %s %s %s\n", dayno, r.changes[i].what,
				r.changes[i].user, r.changes[i].why);
	sync_result_free(&r);
}

static const char *export(bool alice_enabled, bool alice_member)
{
	static char buf[1024];
	snprintf(buf, sizeof(buf),
		 "{\"users\":[{\"name\":\"alice\",\"enabled\":%s,\"groups\":[%s]},"
		 "{\"name\":\"bob\",\"enabled\":true,\"groups\":[\"sosafe-users\"]}],"
		 "\"groups\":[{\"name\":\"sosafe-users\",\"gid\":300000}]}",
		 alice_enabled ? "true" : "false", alice_member ? "\"sosafe-users\"" : "");
	return buf;
}

/* What the snapshot says about NAME: -1 absent, else the uid; *DEACT. */
static long long snap_uid(const char *name, bool *deact)
{
	long long uid = snap_user(&cfg, name, deact, NULL, 0);
	assert_true(uid >= -1);
	return uid;
}

static uint64_t snap_serial(void)
{
	char path[400];
	struct snap s;
	snprintf(path, sizeof(path), "%s/%s", cfg.state_dir, SNAP_PASSWD_FILE);
	assert_int_equal(snap_open(&s, path, SNAP_KIND_PASSWD, NULL), SNAP_OK);
	uint64_t v = s.hdr.serial;
	snap_close(&s);
	return v;
}

struct rep {
	int n;
	struct deletion_row last;
};
static int count_rows(const struct deletion_row *row, void *ctx)
{
	struct rep *r = ctx;
	r->n++;
	r->last = *row;
	return 0;
}

static void test_lifecycle(void **state)
{
	bool deact;
	/* day 0: alice and bob active */
	must_sync(export(true, true), 0);
	long long uid = snap_uid("alice", &deact);
	assert_true(uid >= cfg.uid_min && uid <= cfg.uid_max);
	assert_false(deact);
	assert_int_not_equal(uid, 200005);   /* a local uid is skipped */
	/* alice has state: a tally row (as TOTP and counters would be) */
	struct tally t = { .attempts = 7, .last_success = T0 + 10 };
	assert_int_equal(store_tally_put(st, "alice", &t), ST_OK);

	/* day 1: disabled in AD -> deactivated, still resolvable, sp_expire = 1 */
	must_sync(export(false, true), 1);
	assert_int_equal(snap_uid("alice", &deact), uid);
	assert_true(deact);
	/* day 2: enabled again but no longer in the entitled group: still off */
	must_sync(export(true, false), 2);
	assert_int_equal(snap_uid("alice", &deact), uid);
	assert_true(deact);

	/* day 1 + 29: re-activated -> same uid, same state */
	must_sync(export(true, true), 30);
	assert_int_equal(snap_uid("alice", &deact), uid);
	assert_false(deact);
	struct tally t2;
	assert_int_equal(store_tally_get(st, "alice", &t2), ST_OK);
	assert_int_equal(t2.attempts, 7);

	/* deactivated again on day 31; day 31 + 30 is still within grace */
	must_sync(export(false, true), 31);
	must_sync(export(false, true), 61);
	assert_int_equal(snap_uid("alice", NULL), uid);
	struct rep rep = { 0 };
	assert_int_equal(dir_report_foreach(st, count_rows, &rep), ST_OK);
	assert_int_equal(rep.n, 0);

	/* day 31 + 31: purged - gone from the snapshot, state deleted, report */
	struct sync_result r;
	struct sosafe_err err;
	assert_int_equal(sync_at(export(false, true), 62, &r, &err), 0);
	bool purged = false;
	for (size_t i = 0; i < r.nchanges; i++)
		purged |= !strcmp(r.changes[i].user, "alice") && !strcmp(r.changes[i].what, "purged");
	assert_true(purged);
	sync_result_free(&r);
	assert_int_equal(snap_uid("alice", NULL), -1);
	assert_int_equal(store_tally_get(st, "alice", &t2), ST_NOTFOUND);
	struct dir_state ds;
	assert_int_equal(dir_user_get(st, "alice", &ds), ST_NOTFOUND);
	assert_int_equal(dir_report_foreach(st, count_rows, &rep), ST_OK);
	assert_int_equal(rep.n, 1);
	assert_string_equal(rep.last.user, "alice");
	assert_int_equal(rep.last.uid, uid);
	assert_int_equal(rep.last.purged_at, T0 + 62 * SOSAFE_DAY);
	assert_int_equal(rep.last.deactivated_at, T0 + 31 * SOSAFE_DAY);
	assert_true(rep.last.records >= 2);   /* tally + lifecycle row */
	assert_non_null(strstr(rep.last.rule, "grace_days=30"));
	assert_true(dir_uid_tombstoned(st, uid));

	/* day 63: alice returns -> a new uid, none of the old data */
	must_sync(export(true, true), 63);
	long long uid2 = snap_uid("alice", &deact);
	assert_true(uid2 > 0);
	assert_int_not_equal(uid2, uid);
	assert_false(deact);
	assert_int_equal(store_tally_get(st, "alice", &t2), ST_NOTFOUND);
	/* bob was never touched */
	assert_false(snap_uid("bob", &deact) < 0 || deact);

	/* a directory that hands out the tombstoned uid: that record is
	 * quarantined, the rest of the export goes through */
	char json[512];
	snprintf(json, sizeof(json),
		 "{\"users\":[{\"name\":\"zed\",\"uid\":%lld,\"groups\":[\"sosafe-users\"]},"
		 "{\"name\":\"bob\",\"groups\":[\"sosafe-users\"]}]}", uid);
	uint64_t serial = snap_serial();
	assert_int_equal(sync_at(json, 64, &r, &err), 0);
	assert_int_equal(r.nchanges, 2);   /* zed quarantined, alice absent */
	assert_string_equal(r.changes[0].what, "quarantined");
	assert_non_null(strstr(r.changes[0].why, "never reused"));
	sync_result_free(&r);
	assert_int_equal(snap_serial(), serial + 1);
	assert_int_equal(snap_uid("zed", NULL), -1);
	assert_false(snap_uid("bob", &deact) < 0 || deact);
}

static void test_purge_command(void **state)
{
	must_sync(export(true, true), 100);
	long long uid = snap_uid("alice", NULL);
	must_sync(export(false, true), 101);
	struct sync_opts o = { .now = T0 + 120 * SOSAFE_DAY, .admin = "test" };
	struct sync_result r;
	struct sosafe_err err;
	assert_int_equal(directory_purge(st, &cfg, &o, &r, &err), 0);
	assert_int_equal(r.nchanges, 0);   /* within grace */
	sync_result_free(&r);
	assert_int_equal(snap_uid("alice", NULL), uid);
	o.now = T0 + 132 * SOSAFE_DAY;
	assert_int_equal(directory_purge(st, &cfg, &o, &r, &err), 0);
	assert_int_equal(r.nchanges, 1);
	sync_result_free(&r);
	assert_int_equal(snap_uid("alice", NULL), -1);
	assert_true(snap_uid("bob", NULL) > 0);
	assert_true(dir_uid_tombstoned(st, uid));
}

/* Sync TEXT at day 200: one of its changes must be WHAT with WHY. */
static void expect_change(const char *text, const char *what, const char *why)
{
	struct sync_result r;
	struct sosafe_err err;
	if (sync_at(text, 200, &r, &err))
		fail_msg("refused: %s", err.msg);
	bool seen = false;
	for (size_t i = 0; i < r.nchanges && !seen; i++)
		seen = !strcmp(r.changes[i].what, what) && strstr(r.changes[i].why, why);
	if (!seen)
		fail_msg("no '%s' change saying '%s' among %zu", what, why, r.nchanges);
	sync_result_free(&r);
}

/* collisions with local accounts quarantine the record and publish nothing
 * of it; an empty export is refused and changes nothing */
static void test_local_collisions(void **state)
{
	struct sosafe_err err;
	struct sync_result r;
	expect_change("{\"users\":[{\"name\":\"localuser\",\"groups\":[\"sosafe-users\"]}]}",
		   "quarantined", "local passwd");
	expect_change("{\"users\":[{\"name\":\"newbie\",\"uid\":1000,"
		   "\"groups\":[\"sosafe-users\"]}]}", "quarantined", "local account");
	expect_change("{\"users\":[{\"name\":\"newbie\",\"gid\":1000,\"groups\":[\"sosafe-users\"]}]}",
		   "quarantined", "local group");
	assert_int_equal(snap_uid("newbie", NULL), -1);
	assert_int_equal(snap_uid("localuser", NULL), -1);
	uint64_t serial = snap_serial();
	/* a directory group named like a local one is no record: refused */
	assert_int_equal(sync_at("{\"users\":[{\"name\":\"newbie\",\"gid\":27000}],"
				 "\"groups\":[{\"name\":\"sudo\",\"gid\":27000}]}", 200, &r, &err), -1);
	assert_int_equal(snap_serial(), serial);
	assert_int_equal(sync_at("{\"users\":[]}", 200, &r, &err), -1);
	assert_int_equal(snap_serial(), serial);
	/* ...but an account never entitled here is never published: its local
	 * name or uid (an AD service account "backup") does not stop the sync */
	assert_int_equal(sync_at("{\"users\":[{\"name\":\"localuser\",\"uid\":1000},"
				 "{\"name\":\"newbie\",\"groups\":[\"sosafe-users\"]}]}", 200, &r,
				 &err), 0);
	sync_result_free(&r);
	assert_int_equal(snap_uid("localuser", NULL), -1);
	assert_true(snap_uid("newbie", NULL) > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lifecycle),
		cmocka_unit_test(test_purge_command),
		cmocka_unit_test(test_local_collisions),
	};
	return cmocka_run_group_tests_name("directory lifecycle", tests, setup, teardown);
}
