/* Writing the directory snapshot: what is written reads back record for
 * record, the files get their modes, a rewrite replaces each file whole (a
 * new inode renamed over the old, no temporary file left behind), and the
 * state directory is opened for search so every process reaches passwd.snap. */
#include <config.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "snapshot/snapshot.h"
#include "snapshot/snapshot_write.h"
#include "tmp_dir.h"

static const char *const eng[] = { "alice", "bob" };
static const char *const ops[] = { "bob" };

static const struct snap_user users[] = {
	{ "alice", 200001, 200001, "Alice A", "/home/alice", "/bin/bash", NULL, 19000, false, 10, 0 },
	{ "bob", 200002, 200100, "Bob B", "/home/bob", "/bin/sh", "$y$j9T$salt$hash", -1, false, 20, 0 },
	{ "carol", 200003, 200003, "", "/home/carol", "/bin/sh", NULL, 19100, true, 30, 1700000000 },
};
static const struct snap_group groups[] = {
	{ "eng", 200100, eng, 2 },
	{ "ops", 200101, ops, 1 },
	{ "empty", 200102, NULL, 0 },
};

static struct snap_data data(uint64_t serial)
{
	struct snap_data d = { users, 3, groups, 3, 1700000123, serial };
	return d;
}

static void write_ok(const char *dir, uint64_t serial)
{
	struct sosafe_err err = { "" };
	struct snap_data d = data(serial);
	if (snap_write(dir, &d, &err))
		fail_msg("snap_write: %s", err.msg);
}

static void open_ok(struct snap *s, const char *dir, const char *file, unsigned kind)
{
	char path[400];
	struct sosafe_err err = { "" };
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	if (snap_open(s, path, kind, &err) != SNAP_OK)
		fail_msg("snap_open %s: %s", path, err.msg);
}

static int setup(void **state)
{
	static char dir[TMP_DIR_LEN];
	if (tmp_dir_make(dir, "snap-write"))
		return -1;
	*state = dir;
	return 0;
}

static int teardown(void **state)
{
	return tmp_dir_remove(*state);
}

static bool same(const char *a, size_t alen, const char *want)
{
	return alen == strlen(want) && memcmp(a, want, alen) == 0;
}

static void test_round_trip_passwd(void **state)
{
	const char *dir = *state;
	write_ok(dir, 7);
	struct snap s;
	open_ok(&s, dir, SNAP_PASSWD_FILE, SNAP_KIND_PASSWD);
	assert_int_equal(s.hdr.nusers, 3);
	assert_int_equal(s.hdr.ngroups, 3);
	assert_int_equal(s.hdr.serial, 7);
	assert_int_equal(s.hdr.generated_at, 1700000123);

	struct snap_pw pw;
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(snap_pw_by_name(&s, users[i].name, &pw), SNAP_OK);
		assert_int_equal(pw.uid, users[i].uid);
		assert_int_equal(pw.gid, users[i].gid);
		assert_true(same(pw.name, pw.name_len, users[i].name));
		assert_true(same(pw.gecos, pw.gecos_len, users[i].gecos));
		assert_true(same(pw.dir, pw.dir_len, users[i].dir));
		assert_true(same(pw.shell, pw.shell_len, users[i].shell));
		assert_int_equal(snap_pw_by_uid(&s, users[i].uid, &pw), SNAP_OK);
		assert_true(same(pw.name, pw.name_len, users[i].name));
	}
	assert_int_equal(snap_pw_by_name(&s, "mallory", &pw), SNAP_NOTFOUND);
	assert_int_equal(snap_pw_by_uid(&s, 4242, &pw), SNAP_NOTFOUND);

	struct snap_gr gr;
	assert_int_equal(snap_gr_by_name(&s, "eng", &gr), SNAP_OK);
	assert_int_equal(gr.gid, 200100);
	assert_int_equal(gr.nmem, 2);
	assert_int_equal(gr.mem_len, sizeof("alice") + sizeof("bob"));
	assert_memory_equal(gr.mem, "alice\0bob", gr.mem_len);
	assert_int_equal(snap_gr_by_gid(&s, 200102, &gr), SNAP_OK);
	assert_true(same(gr.name, gr.name_len, "empty"));
	assert_int_equal(gr.nmem, 0);
	assert_int_equal(snap_gr_by_name(&s, "wheel", &gr), SNAP_NOTFOUND);

	/* supplementary groups: alice is in eng; bob's primary group is eng,
	 * so only ops is listed for him; carol has none */
	const unsigned char *g;
	uint32_t n;
	assert_int_equal(snap_initgroups(&s, "alice", &g, &n), SNAP_OK);
	assert_int_equal(n, 1);
	assert_int_equal(snap_le32(g), 200100);
	assert_int_equal(snap_initgroups(&s, "bob", &g, &n), SNAP_OK);
	assert_int_equal(n, 1);
	assert_int_equal(snap_le32(g), 200101);
	assert_int_equal(snap_initgroups(&s, "carol", &g, &n), SNAP_OK);
	assert_int_equal(n, 0);

	/* no shadow records in the world-readable file */
	struct snap_sp sp;
	assert_int_equal(snap_sp_by_name(&s, "bob", &sp), SNAP_NOTFOUND);
	snap_close(&s);
}

static void test_round_trip_shadow(void **state)
{
	const char *dir = *state;
	write_ok(dir, 1);
	struct snap s;
	open_ok(&s, dir, SNAP_SHADOW_FILE, SNAP_KIND_SHADOW);
	struct snap_sp sp;
	assert_int_equal(snap_sp_by_name(&s, "alice", &sp), SNAP_OK);
	assert_true(same(sp.pwdp, sp.pwdp_len, "*"));   /* no local password */
	assert_int_equal(sp.lstchg, 19000);
	assert_int_equal(sp.expire, -1);
	assert_int_equal(sp.flags, 0);
	assert_int_equal(sp.first_seen, 10);
	assert_int_equal(snap_sp_by_name(&s, "bob", &sp), SNAP_OK);
	assert_true(same(sp.pwdp, sp.pwdp_len, "$y$j9T$salt$hash"));
	assert_int_equal(sp.lstchg, -1);
	/* a deactivated account expires on day 1 */
	assert_int_equal(snap_sp_by_name(&s, "carol", &sp), SNAP_OK);
	assert_int_equal(sp.expire, 1);
	assert_int_equal(sp.flags, SNAP_SP_DEACTIVATED);
	assert_int_equal(sp.deactivated_at, 1700000000);
	struct snap_pw pw;
	assert_int_equal(snap_pw_by_name(&s, "alice", &pw), SNAP_NOTFOUND);
	snap_close(&s);
}

static mode_t mode_of(const char *dir, const char *file)
{
	char path[400];
	struct stat st;
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	assert_int_equal(stat(path, &st), 0);
	return st.st_mode & 07777;
}

static void test_modes(void **state)
{
	const char *dir = *state;
	assert_int_equal(chmod(dir, 0700), 0);
	write_ok(dir, 1);
	assert_int_equal(mode_of(dir, SNAP_PASSWD_FILE), 0644);
	assert_int_equal(mode_of(dir, SNAP_SHADOW_FILE), 0600);
	/* the directory is opened for search, not for listing */
	struct stat st;
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0711);
}

static ino_t inode_of(const char *dir, const char *file)
{
	char path[400];
	struct stat st;
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	assert_int_equal(stat(path, &st), 0);
	return st.st_ino;
}

static int entries(const char *dir)
{
	DIR *d = opendir(dir);
	assert_non_null(d);
	int n = 0;
	const struct dirent *e;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

static void test_replace_is_atomic(void **state)
{
	const char *dir = *state;
	write_ok(dir, 1);
	/* a reader holding the old file keeps its whole old view */
	struct snap old;
	open_ok(&old, dir, SNAP_PASSWD_FILE, SNAP_KIND_PASSWD);
	ino_t pw_ino = inode_of(dir, SNAP_PASSWD_FILE), sp_ino = inode_of(dir, SNAP_SHADOW_FILE);

	write_ok(dir, 2);
	assert_int_not_equal(inode_of(dir, SNAP_PASSWD_FILE), pw_ino);
	assert_int_not_equal(inode_of(dir, SNAP_SHADOW_FILE), sp_ino);
	assert_int_equal(entries(dir), 2);   /* no temporary file left */
	assert_int_equal(old.hdr.serial, 1);
	struct snap_pw pw;
	assert_int_equal(snap_pw_by_name(&old, "alice", &pw), SNAP_OK);
	snap_close(&old);

	struct snap s;
	open_ok(&s, dir, SNAP_PASSWD_FILE, SNAP_KIND_PASSWD);
	assert_int_equal(s.hdr.serial, 2);
	snap_close(&s);
	uint64_t serial = 0;
	assert_int_equal(snap_read_serial(dir, &serial), 0);
	assert_int_equal(serial, 2);
}

static void test_failed_write_keeps_old(void **state)
{
	const char *dir = *state;
	write_ok(dir, 3);
	/* a name longer than a key may be is refused: nothing is replaced */
	char long_name[SNAP_NAME_MAX + 2];
	memset(long_name, 'x', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	struct snap_user bad[] = { users[0] };
	bad[0].name = long_name;
	struct snap_data d = { bad, 1, NULL, 0, 1700000999, 4 };
	struct sosafe_err err = { "" };
	assert_int_equal(snap_write(dir, &d, &err), -1);
	assert_true(err.msg[0] != '\0');
	assert_int_equal(entries(dir), 2);
	uint64_t serial = 0;
	assert_int_equal(snap_read_serial(dir, &serial), 0);
	assert_int_equal(serial, 3);
}

static void test_empty_directory(void **state)
{
	const char *dir = *state;
	struct snap_data d = { NULL, 0, NULL, 0, 1700000000, 1 };
	struct sosafe_err err = { "" };
	if (snap_write(dir, &d, &err))
		fail_msg("snap_write: %s", err.msg);
	struct snap s;
	open_ok(&s, dir, SNAP_PASSWD_FILE, SNAP_KIND_PASSWD);
	assert_int_equal(s.hdr.nusers, 0);
	uint32_t pos = 0;
	const unsigned char *v;
	size_t vl;
	assert_int_equal(snap_seq_peek(&s, SK_PW_NAME, &pos, &v, &vl), SNAP_NOTFOUND);
	snap_close(&s);
}

static void test_no_snapshot_yet(void **state)
{
	uint64_t serial = 99;
	assert_int_equal(snap_read_serial(*state, &serial), -1);
	assert_int_equal(serial, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_round_trip_passwd, setup, teardown),
		cmocka_unit_test_setup_teardown(test_round_trip_shadow, setup, teardown),
		cmocka_unit_test_setup_teardown(test_modes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replace_is_atomic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_write_keeps_old, setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty_directory, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_snapshot_yet, setup, teardown),
	};
	return cmocka_run_group_tests_name("snapshot_write", tests, NULL, NULL);
}
