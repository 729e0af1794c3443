/* Ownership and mode checks of state and key paths: what is refused, and
 * that the message says what to run. */
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
#include <sys/stat.h>
#include <unistd.h>

#include "base/fsutil.h"

static char dir[64];
static char path[128];

static int setup(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/sosafe-fsutil-XXXXXX");
	assert_non_null(mkdtemp(dir));
	chmod(dir, 0755);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	return 0;
}

static const char *at(const char *name)
{
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return path;
}

static void make_file(const char *name, mode_t mode)
{
	int fd = open(at(name), O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(chmod(path, mode), 0);
}

static void says(const struct sosafe_err *e, const char *part)
{
	if (!strstr(e->msg, part))
		fail_msg("'%s' not in '%s'", part, e->msg);
}

static void directories(void **state)
{
	struct sosafe_err e = { "" };
	assert_int_equal(fs_check_dir(dir, &e), 0);
	assert_int_equal(fs_check_dir(at("missing"), &e), -1);
	says(&e, "does not exist; run: sosafectl init");

	assert_int_equal(fs_ensure_dir(at("made"), &e), 0);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0755);   /* whatever the umask */
	assert_int_equal(fs_ensure_dir(path, &e), 0);  /* already there */

	assert_int_equal(chmod(path, 0775), 0);
	assert_int_equal(fs_check_dir(path, &e), -1);
	says(&e, "group- or world-writable; run: chmod 0755");

	make_file("plain", 0644);
	assert_int_equal(fs_check_dir(path, &e), -1);
	says(&e, "is not a directory");
	assert_int_equal(fs_ensure_dir(path, &e), -1);

	assert_int_equal(symlink(dir, at("link")), 0);
	assert_int_equal(fs_check_dir(path, &e), -1);
	says(&e, "a symlink or file is refused");

	/* no error text wanted: NULL is allowed */
	assert_int_equal(fs_check_dir(at("missing"), NULL), -1);
}

static void files(void **state)
{
	struct sosafe_err e = { "" };
	assert_int_equal(fs_check_file(at("missing"), true, &e), 1);

	make_file("private", 0600);
	assert_int_equal(fs_check_file(path, true, &e), 0);
	assert_int_equal(chmod(path, 0640), 0);
	assert_int_equal(fs_check_file(path, true, &e), -1);
	says(&e, "has mode 0640; run: chmod 0600");
	/* a public file may be read by all, written by none but its owner */
	assert_int_equal(fs_check_file(path, false, &e), 0);
	assert_int_equal(chmod(path, 0646), 0);
	assert_int_equal(fs_check_file(path, false, &e), -1);
	says(&e, "run: chmod go-w");

	char target[sizeof(path)];
	snprintf(target, sizeof(target), "%s", at("private"));
	assert_int_equal(symlink(target, at("link")), 0);
	assert_int_equal(fs_check_file(path, false, &e), -1);
	says(&e, "not a regular file");
	assert_int_equal(fs_check_file(dir, false, &e), -1);
	says(&e, "not a regular file");
}

static void owners(void **state)
{
	if (geteuid() != 0)
		skip();   /* giving a file away needs root */
	struct sosafe_err e = { "" };
	make_file("theirs", 0600);
	assert_int_equal(chown(path, 4242, 4242), 0);
	assert_int_equal(fs_check_file(path, true, &e), -1);
	says(&e, "is owned by uid 4242; run: chown root:");
	assert_int_equal(chown(dir, 4242, 4242), 0);
	assert_int_equal(fs_check_dir(dir, &e), -1);
	says(&e, "is owned by uid 4242");
	assert_int_equal(chown(dir, 0, 0), 0);
}

static void sync_parent(void **state)
{
	make_file("f", 0600);
	assert_int_equal(fs_sync_parent(path), 0);
	assert_int_equal(fs_sync_parent(at("nodir/f")), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(directories, setup, teardown),
		cmocka_unit_test_setup_teardown(files, setup, teardown),
		cmocka_unit_test_setup_teardown(owners, setup, teardown),
		cmocka_unit_test_setup_teardown(sync_parent, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
