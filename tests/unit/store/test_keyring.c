/* The secret key file (lib/store/keyring_file.c, keyring.c): written 0600
 * and read back; hostile files (modes, symlink, owner, short or mistyped
 * keys, garbage) are refused with a message naming the file and the fix. */
#include <config.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/keyring.h"
#include "tmp_dir.h"

static char dir[TMP_DIR_LEN];
static char path[TMP_DIR_LEN + 32];

static int setup(void **state)
{
	(void)state;
	if (tmp_dir_make(dir, "keyring"))
		return -1;
	snprintf(path, sizeof(path), "%s/sosafe.key", dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	return tmp_dir_remove(dir);
}

static void put(const char *text, mode_t mode)
{
	(void)unlink(path);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
}

/* Load PATH and expect it refused with a message holding WANT and the path. */
static void refused(const char *want)
{
	struct keyring *kr = keyring_load(path);
	assert_non_null(kr);
	const char *why = keyring_error(kr);
	assert_non_null(why);
	if (!strstr(why, want) || !strstr(why, path))
		fail_msg("message '%s' lacks '%s' or the path", why, want);
	assert_int_equal(keyring_count(kr), 0);
	assert_null(keyring_at(kr, 0));
	keyring_unref(kr);
}

/* The "key ID BASE64" line of a freshly written file with one key. */
static void good_line(char *line, size_t len)
{
	struct keyring *kr = keyring_generate(NULL);
	assert_int_equal(keyring_write(kr, path, NULL), 0);
	keyring_unref(kr);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	line[0] = '\0';
	while (fgets(line, (int)len, f) && strncmp(line, "key ", 4))
		;
	fclose(f);
	assert_memory_equal(line, "key ", 4);
}

static void written_and_read_back(void **state)
{
	(void)state;
	struct sosafe_err e = { "" };
	(void)unlink(path);
	assert_int_equal(keyring_file_missing(path, &e), 1);
	struct keyring *kr = keyring_generate(&e);
	struct keyring *both = keyring_rotate(kr, &e);
	assert_int_equal(keyring_write(both, path, &e), 0);
	assert_int_equal(keyring_file_missing(path, &e), 0);
	struct stat sb;
	assert_int_equal(lstat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0600);
	struct keyring *back = keyring_load(path);
	assert_null(keyring_error(back));
	assert_int_equal(keyring_count(back), 2);
	for (unsigned i = 0; i < 2; i++)
		assert_memory_equal(keyring_at(back, i), keyring_at(both, i),
				    sizeof(struct keyring_key));
	/* the second key is the old one: found by its id */
	assert_ptr_equal(keyring_find(back, keyring_at(kr, 0)->id), keyring_at(back, 1));
	assert_string_equal(keyring_path(back), path);
	keyring_unref(back);
	keyring_unref(both);
	keyring_unref(kr);
	/* comments, blank lines and CRLF are fine */
	char line[128], text[256];
	good_line(line, sizeof(line));
	line[strcspn(line, "\n")] = '\0';
	snprintf(text, sizeof(text), "# a comment\n\n  %s\r\n", line);
	put(text, 0600);
	back = keyring_load(path);
	assert_null(keyring_error(back));
	assert_int_equal(keyring_count(back), 1);
	keyring_unref(back);
}

static void unsafe_files(void **state)
{
	(void)state;
	char line[128];
	good_line(line, sizeof(line));
	put(line, 0640);
	refused("chmod 0600");
	put(line, 0604);
	refused("chmod 0600");
	put(line, 0620);
	refused("chmod 0600");
	/* a symlink, even to a good file */
	char real[TMP_DIR_LEN + 32];
	snprintf(real, sizeof(real), "%s/real.key", dir);
	put(line, 0600);
	assert_int_equal(rename(path, real), 0);
	assert_int_equal(symlink(real, path), 0);
	refused("symbolic link");
	assert_int_equal(unlink(path), 0);
	/* missing: what to run */
	refused("sosafectl init");
	/* a directory */
	assert_int_equal(mkdir(path, 0700), 0);
	refused("not a regular file");
	assert_int_equal(rmdir(path), 0);
	/* a directory others may write (they could swap the file) */
	put(line, 0600);
	assert_int_equal(chmod(dir, 0777), 0);
	refused("chmod go-w");
	assert_int_equal(chmod(dir, 0755), 0);
	/* another owner (only root can make one) */
	if (geteuid() == 0) {
		assert_int_equal(chown(path, 65534, 65534), 0);
		refused("chown root:");
	}
	put(line, 0600);
	struct keyring *kr = keyring_load(path);
	assert_null(keyring_error(kr));
	keyring_unref(kr);
}

static void bad_contents(void **state)
{
	(void)state;
	char line[128], text[512];
	good_line(line, sizeof(line));
	char id[9];
	memcpy(id, line + 4, 8);
	id[8] = '\0';
	const char *b64 = line + 13;
	put("", 0600);
	refused("holds no key");
	put("# only a comment\n", 0600);
	refused("holds no key");
	put("this is not a key file at all\n", 0600);
	refused("expected: key ID BASE64");
	put("key 00000000\n", 0600);
	refused("expected: key ID BASE64");
	/* a short key (16 bytes) */
	snprintf(text, sizeof(text), "key %s MDEyMzQ1Njc4OWFiY2RlZg==\n", id);
	put(text, 0600);
	refused("not 32 bytes");
	/* not base64 */
	snprintf(text, sizeof(text), "key %s !!!!%s", id, b64 + 4);
	put(text, 0600);
	refused("not 32 bytes");
	/* a mistyped key: its id no longer matches */
	snprintf(text, sizeof(text), "key %s %s", id, b64);
	text[14] = text[14] == 'A' ? 'B' : 'A';
	put(text, 0600);
	refused("does not match");
	/* the same key twice; the line is named */
	snprintf(text, sizeof(text), "%s%s", line, line);
	put(text, 0600);
	refused(":2:");
	/* binary junk */
	put("key \x01\x02\x03", 0600);
	refused("expected");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(written_and_read_back),
		cmocka_unit_test(unsafe_files),
		cmocka_unit_test(bad_contents),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
