/* The error idiom: set, prefix, NULL tolerated, long text cut not overrun. */
#include <config.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "base/err.h"

static void set_and_prefix(void **state)
{
	struct sosafe_err e;
	assert_int_equal(err_set(&e, "cannot open %s: %s", "x.db", "denied"), -1);
	assert_string_equal(err_msg(&e), "cannot open x.db: denied");
	assert_int_equal(err_prefix(&e, "state_dir %d", 2), -1);
	assert_string_equal(err_msg(&e), "state_dir 2: cannot open x.db: denied");
	err_clear(&e);
	assert_string_equal(err_msg(&e), "");
	assert_int_equal(err_prefix(&e, "alone"), -1);
	assert_string_equal(err_msg(&e), "alone");
}

static void null_is_allowed(void **state)
{
	assert_int_equal(err_set(NULL, "ignored %d", 1), -1);
	assert_int_equal(err_prefix(NULL, "ignored"), -1);
	err_clear(NULL);
	assert_string_equal(err_msg(NULL), "");
}

static void long_text_is_cut(void **state)
{
	char big[3 * SOSAFE_ERR_MAX];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	struct sosafe_err e;
	err_set(&e, "%s", big);
	assert_int_equal(strlen(e.msg), SOSAFE_ERR_MAX - 1);
	err_prefix(&e, "%s", big);
	assert_int_equal(strlen(e.msg), SOSAFE_ERR_MAX - 1);
	/* an overlong context is cut, the message it introduces kept */
	err_set(&e, "tail");
	err_prefix(&e, "%s", big);
	size_t n = strlen(e.msg);
	assert_true(n < SOSAFE_ERR_MAX);
	assert_string_equal(e.msg + n - 6, ": tail");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(set_and_prefix),
		cmocka_unit_test(null_is_allowed),
		cmocka_unit_test(long_text_is_cut),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
