/* The store connection: open (missing, unsafe modes, corrupt, schema
 * versions) and its flags, the per-connection statement cache
 * (reuse, nested use, the cap, bad SQL, bindings and cursors never outlive
 * a release) and transactions. */
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
#include <sys/stat.h>
#include <unistd.h>

#include "store/store.h"
#include "store/store_sql.h"
#include "tmp_store.h"

static char dir[64];

static int setup(void **state)
{
	struct store *s;
	if (tmp_store_open(dir, sizeof(dir), "store", &s))
		return -1;
	*state = s;
	return 0;
}

static int teardown(void **state)
{
	return tmp_store_remove(*state, dir);
}

/* Prepared statements of the connection (cached and in use). */
static unsigned nstatements(struct store *st)
{
	unsigned n = 0;
	for (sqlite3_stmt *q = sqlite3_next_stmt(store_db(st), NULL); q;
	     q = sqlite3_next_stmt(store_db(st), q))
		n++;
	return n;
}

static void put_row(struct store *st, const char *user, int64_t v)
{
	assert_int_equal(sql_run(st, "cannot write", NULL,
				 "INSERT OR REPLACE INTO tally (user, attempts) VALUES (?, ?)",
				 SQL_TEXT(user), SQL_INT(v)),
			 ST_OK);
}

static int synchronous_of(struct store *st)
{
	int64_t v = -1;
	assert_int_equal(sql_int_args(st, "cannot read", &v, "PRAGMA synchronous", NULL, 0), ST_OK);
	return (int)v;
}

/* synchronous is FULL by default and NORMAL only with STORE_SYNC_NORMAL
 * (store_sync_commits = no), for read-write and read-only opens. */
static void sync_mode_follows_flag(void **state)
{
	assert_int_equal(synchronous_of(*state), 2);   /* FULL */
	static const unsigned flags[] = { 0, STORE_SYNC_NORMAL, STORE_RDONLY,
					  STORE_RDONLY | STORE_SYNC_NORMAL };
	static const int want[] = { 2, 1, 2, 1 };
	for (unsigned i = 0; i < 4; i++) {
		struct store *s = NULL;
		struct sosafe_err err = { "" };
		assert_int_equal(store_open(&s, dir, flags[i], 2000, &err), ST_OK);
		assert_int_equal(synchronous_of(s), want[i]);
		store_close(s);
	}
}

static void cache_reuses_statements(void **state)
{
	struct store *st = *state;
	put_row(st, "alice", 1);
	unsigned before = nstatements(st);
	for (int i = 0; i < 50; i++)
		put_row(st, "alice", i);
	/* same text: one statement, however often it runs */
	assert_int_equal(nstatements(st), before);
	int64_t v = -1;
	assert_int_equal(sql_int(st, "cannot read", &v, "SELECT attempts FROM tally WHERE user = ?",
				 SQL_TEXT("alice")),
			 ST_OK);
	assert_int_equal(v, 49);
	assert_int_equal(nstatements(st), before + 1);
	/* equal text in another buffer finds the same statement */
	char sql[64];
	snprintf(sql, sizeof(sql), "SELECT attempts FROM tally WHERE user = ?");
	assert_int_equal(sql_int(st, "cannot read", &v, sql, SQL_TEXT("alice")), ST_OK);
	assert_int_equal(nstatements(st), before + 1);
	assert_int_equal(sql_int(st, "cannot read", &v, sql, SQL_TEXT("nobody")), ST_NOTFOUND);
	assert_int_equal(v, 0);
}

/* A statement still in use (a walk whose callback runs the same query) is
 * not handed out twice: the inner user gets a private one, which is gone
 * after its release. */
static void nested_use_gets_own_statement(void **state)
{
	struct store *st = *state;
	static const char sql[] = "SELECT user FROM tally ORDER BY user";
	put_row(st, "a", 1);
	put_row(st, "b", 2);
	struct sql_stmt *outer, *inner;
	assert_int_equal(sql_prepare(st, sql, &outer, "cannot read"), ST_OK);
	unsigned before = nstatements(st);
	unsigned rows = 0;
	while (sql_step(st, outer, "cannot read") == ST_OK) {
		assert_int_equal(sql_prepare(st, sql, &inner, "cannot read"), ST_OK);
		assert_ptr_not_equal(inner, outer);
		assert_int_equal(sql_step(st, inner, "cannot read"), ST_OK);
		assert_string_equal(sql_text(inner, 0), "a");
		sql_release(st, inner);
		rows++;
	}
	assert_int_equal(rows, 2);
	assert_int_equal(nstatements(st), before);
	sql_release(st, outer);
	assert_int_equal(sql_prepare(st, sql, &inner, "cannot read"), ST_OK);
	assert_ptr_equal(inner, outer);   /* the cached one is free again */
	sql_release(st, inner);
}

static void many_distinct_statements_stay_bounded(void **state)
{
	struct store *st = *state;
	put_row(st, "alice", 7);
	for (int i = 0; i < 500; i++) {
		char sql[96];
		int64_t v = 0;
		snprintf(sql, sizeof(sql), "SELECT attempts + %d FROM tally WHERE user = ?", i);
		assert_int_equal(sql_int(st, "cannot read", &v, sql, SQL_TEXT("alice")), ST_OK);
		assert_int_equal(v, 7 + i);
	}
	assert_true(nstatements(st) <= 80);
}

static void bad_sql_is_an_error_not_a_cache_entry(void **state)
{
	struct store *st = *state;
	unsigned before = nstatements(st);
	struct sql_stmt *q = (struct sql_stmt *)&q;
	assert_int_equal(sql_prepare(st, "SELECT nonsense FROM no_such_table", &q, "cannot read"),
			 ST_ERROR);
	assert_null(q);
	assert_non_null(strstr(store_error(st), "cannot read"));
	assert_non_null(strstr(store_error(st), "no_such_table"));
	assert_int_equal(sql_prepare(st, "  ", &q, "cannot read"), ST_ERROR);
	assert_null(q);
	assert_int_equal(nstatements(st), before);
	sql_release(st, NULL);
}

static void release_drops_bindings(void **state)
{
	struct store *st = *state;
	struct sql_stmt *q;
	char user[16] = "alice";
	put_row(st, "alice", 5);
	assert_int_equal(sql_prepare(st, "SELECT ? IS NULL", &q, "cannot read"), ST_OK);
	assert_int_equal(sql_bind(st, q, &SQL_TEXT(user), 1, "cannot read"), ST_OK);
	assert_int_equal(sql_step(st, q, "cannot read"), ST_OK);
	assert_int_equal(sql_col_int(q, 0), 0);
	sql_release(st, q);
	/* the cached statement comes back without the caller's string bound */
	struct sql_stmt *again;
	assert_int_equal(sql_prepare(st, "SELECT ? IS NULL", &again, "cannot read"), ST_OK);
	assert_ptr_equal(again, q);
	assert_int_equal(sql_step(st, again, "cannot read"), ST_OK);
	assert_int_equal(sql_col_int(again, 0), 1);
	sql_release(st, again);
}

/* A statement released after its first row leaves no cursor: another
 * connection can checkpoint and truncate the whole WAL. */
static void release_leaves_no_read_transaction(void **state)
{
	struct store *st = *state;
	put_row(st, "a", 1);
	put_row(st, "b", 2);
	struct sql_stmt *q;
	assert_int_equal(sql_prepare(st, "SELECT user FROM tally", &q, "cannot read"), ST_OK);
	assert_int_equal(sql_step(st, q, "cannot read"), ST_OK);
	sql_release(st, q);
	int64_t v;
	assert_int_equal(sql_int_args(st, "cannot read", &v, "SELECT count(*) FROM tally", NULL, 0),
			 ST_OK);
	char path[128];
	snprintf(path, sizeof(path), "%s/%s", dir, STORE_FILE);
	sqlite3 *other = NULL;
	assert_int_equal(sqlite3_open_v2(path, &other, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(other, "SELECT 1 FROM tally", NULL, NULL, NULL), SQLITE_OK);
	int log = -1, ckpt = -1;
	assert_int_equal(sqlite3_wal_checkpoint_v2(other, "main", SQLITE_CHECKPOINT_TRUNCATE, &log,
						   &ckpt),
			 SQLITE_OK);
	assert_int_equal(log, 0);
	sqlite3_close_v2(other);
}

static void run_reports_changes(void **state)
{
	struct store *st = *state;
	put_row(st, "a", 1);
	put_row(st, "b", 1);
	put_row(st, "c", 2);
	long n = -1;
	assert_int_equal(sql_run(st, "cannot write", &n, "DELETE FROM tally WHERE attempts = ?",
				 SQL_INT(1)),
			 ST_OK);
	assert_int_equal(n, 2);
	assert_int_equal(sql_run(st, "cannot write", &n, "DELETE FROM tally WHERE attempts = ?",
				 SQL_INT(1)),
			 ST_OK);
	assert_int_equal(n, 0);
	/* a constraint failure is an error with the caller's words */
	assert_int_equal(sql_run(st, "cannot write", NULL, "INSERT INTO tally (user) VALUES (?)",
				 SQL_TEXT("c")),
			 ST_ERROR);
	assert_non_null(strstr(store_error(st), "cannot write"));
}

static void transactions_commit_and_roll_back(void **state)
{
	struct store *st = *state;
	int64_t v;
	assert_int_equal(store_begin(st), ST_OK);
	assert_false(store_reusable(st, dir));   /* inside a transaction */
	put_row(st, "kept", 1);
	assert_int_equal(store_commit(st), ST_OK);
	assert_true(store_reusable(st, dir));
	assert_int_equal(store_begin(st), ST_OK);
	put_row(st, "dropped", 1);
	store_rollback(st);
	assert_int_equal(sql_int(st, "cannot read", &v, "SELECT count(*) FROM tally WHERE user = ?",
				 SQL_TEXT("dropped")),
			 ST_OK);
	assert_int_equal(v, 0);
	assert_int_equal(store_begin_read(st), ST_OK);
	assert_int_equal(sql_int(st, "cannot read", &v, "SELECT count(*) FROM tally WHERE user = ?",
				 SQL_TEXT("kept")),
			 ST_OK);
	assert_int_equal(v, 1);
	assert_int_equal(store_commit(st), ST_OK);
	/* a second BEGIN inside a transaction fails and says so */
	assert_int_equal(store_begin(st), ST_OK);
	assert_int_equal(store_begin(st), ST_ERROR);
	assert_non_null(strstr(store_error(st), "cannot lock state store"));
	store_rollback(st);
	store_rollback(st);   /* harmless outside a transaction */
	assert_int_equal(store_begin(st), ST_OK);
	store_rollback(st);
}

/* While one connection holds the write lock, another one's begin waits at
 * most its timeout and then reports busy. */
static void begin_busy_after_timeout(void **state)
{
	struct store *st = *state;
	struct store *other = NULL;
	struct sosafe_err err = { "" };
	assert_int_equal(store_open(&other, dir, 0, 50, &err), ST_OK);
	assert_int_equal(store_begin(st), ST_OK);
	assert_int_equal(store_begin(other), ST_BUSY);
	assert_non_null(strstr(store_error(other), "another process held the store"));
	store_rollback(st);
	assert_int_equal(store_begin(other), ST_OK);
	assert_int_equal(store_commit(other), ST_OK);
	store_close(other);
}

/* ---- open: each failure has its status and a message with advice ---- */

static enum store_status open_at(const char *d, unsigned flags, struct sosafe_err *err)
{
	struct store *s = NULL;
	enum store_status r = store_open(&s, d, flags, 500, err);
	assert_true((r == ST_OK) == (s != NULL));
	store_close(s);
	return r;
}

static void write_file(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	for (int i = 0; i < 256; i++)
		fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
}

static void open_missing(void **state)
{
	(void)state;
	struct sosafe_err err = { "" };
	char sub[128];
	assert_int_equal(open_at("/nonexistent/sosafe-state", 0, &err), ST_MISSING);
	/* the directory is there, the store is not */
	snprintf(sub, sizeof(sub), "%s/empty", dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	assert_int_equal(open_at(sub, STORE_RDONLY, &err), ST_MISSING);
	assert_non_null(strstr(err.msg, "run: sosafectl init"));
	/* creating it works, and then it opens */
	assert_int_equal(open_at(sub, STORE_CREATE, &err), ST_OK);
	assert_int_equal(open_at(sub, STORE_RDONLY, &err), ST_OK);
}

static void open_unsafe_modes(void **state)
{
	(void)state;
	struct sosafe_err err = { "" };
	char path[128];
	assert_int_equal(chmod(dir, 0777), 0);
	assert_int_equal(open_at(dir, 0, &err), ST_PERM);
	assert_int_equal(chmod(dir, 0755), 0);
	snprintf(path, sizeof(path), "%s/%s", dir, STORE_FILE);
	assert_int_equal(chmod(path, 0644), 0);   /* the store is root-only */
	assert_int_equal(open_at(dir, 0, &err), ST_PERM);
	assert_int_equal(chmod(path, 0600), 0);
	assert_int_equal(open_at(dir, 0, &err), ST_OK);
}

static void open_corrupt(void **state)
{
	(void)state;
	struct sosafe_err err = { "" };
	char sub[128], path[160];
	snprintf(sub, sizeof(sub), "%s/bad", dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	snprintf(path, sizeof(path), "%s/%s", sub, STORE_FILE);
	write_file(path, "this is not a database file. ", 0600);
	assert_int_equal(open_at(sub, 0, &err), ST_CORRUPT);
	assert_non_null(strstr(err.msg, "sosafectl restore"));
	assert_string_equal(store_status_name(ST_CORRUPT), "corrupt");
}

static void open_schema_versions(void **state)
{
	struct store *st = *state;
	struct sosafe_err err = { "" };
	/* a part missing its newest steps: read-only refuses, read-write upgrades */
	assert_int_equal(sql_exec(st, "DROP TABLE four_eyes_request;"
				  "DELETE FROM meta WHERE key = 'schema.four_eyes'", "cannot write"),
			 ST_OK);
	assert_int_equal(open_at(dir, STORE_RDONLY, &err), ST_SCHEMA);
	assert_non_null(strstr(err.msg, "needs a schema upgrade"));
	assert_int_equal(open_at(dir, 0, &err), ST_OK);
	assert_int_equal(open_at(dir, STORE_RDONLY, &err), ST_OK);
	/* a store written by a newer program */
	assert_int_equal(sql_run(st, "cannot write", NULL,
				 "UPDATE meta SET value = ? WHERE key = 'schema.core'", SQL_INT(99)),
			 ST_OK);
	assert_int_equal(open_at(dir, 0, &err), ST_SCHEMA);
	assert_non_null(strstr(err.msg, "newer than this program"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(open_missing, setup, teardown),
		cmocka_unit_test_setup_teardown(open_unsafe_modes, setup, teardown),
		cmocka_unit_test_setup_teardown(open_corrupt, setup, teardown),
		cmocka_unit_test_setup_teardown(open_schema_versions, setup, teardown),
		cmocka_unit_test_setup_teardown(sync_mode_follows_flag, setup, teardown),
		cmocka_unit_test_setup_teardown(cache_reuses_statements, setup, teardown),
		cmocka_unit_test_setup_teardown(nested_use_gets_own_statement, setup, teardown),
		cmocka_unit_test_setup_teardown(many_distinct_statements_stay_bounded, setup, teardown),
		cmocka_unit_test_setup_teardown(bad_sql_is_an_error_not_a_cache_entry, setup, teardown),
		cmocka_unit_test_setup_teardown(release_drops_bindings, setup, teardown),
		cmocka_unit_test_setup_teardown(release_leaves_no_read_transaction, setup, teardown),
		cmocka_unit_test_setup_teardown(run_reports_changes, setup, teardown),
		cmocka_unit_test_setup_teardown(transactions_commit_and_roll_back, setup, teardown),
		cmocka_unit_test_setup_teardown(begin_busy_after_timeout, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
