/* The module's break-glass rules (pam_sosafe/break_glass.c): what counts
 * as a local console, a local host, and a listed name. */
#include <config.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "break_glass.h"

static void local_terminals(void **state)
{
	(void)state;
	const char *const yes[] = { "tty1", "/dev/tty1", "tty63", "/dev/console", "console", ":0",
				    ":1", ":0.0", ":12.3" };
	const char *const no[] = { NULL, "", "tty", "/dev/tty", "ttyS0", "/dev/ttyS0", "/dev/pts/0",
				   "pts/3", "ssh", ":", ":a", ":0.", ":.0", "localhost:10.0",
				   "host:0", "/dev/tty1x", "tty1 ", "/dev//tty1", "/dev/ttyUSB0" };
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		if (!bg_local_tty(yes[i]))
			fail_msg("%s should be a local console", yes[i]);
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		if (bg_local_tty(no[i]))
			fail_msg("%s should not be a local console", no[i] ? no[i] : "(unset)");
}

static void local_hosts(void **state)
{
	(void)state;
	assert_true(bg_local_rhost(NULL));
	assert_true(bg_local_rhost(""));
	assert_true(bg_local_rhost("localhost"));
	assert_false(bg_local_rhost("127.0.0.1"));
	assert_false(bg_local_rhost("localhost.example.org"));
	assert_false(bg_local_rhost("192.0.2.7"));
}

static void listed_names(void **state)
{
	(void)state;
	assert_true(bg_listed("root", "root"));
	assert_true(bg_listed("root,carol", "carol"));
	assert_true(bg_listed("alice,root,carol", "root"));
	assert_false(bg_listed("root,carol", "roo"));
	assert_false(bg_listed("root,carol", "rootx"));
	assert_false(bg_listed("root,carol", "root,carol"));
	assert_false(bg_listed("", "root"));
	assert_false(bg_listed(NULL, "root"));
	assert_false(bg_listed("root,", ""));
	assert_false(bg_listed(",root", "r"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(local_terminals),
		cmocka_unit_test(local_hosts),
		cmocka_unit_test(listed_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
