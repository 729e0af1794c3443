/* Stable identity in the lifecycle: an account whose name changes but whose
 * directory id (sosafeStableId, written by the LDAP pull from objectSid /
 * objectGUID / entryUUID) does not is renamed in every per-user table, not
 * deactivated and re-created; chains resolve, swaps are refused, another
 * account taking a name gets none of the old data. Clock injected. */
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
#include <sqlite3.h>

#include "base/conf.h"
#include "base/util.h"
#include "directory/directory.h"
#include "store/otp_store.h"
#include "store/store.h"
#include "store/store_sql.h"

#include "sync_run.h"

#define T0 1700000000LL

static struct dir_fixture fx;
static struct sosafe_config cfg;
static struct store *st;

static int setup(void **state)
{
	(void)state;
	return dir_fixture_open(&fx, "rename", "root:x:0:0:root:/root:/bin/sh\n", "root:x:0:\n",
				&cfg, &st);
}

static int teardown(void **state)
{
	(void)state;
	return dir_fixture_close(&fx, st);
}

/* LDIF of "name:id name:id ..." (id "-" = none), every user entitled */
static char *ldif(const char *spec)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	fprintf(f, "dn: CN=sosafe-users,OU=groups,DC=x\nobjectClass: group\n"
		   "sAMAccountName: sosafe-users\n\n");
	char *copy = strdup(spec), *save = NULL;
	for (char *t = strtok_r(copy, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
		char *id = strchr(t, ':');
		*id++ = 0;
		fprintf(f, "dn: CN=%s,OU=people,DC=x\nobjectClass: user\nsAMAccountName: %s\n"
			   "userAccountControl: 512\nmemberOf: CN=sosafe-users,OU=groups,DC=x\n", t, t);
		if (strcmp(id, "-"))
			fprintf(f, "sosafeStableId: %s\n", id);
		fputc('\n', f);
	}
	free(copy);
	fclose(f);
	return out;
}

/* sync SPEC at day DAYNO into R; returns 0 or -1 + ERR */
static int sync_at(const char *spec, int dayno, struct sync_result *r, struct sosafe_err *e)
{
	char *text = ldif(spec);
	int rc = sync_run(&fx, st, &cfg, text, T0 + (int64_t)dayno * SOSAFE_DAY, r, e);
	free(text);
	return rc;
}

/* sync that must succeed; returns the changes as "what:user,..." */
static const char *must_sync(const char *spec, int dayno)
{
	static char buf[2048];
	struct sync_result r;
	struct sosafe_err err;
	if (sync_at(spec, dayno, &r, &err))
		fail_msg("sync '%s': %s", spec, err.msg);
	buf[0] = 0;
	for (size_t i = 0; i < r.nchanges; i++) {
		size_t n = strlen(buf);
		snprintf(buf + n, sizeof(buf) - n, "%s%s:%s", n ? "," : "", r.changes[i].what,
			 r.changes[i].user);
	}
	sync_result_free(&r);
	return buf;
}

static long long sql_ll(const char *sql, const char *arg)
{
	sqlite3_stmt *q;
	assert_int_equal(sqlite3_prepare_v2(store_db(st), sql, -1, &q, NULL), SQLITE_OK);
	if (arg)
		sqlite3_bind_text(q, 1, arg, -1, SQLITE_TRANSIENT);
	long long v = -1;
	if (sqlite3_step(q) == SQLITE_ROW)
		v = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	return v;
}

static void sql(const char *s)
{
	char *e = NULL;
	if (sqlite3_exec(store_db(st), s, NULL, NULL, &e) != SQLITE_OK)
		fail_msg("%s: %s", s, e);
}

static long long uid_of(const char *user)
{
	return sql_ll("SELECT uid FROM dir_user WHERE user = ?", user);
}

static long long deact_of(const char *user)
{
	return sql_ll("SELECT deactivated_at FROM dir_user WHERE user = ?", user);
}

static void test_rename_moves_everything(void **state)
{
	(void)state;
	assert_string_equal(must_sync("ann:objectsid:S-1-5-21-9-1 bo:objectsid:S-1-5-21-9-2", 0),
			    "new:ann,new:bo");
	long long ua = uid_of("ann");
	assert_true(ua > 0);
	/* her TOTP secret, recovery code, lockout tally; a stale tally row of
	 * the name she will get (failed attempts of an unknown user) */
	struct otp_record r = { .secret_len = 20, .params = { TOTP_SHA1, 6, 30 }, .last_step = -1 };
	memcpy(r.secret, "12345678901234567890", 20);
	assert_int_equal(store_begin(st), ST_OK);
	assert_int_equal(otp_put(st, "ann", &r, "test"), ST_OK);
	assert_int_equal(store_commit(st), ST_OK);
	sql("INSERT INTO otp_recovery (user, id, hash, created_at) VALUES ('ann', 'r1', 'h', 1)");
	/* locked (in force), so the idle-row pruning of the sync keeps them */
	sql("INSERT INTO tally (user, attempts, locked_until) VALUES ('ann', 3, 4000000000)");
	sql("INSERT INTO tally (user, attempts, locked_until) VALUES ('anna', 9, 4000000000)");

	assert_string_equal(must_sync("anna:objectsid:S-1-5-21-9-1 bo:objectsid:S-1-5-21-9-2", 1),
			    "renamed:anna");
	assert_int_equal(uid_of("anna"), ua);
	assert_int_equal(uid_of("ann"), -1);
	assert_int_equal(deact_of("anna"), 0);
	assert_int_equal(sql_ll("SELECT count(*) FROM otp WHERE user = ?", "anna"), 1);
	assert_int_equal(sql_ll("SELECT count(*) FROM otp WHERE user = ?", "ann"), 0);
	/* the sealed secret was sealed again for the new name: it opens */
	struct otp_record g;
	assert_int_equal(otp_get(st, "anna", &g), ST_OK);
	assert_memory_equal(g.secret, r.secret, 20);
	otp_record_wipe(&g);
	assert_int_equal(sql_ll("SELECT count(*) FROM otp_recovery WHERE user = ?", "anna"), 1);
	assert_int_equal(sql_ll("SELECT attempts FROM tally WHERE user = ?", "anna"), 3);
	assert_int_equal(sql_ll("SELECT count(*) FROM tally WHERE user = ?", "ann"), 0);
	/* the next sync is quiet */
	assert_string_equal(must_sync("anna:objectsid:S-1-5-21-9-1 bo:objectsid:S-1-5-21-9-2", 2),
			    "");
}

static void test_chain_and_swap(void **state)
{
	(void)state;
	must_sync("xa:uuid:1 ya:uuid:2", 0);
	long long ux = uid_of("xa"), uy = uid_of("ya");
	/* ya -> za must happen before xa -> ya, whatever the export order */
	const char *c = must_sync("ya:uuid:1 za:uuid:2", 1);
	assert_non_null(strstr(c, "renamed:ya"));
	assert_non_null(strstr(c, "renamed:za"));
	assert_null(strstr(c, "new:"));
	assert_null(strstr(c, "deactivated:"));
	assert_int_equal(uid_of("ya"), ux);
	assert_int_equal(uid_of("za"), uy);
	assert_int_equal(uid_of("xa"), -1);
	/* a swap cannot be done in place: both records quarantined, the rest
	 * of the sync goes on and nothing of theirs changes */
	c = must_sync("za:uuid:1 ya:uuid:2 zz:uuid:3", 2);
	assert_non_null(strstr(c, "quarantined:za"));
	assert_non_null(strstr(c, "quarantined:ya"));
	assert_non_null(strstr(c, "new:zz"));
	assert_null(strstr(c, "deactivated:"));
	assert_int_equal(uid_of("ya"), ux);
	assert_int_equal(uid_of("za"), uy);
}

static void test_name_taken_by_another_account(void **state)
{
	(void)state;
	must_sync("pat:guid:aaaa keep:guid:k", 0);
	long long up = uid_of("pat");
	sql("INSERT INTO otp (user, secret, algorithm, digits, period, enrolled_at) "
	    "VALUES ('pat', x'0102', 1, 6, 30, 1)");
	/* same name, other id: the old row is deactivated, not handed over */
	assert_string_equal(must_sync("pat:guid:bbbb keep:guid:k", 1), "deactivated:pat");
	assert_int_equal(uid_of("pat"), up);
	assert_true(deact_of("pat") > 0);
	/* it stays so at the next sync (no re-activation) */
	assert_string_equal(must_sync("pat:guid:bbbb keep:guid:k", 2), "");
	assert_true(deact_of("pat") > 0);
	/* after grace_days the old row is purged; the new account is new */
	const char *c = must_sync("pat:guid:bbbb keep:guid:k", 1 + (int)cfg.grace_days + 1);
	assert_non_null(strstr(c, "purged:pat"));
	assert_non_null(strstr(c, "new:pat"));
	assert_int_not_equal(uid_of("pat"), up);
	assert_int_equal(deact_of("pat"), 0);
	assert_int_equal(sql_ll("SELECT count(*) FROM otp WHERE user = ?", "pat"), 0);
}

static void test_ids_learned_and_rekeyed(void **state)
{
	(void)state;
	/* a row from before stable ids learns its id, then follows a rename */
	must_sync("mo:- keep2:-", 0);
	long long um = uid_of("mo");
	assert_string_equal(must_sync("mo:objectsid:S-1-5-21-7-7 keep2:-", 1), "");
	assert_string_equal(must_sync("moe:objectsid:S-1-5-21-7-7 keep2:-", 2), "renamed:moe");
	assert_int_equal(uid_of("moe"), um);
	/* ldap_attr_id changed to entryUUID: re-keyed, not "another account" */
	assert_string_equal(must_sync("moe:entryuuid:e-1 keep2:-", 3), "");
	assert_int_equal(deact_of("moe"), 0);
	assert_string_equal(must_sync("moe2:entryuuid:e-1 keep2:-", 4), "renamed:moe2");
	assert_int_equal(uid_of("moe2"), um);
}

static void test_duplicate_id_refused(void **state)
{
	(void)state;
	struct sync_result r;
	struct sosafe_err err;
	assert_int_equal(sync_at("d1:same d2:same", 0, &r, &err), -1);
	assert_non_null(strstr(err.msg, "same stable id"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_rename_moves_everything, setup, teardown),
		cmocka_unit_test_setup_teardown(test_chain_and_swap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_name_taken_by_another_account, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ids_learned_and_rekeyed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_duplicate_id_refused, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
