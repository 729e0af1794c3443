/* Sealed secrets in a real store (lib/store/secret_store*.c through
 * otp_get/otp_put): no secret in the file's bytes, a row moved to another
 * user or altered does not open, a store without its key fails with
 * ST_KEY, an older plaintext store is read, then sealed once, and every
 * state of a rekey opens every row. */
#include <config.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base32.h"
#include "store/keyring.h"
#include "store/otp_store.h"
#include "store/secret_store.h"
#include <sqlite3.h>

#include "store/store_sql.h"
#include "tmp_store.h"

static const uint8_t secret[20] = "12345678901234567890";

struct fix {
	char dir[TMP_DIR_LEN];
	struct store *st;
};

static int setup(void **state)
{
	static struct fix f;
	memset(&f, 0, sizeof(f));
	if (tmp_store_open(f.dir, sizeof(f.dir), "secret-store", &f.st))
		return -1;
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;
	return tmp_store_remove(f->st, f->dir);
}

static void put(struct store *st, const char *user, uint8_t first)
{
	struct otp_record r = { .secret_len = sizeof(secret), .params = { TOTP_SHA1, 6, 30 },
				.last_step = -1, .enrolled_at = 1700000000 };
	memcpy(r.secret, secret, sizeof(secret));
	r.secret[0] = first;
	assert_int_equal(store_begin(st), ST_OK);
	assert_int_equal(otp_put(st, user, &r, "test"), ST_OK);
	assert_int_equal(store_commit(st), ST_OK);
}

static enum store_status get(struct store *st, const char *user, uint8_t first)
{
	struct otp_record g;
	enum store_status s = otp_get(st, user, &g);
	if (s == ST_OK) {
		assert_int_equal(g.secret_len, sizeof(secret));
		assert_int_equal(g.secret[0], first);
		assert_memory_equal(g.secret + 1, secret + 1, sizeof(secret) - 1);
	}
	otp_record_wipe(&g);
	return s;
}

static void sql(struct store *st, const char *q)
{
	char *err = NULL;
	if (sqlite3_exec(store_db(st), q, NULL, NULL, &err) != SQLITE_OK)
		fail_msg("%s: %s", q, err);
}

/* Flip one bit of byte POS of USER's stored secret. */
static void flip_byte(struct store *st, const char *user, int pos)
{
	sqlite3_stmt *q;
	uint8_t b[256];
	int n;
	assert_int_equal(sqlite3_prepare_v2(store_db(st), "SELECT secret FROM otp WHERE user = ?", -1,
					    &q, NULL), SQLITE_OK);
	sqlite3_bind_text(q, 1, user, -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	n = sqlite3_column_bytes(q, 0);
	assert_true(n > pos && n <= (int)sizeof(b));
	memcpy(b, sqlite3_column_blob(q, 0), (size_t)n);
	sqlite3_finalize(q);
	b[pos] ^= 0x01;
	assert_int_equal(sqlite3_prepare_v2(store_db(st), "UPDATE otp SET secret = ? WHERE user = ?",
					    -1, &q, NULL), SQLITE_OK);
	sqlite3_bind_blob(q, 1, b, n, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, user, -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(q), SQLITE_DONE);
	sqlite3_finalize(q);
}

/* True if NEEDLE is in any of the store's files (state.db, -wal). */
static bool in_files(const char *dir, const void *needle, size_t len)
{
	static const char *const names[] = { "state.db", "state.db-wal", "state.db-journal" };
	bool found = false;
	for (size_t i = 0; i < 3 && !found; i++) {
		char p[TMP_DIR_LEN + 32];
		snprintf(p, sizeof(p), "%s/%s", dir, names[i]);
		FILE *f = fopen(p, "rb");
		if (!f)
			continue;
		static char buf[1 << 20];
		size_t n = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		found = memmem(buf, n, needle, len) != NULL;
	}
	return found;
}

static void nothing_in_the_file(void **state)
{
	struct fix *f = *state;
	put(f->st, "alice", '1');
	assert_int_equal(get(f->st, "alice", '1'), ST_OK);
	char b32[64];
	base32_encode(secret, sizeof(secret), b32, sizeof(b32));
	/* written out: close (checkpoint) and look at every byte */
	store_close(f->st);
	assert_false(in_files(f->dir, secret, sizeof(secret)));
	assert_false(in_files(f->dir, secret + 1, 8));
	assert_false(in_files(f->dir, b32, strlen(b32)));
	assert_int_equal(tmp_store_create(f->dir, &f->st), 0);
	/* a fresh keyring is another fleet's key: refused, not garbage */
	assert_int_equal(get(f->st, "alice", '1'), ST_KEY);
	assert_non_null(strstr(store_error(f->st), "does not hold"));
}

static void moved_or_altered_rows(void **state)
{
	struct fix *f = *state;
	put(f->st, "alice", '1');
	put(f->st, "bob", '2');
	/* alice's sealed row copied onto bob, and to a new user */
	sql(f->st, "UPDATE otp SET secret = (SELECT secret FROM otp WHERE user = 'alice')"
		   " WHERE user = 'bob'");
	sql(f->st, "INSERT INTO otp SELECT 'carol', secret, algorithm, digits, period, last_step,"
		   " enrolled_at, enrolled_by FROM otp WHERE user = 'alice'");
	assert_int_equal(get(f->st, "bob", '1'), ST_CORRUPT);
	assert_int_equal(get(f->st, "carol", '1'), ST_CORRUPT);
	assert_int_equal(get(f->st, "alice", '1'), ST_OK);
	/* one byte of the ciphertext changed */
	flip_byte(f->st, "alice", 20);
	assert_int_equal(get(f->st, "alice", '1'), ST_CORRUPT);
	flip_byte(f->st, "alice", 20);
	assert_int_equal(get(f->st, "alice", '1'), ST_OK);
	flip_byte(f->st, "alice", 20 + SEAL_OVERHEAD - 1);   /* the tag's last byte */
	assert_int_equal(get(f->st, "alice", '1'), ST_CORRUPT);
	/* a plaintext row slipped into a sealed store is not trusted */
	sql(f->st, "UPDATE otp SET secret = CAST('12345678901234567890' AS BLOB) WHERE user = 'bob'");
	assert_int_equal(get(f->st, "bob", '1'), ST_CORRUPT);
	/* a rename seals the secret for the new name */
	put(f->st, "dave", '4');
	assert_int_equal(store_begin(f->st), ST_OK);
	assert_int_equal(secret_rebind(f->st, "dave", "erin"), ST_OK);
	sql(f->st, "UPDATE otp SET user = 'erin' WHERE user = 'dave'");
	assert_int_equal(store_commit(f->st), ST_OK);
	assert_int_equal(get(f->st, "erin", '4'), ST_OK);
}

static void without_a_key(void **state)
{
	struct fix *f = *state;
	put(f->st, "alice", '1');
	struct keyring *none = keyring_load("/nonexistent/dir/sosafe.key");
	store_set_keyring(f->st, none);
	keyring_unref(none);
	assert_int_equal(get(f->st, "alice", '1'), ST_KEY);
	assert_non_null(strstr(store_error(f->st), "/nonexistent/dir/sosafe.key"));
	assert_string_equal(store_status_name(ST_KEY), "key");
	struct otp_record r = { .secret_len = 20, .params = { TOTP_SHA1, 6, 30 } };
	assert_int_equal(store_begin(f->st), ST_OK);
	assert_int_equal(otp_put(f->st, "bob", &r, NULL), ST_KEY);
	store_rollback(f->st);
	store_set_keyring(f->st, NULL);
	assert_int_equal(get(f->st, "alice", '1'), ST_KEY);
}

/* An older store: plaintext rows, schema otp at step 3. */
static void make_old_store(struct fix *f)
{
	sql(f->st, "INSERT INTO otp (user, secret, algorithm, digits, period, enrolled_at)"
		   " VALUES ('alice', CAST('12345678901234567890' AS BLOB), 0, 6, 30, 1),"
		   " ('bob', CAST('22345678901234567890' AS BLOB), 0, 6, 30, 1)");
	sql(f->st, "UPDATE meta SET value = 3 WHERE key = 'schema.otp'");
	struct keyring *kr = keyring_ref(store_keyring(f->st));
	store_close(f->st);
	struct sosafe_err e = { "" };
	assert_int_equal(store_open(&f->st, f->dir, 0, 2000, &e), ST_OK);   /* upgrade */
	store_set_keyring(f->st, kr);
	keyring_unref(kr);
}

static void plaintext_store_sealed_once(void **state)
{
	struct fix *f = *state;
	make_old_store(f);
	bool plain = false;
	assert_int_equal(secret_plaintext(f->st, &plain), ST_OK);
	assert_true(plain);
	/* read as they are; no new secret until they are sealed */
	assert_int_equal(get(f->st, "alice", '1'), ST_OK);
	assert_int_equal(get(f->st, "bob", '2'), ST_OK);
	struct otp_record r = { .secret_len = 20, .params = { TOTP_SHA1, 6, 30 } };
	assert_int_equal(store_begin(f->st), ST_OK);
	assert_int_equal(otp_put(f->st, "carol", &r, NULL), ST_SCHEMA);
	assert_non_null(strstr(store_error(f->st), "sosafectl init"));
	long rows = 0;
	assert_int_equal(secret_reseal_all(f->st, &rows), ST_OK);
	assert_int_equal(store_commit(f->st), ST_OK);
	assert_int_equal(rows, 2);
	assert_int_equal(secret_plaintext(f->st, &plain), ST_OK);
	assert_false(plain);
	assert_int_equal(get(f->st, "alice", '1'), ST_OK);
	assert_int_equal(get(f->st, "bob", '2'), ST_OK);
	int64_t len = 0;
	assert_int_equal(sql_int(f->st, "t", &len, "SELECT length(secret) FROM otp WHERE user = ?",
				 SQL_TEXT("alice")), ST_OK);
	assert_int_equal(len, 20 + SEAL_OVERHEAD);
	store_close(f->st);
	assert_false(in_files(f->dir, secret + 1, 12));
	/* opened again: the upgrade step does not mark sealed rows plaintext */
	assert_int_equal(tmp_store_create(f->dir, &f->st), 0);
	assert_int_equal(secret_plaintext(f->st, &plain), ST_OK);
	assert_false(plain);
}

/* Every state a rekey can stop in opens every row. */
static void rekey_states(void **state)
{
	struct fix *f = *state;
	struct keyring *old = keyring_ref(store_keyring(f->st));
	put(f->st, "alice", '1');
	put(f->st, "bob", '2');
	/* step 1 done: the file has the new key first and the old one */
	struct keyring *both = keyring_rotate(old, NULL);
	store_set_keyring(f->st, both);
	assert_int_equal(get(f->st, "alice", '1'), ST_OK);
	assert_int_equal(get(f->st, "bob", '2'), ST_OK);
	/* step 2: one transaction; a rolled-back one changes nothing */
	long rows = 0;
	assert_int_equal(store_begin(f->st), ST_OK);
	assert_int_equal(secret_reseal_all(f->st, &rows), ST_OK);
	store_rollback(f->st);
	store_set_keyring(f->st, old);
	assert_int_equal(get(f->st, "alice", '1'), ST_OK);
	store_set_keyring(f->st, both);
	assert_int_equal(store_begin(f->st), ST_OK);
	assert_int_equal(secret_reseal_all(f->st, &rows), ST_OK);
	assert_int_equal(store_commit(f->st), ST_OK);
	assert_int_equal(rows, 2);
	assert_int_equal(get(f->st, "alice", '1'), ST_OK);
	assert_int_equal(get(f->st, "bob", '2'), ST_OK);
	/* step 3: the new key alone */
	struct keyring *one = keyring_current_only(both, NULL);
	store_set_keyring(f->st, one);
	assert_int_equal(get(f->st, "alice", '1'), ST_OK);
	assert_int_equal(get(f->st, "bob", '2'), ST_OK);
	/* the old key alone no longer opens anything */
	store_set_keyring(f->st, old);
	assert_int_equal(get(f->st, "alice", '1'), ST_KEY);
	store_set_keyring(f->st, one);
	keyring_unref(one);
	keyring_unref(both);
	keyring_unref(old);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(nothing_in_the_file, setup, teardown),
		cmocka_unit_test_setup_teardown(moved_or_altered_rows, setup, teardown),
		cmocka_unit_test_setup_teardown(without_a_key, setup, teardown),
		cmocka_unit_test_setup_teardown(plaintext_store_sealed_once, setup, teardown),
		cmocka_unit_test_setup_teardown(rekey_states, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
