/* What the user database says about an account: root, admin group member,
 * unknown. Uses the system's own root and nobody entries. */
#include <config.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdbool.h>

#include "base/accounts.h"

static void root_is_root(void **state)
{
	bool is_root = false, is_admin = true;
	assert_true(account_privilege("root", NULL, &is_root, &is_admin));
	assert_true(is_root);
	assert_false(is_admin);   /* no admin group configured */
	/* root's primary group counts as membership */
	assert_true(account_privilege("root", "root", &is_root, &is_admin));
	assert_true(is_admin);
}

static void others_are_not(void **state)
{
	bool is_root = true, is_admin = true;
	assert_true(account_privilege("nobody", "root", &is_root, &is_admin));
	assert_false(is_root);
	assert_false(is_admin);
	is_root = is_admin = true;
	assert_true(account_privilege("nobody", "no-such-group-here", &is_root, &is_admin));
	assert_false(is_admin);
}

static void unknown_user(void **state)
{
	bool is_root = true, is_admin = true;
	assert_false(account_privilege("no-such-user-here", "root", &is_root, &is_admin));
	assert_false(is_root);
	assert_false(is_admin);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(root_is_root),
		cmocka_unit_test(others_are_not),
		cmocka_unit_test(unknown_user),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
