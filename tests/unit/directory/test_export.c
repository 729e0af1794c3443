/* The export as one model: the name rule, the format told by the first
 * byte, duplicates refused (names case-insensitively, ids, stable ids),
 * and an export file refused with its path. */
#include <config.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "directory/directory.h"

static void expect_refused(const char *text, const char *want)
{
	struct directory d;
	struct sosafe_err err = { "" };
	assert_int_equal(directory_parse(text, strlen(text), &d, &err), -1);
	if (strcmp(err.msg, want))
		fail_msg("got '%s', want '%s'", err.msg, want);
}

static void test_name_rule(void **state)
{
	(void)state;
	static const char *const good[] = { "a", "alice", "a.b_c-d", "x1", "1a",
					    "abcdefghijklmnopqrstuvwxyz012345" };
	static const char *const bad[] = { "", "-rf", ".hidden", "123", "a b", "a:b", "a/b",
					   "abcdefghijklmnopqrstuvwxyz0123456", "caf\xc3\xa9", "x$" };
	for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++)
		if (!directory_name_ok(good[i]))
			fail_msg("'%s' refused", good[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		if (directory_name_ok(bad[i]))
			fail_msg("'%s' accepted", bad[i]);
}

static void test_json_form(void **state)
{
	(void)state;
	const char *text = "  {\"users\":[{\"name\":\"Alice\",\"uid\":200000,\"gid\":null,"
			   "\"gecos\":\"A\",\"enabled\":false,\"expires\":1800000000,"
			   "\"groups\":[\"Staff\"]}],\n"
			   "\"groups\":[{\"name\":\"staff\",\"gid\":300000,\"members\":[\"ALICE\"]}]}";
	struct directory d;
	struct sosafe_err err;
	assert_int_equal(directory_parse(text, strlen(text), &d, &err), 0);
	assert_int_equal(d.nusers, 1);
	assert_string_equal(d.users[0].name, "alice");
	assert_int_equal(d.users[0].uid, 200000);
	assert_int_equal(d.users[0].gid, DIR_NO_ID);
	assert_string_equal(d.users[0].gecos, "A");
	assert_true(d.users[0].disabled);
	assert_int_equal(d.users[0].expires, 1800000000);
	assert_string_equal(d.users[0].groups[0], "staff");
	assert_int_equal(d.ngroups, 1);
	assert_string_equal(d.groups[0].members[0], "alice");
	assert_int_equal(d.groups[0].line, 2);
	directory_free(&d);

	expect_refused("{\"users\":[{\"name\":\"a\\u0000b\"}]}", "line 1: JSON: NUL in a string");
	expect_refused("{\"users\":[{\"name\":\"ok1\"},\n{\"name\":\"-rf\"}]}",
		       "line 2: JSON: name is not a safe Unix name (1-32 of A-Z a-z 0-9 . _ -, "
		       "not starting with - or ., not all digits)");
	expect_refused("{\"users\":[}", "line 1: JSON: unexpected character");
	/* the first byte tells the format: anything but '{' is LDIF */
	expect_refused("\n[{\"users\":[]}]", "line 2: bad attribute name");
	expect_refused("{}", "line 1: JSON: \"users\" array missing");
	expect_refused("{\"users\":[],\"groups\":{}}", "line 1: JSON: \"groups\" must be an array");
	expect_refused("{\"users\":[1]}", "line 1: JSON: users[] must hold objects");
	expect_refused("{\"users\":[{\"uid\":5000}]}", "line 1: JSON: entry without a \"name\" string");
	expect_refused("{\"users\":[{\"name\":\"a\",\"uid\":\"5000\"}]}",
		       "line 1: JSON: uid must be an integer");
	expect_refused("{\"users\":[{\"name\":\"a\",\"uid\":65534}]}",
		       "line 1: JSON: uid must be 1000..4294967294 (not 65534)");
	expect_refused("{\"users\":[{\"name\":\"a\",\"enabled\":1}]}",
		       "line 1: JSON: enabled must be true or false");
	expect_refused("{\"users\":[{\"name\":\"a\",\"expires\":-1}]}",
		       "line 1: JSON: expires must be unix time (0 = never)");
	expect_refused("{\"users\":[{\"name\":\"a\",\"groups\":\"g\"}]}",
		       "line 1: JSON: groups must be an array of names");
	expect_refused("{\"users\":[{\"name\":\"a\",\"groups\":[1]}]}",
		       "line 1: JSON: groups must hold strings");
}

static void test_duplicates(void **state)
{
	(void)state;
	expect_refused("{\"users\":[{\"name\":\"a\"},\n{\"name\":\"A\"}]}",
		       "line 2: duplicate user name 'a' (first at line 1)");
	expect_refused("{\"users\":[{\"name\":\"a\",\"uid\":5000},\n{\"name\":\"b\",\"uid\":5000}]}",
		       "line 2: duplicate uid 5000 ('b', and 'a' at line 1)");
	expect_refused("{\"users\":[{\"name\":\"a\"}],\"groups\":[{\"name\":\"g\",\"gid\":7000},\n"
		       "{\"name\":\"h\",\"gid\":7000}]}",
		       "line 2: duplicate gid 7000 ('h', and 'g' at line 1)");
	expect_refused("dn: CN=a,DC=x\nobjectClass: user\nsAMAccountName: a1\nsosafeStableId: u:1\n\n"
		       "dn: CN=b,DC=x\nobjectClass: user\nsAMAccountName: b1\nsosafeStableId: u:1\n",
		       "line 6: two users with the same stable id (sosafeStableId u:1, first at "
		       "line 1)");
	/* a user and a group may share a name (the user private group) */
	const char *upg = "{\"users\":[{\"name\":\"a\",\"uid\":5000}],"
			  "\"groups\":[{\"name\":\"a\",\"gid\":5000}]}";
	struct directory d;
	struct sosafe_err err;
	assert_int_equal(directory_parse(upg, strlen(upg), &d, &err), 0);
	directory_free(&d);
}

static void test_file(void **state)
{
	(void)state;
	char path[] = "/tmp/sosafe-export-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	static const char bad[] = "{\"users\":[{\"name\":\"-x\"}]}";
	assert_int_equal(write(fd, bad, sizeof(bad) - 1), (ssize_t)(sizeof(bad) - 1));
	close(fd);
	struct directory d;
	struct sosafe_err err;
	char want[256];
	assert_int_equal(directory_parse_file(path, &d, &err), -1);
	snprintf(want, sizeof(want), "%s: line 1: JSON: name is not", path);
	assert_memory_equal(err.msg, want, strlen(want));
	unlink(path);
	assert_int_equal(directory_parse_file(path, &d, &err), -1);
	snprintf(want, sizeof(want), "%s: No such file or directory", path);
	assert_string_equal(err.msg, want);
	assert_int_equal(directory_parse_file("/tmp", &d, &err), -1);
	assert_string_equal(err.msg, "/tmp: not a regular file of at most 1 GiB");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_name_rule),
		cmocka_unit_test(test_json_form),
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_file),
	};
	return cmocka_run_group_tests_name("directory export", tests, NULL, NULL);
}
