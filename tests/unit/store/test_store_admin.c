/* Store administration: every per-user table of the schema registry is
 * covered by purge, the user walk and per-user restore; backups verify and
 * restore whole; the integrity check says "ok". */
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
#include <unistd.h>

#include "store/lockout_store.h"
#include "store/store.h"
#include "store/store_sql.h"
#include "tmp_store.h"

static char dir[64];

static int setup(void **state)
{
	struct store *s;
	if (tmp_store_open(dir, sizeof(dir), "store-admin", &s))
		return -1;
	*state = s;
	return 0;
}

static int teardown(void **state)
{
	return tmp_store_remove(*state, dir);
}

static void exec_ok(struct store *st, const char *sql)
{
	assert_int_equal(sqlite3_exec(store_db(st), sql, NULL, NULL, NULL), SQLITE_OK);
}

static long count(struct store *st, const char *sql)
{
	sqlite3_stmt *q = NULL;
	long n = -1;
	assert_int_equal(sqlite3_prepare_v2(store_db(st), sql, -1, &q, NULL), SQLITE_OK);
	if (sqlite3_step(q) == SQLITE_ROW)
		n = (long)sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	return n;
}

/* USER gets a row in every per-user table of every schema part. */
static void rows_everywhere(struct store *st, const char *user, int uid)
{
	char sql[1024];
	snprintf(sql, sizeof(sql),
		 "INSERT INTO tally (user) VALUES ('%1$s');"
		 "INSERT INTO otp (user, secret, algorithm, digits, period, enrolled_at)"
		 " VALUES ('%1$s', x'00', 1, 6, 30, 1);"
		 "INSERT INTO otp_recovery (user, id, hash, created_at) VALUES ('%1$s', 'a', 'h', 1);"
		 "INSERT INTO otp_enroll_window (user, deadline) VALUES ('%1$s', 5);"
		 "INSERT INTO dir_user (user, uid, gid, first_seen) VALUES ('%1$s', %2$d, %2$d, 1);"
		 "INSERT INTO review VALUES ('%1$s', 1, 'dave')",
		 user, uid);
	exec_ok(st, sql);
}

/* Rows of USER in every per-user table. */
static long rows_of(struct store *st, const char *user)
{
	static const char *const tables[] = { "tally", "otp", "otp_recovery", "otp_enroll_window",
					      "dir_user", "review" };
	long n = 0;
	for (unsigned i = 0; i < 6; i++) {
		char sql[128];
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s WHERE user = '%s'", tables[i], user);
		n += count(st, sql);
	}
	return n;
}

static void delete_user_covers_every_part(void **state)
{
	struct store *st = *state;
	rows_everywhere(st, "alice", 2001);
	rows_everywhere(st, "bob", 2002);
	long rows = 0;
	assert_int_equal(store_begin(st), ST_OK);
	assert_int_equal(store_delete_user(st, "alice", &rows), ST_OK);
	assert_int_equal(store_commit(st), ST_OK);
	assert_int_equal(rows, 6);
	assert_int_equal(rows_of(st, "alice"), 0);
	assert_int_equal(rows_of(st, "bob"), 6);
}

struct names {
	char v[8][16];
	unsigned n;
};

static int collect(const char *user, void *ctx)
{
	struct names *nm = ctx;
	snprintf(nm->v[nm->n++], sizeof(nm->v[0]), "%s", user);
	return nm->n == 8;
}

static void foreach_user_walks_every_table_once(void **state)
{
	struct store *st = *state;
	rows_everywhere(st, "carol", 2003);
	exec_ok(st, "INSERT INTO tally (user) VALUES ('alice');"
		    "INSERT INTO review VALUES ('bob', 1, 'dave');"
		    "INSERT INTO otp_enroll_window (user, deadline) VALUES ('dora', 1)");
	struct names nm = { .n = 0 };
	assert_int_equal(store_foreach_user(st, collect, &nm), ST_OK);
	assert_int_equal(nm.n, 4);
	assert_string_equal(nm.v[0], "alice");
	assert_string_equal(nm.v[1], "bob");
	assert_string_equal(nm.v[2], "carol");
	assert_string_equal(nm.v[3], "dora");
}

static void backup_verify_restore(void **state)
{
	struct store *st = *state;
	char bak[128];
	struct sosafe_err err = { "" };
	snprintf(bak, sizeof(bak), "%s/backup.db", dir);
	rows_everywhere(st, "alice", 2001);
	rows_everywhere(st, "bob", 2002);
	assert_int_equal(store_backup(st, bak), ST_OK);
	assert_int_equal(store_backup(st, bak), ST_ERROR);   /* never overwrites */
	assert_non_null(strstr(store_error(st), "cannot create backup"));
	assert_int_equal(store_verify_file(bak, &err), ST_OK);
	/* per user: only alice comes back */
	long rows = 0;
	assert_int_equal(store_begin(st), ST_OK);
	assert_int_equal(store_delete_user(st, "alice", &rows), ST_OK);
	assert_int_equal(store_delete_user(st, "bob", &rows), ST_OK);
	assert_int_equal(store_commit(st), ST_OK);
	assert_int_equal(store_restore(st, bak, "alice", &rows), ST_OK);
	assert_int_equal(rows, 6);
	assert_int_equal(rows_of(st, "alice"), 6);
	assert_int_equal(rows_of(st, "bob"), 0);
	/* whole: bob too */
	assert_int_equal(store_restore(st, bak, NULL, &rows), ST_OK);
	assert_int_equal(rows, -1);
	assert_int_equal(rows_of(st, "bob"), 6);
	assert_int_equal(store_check(st, &err), ST_OK);
	assert_string_equal(err.msg, "ok");
	/* the connection and its cached statements keep working */
	assert_int_equal(store_begin(st), ST_OK);
	assert_int_equal(store_delete_user(st, "bob", &rows), ST_OK);
	assert_int_equal(store_commit(st), ST_OK);
	assert_int_equal(rows, 6);
}

/* A backup taken before a column (or a table) was added still restores
 * one user: the missing column takes its default. */
static void restore_user_from_older_backup(void **state)
{
	struct store *st = *state;
	char bak[128];
	snprintf(bak, sizeof(bak), "%s/old.db", dir);
	exec_ok(st, "INSERT INTO tally (user, attempts, lock_refused) VALUES ('alice', 5, 2)");
	assert_int_equal(store_backup(st, bak), ST_OK);
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open(bak, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "ALTER TABLE tally DROP COLUMN lock_refused;"
					  "DROP TABLE code_tally", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	exec_ok(st, "UPDATE tally SET attempts = 9 WHERE user = 'alice'");
	long rows = 0;
	assert_int_equal(store_restore(st, bak, "alice", &rows), ST_OK);
	assert_int_equal(rows, 1);
	struct tally t;
	assert_int_equal(store_tally_get(st, "alice", &t), ST_OK);
	assert_int_equal(t.attempts, 5);
	assert_int_equal(t.lock_refused, 0);
}

static void verify_file_refuses_garbage(void **state)
{
	char path[128];
	struct sosafe_err err = { "" };
	snprintf(path, sizeof(path), "%s/garbage.db", dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	for (int i = 0; i < 512; i++)
		fputs("not a database ", f);
	fclose(f);
	assert_int_equal(store_verify_file(path, &err), ST_CORRUPT);
	assert_non_null(strstr(err.msg, "not a readable sosafe store"));
	/* a valid SQLite file without our schema record */
	snprintf(path, sizeof(path), "%s/other.db", dir);
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "CREATE TABLE t (x)", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(store_verify_file(path, &err), ST_CORRUPT);
	assert_non_null(strstr(err.msg, "no schema record"));
	struct store *st = *state;
	long rows = 0;
	assert_int_equal(store_restore(st, path, NULL, &rows), ST_CORRUPT);
	assert_non_null(strstr(store_error(st), "no schema record"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(delete_user_covers_every_part, setup, teardown),
		cmocka_unit_test_setup_teardown(foreach_user_walks_every_table_once, setup, teardown),
		cmocka_unit_test_setup_teardown(backup_verify_restore, setup, teardown),
		cmocka_unit_test_setup_teardown(restore_user_from_older_backup, setup, teardown),
		cmocka_unit_test_setup_teardown(verify_file_refuses_garbage, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
