#include <config.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "base/names.h"

static void valid_names(void **state)
{
	assert_true(name_is_valid("alice"));
	assert_true(name_is_valid("a.b-c_d"));
	assert_true(name_is_valid("j\xc3\xbcrgen")); /* UTF-8 ü */
	assert_true(name_is_valid("DOMAIN.user@example.com"));
}

static void hostile_names(void **state)
{
	char big[10240];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_false(name_is_valid(NULL));
	assert_false(name_is_valid(""));
	assert_false(name_is_valid("../x"));
	assert_false(name_is_valid("a/b"));
	assert_false(name_is_valid("."));
	assert_false(name_is_valid(".."));
	assert_false(name_is_valid("a\nb"));
	assert_false(name_is_valid("a\tb"));
	assert_false(name_is_valid("a\x7f"));
	assert_false(name_is_valid("a:b"));
	assert_false(name_is_valid(big));
	big[256] = '\0';
	assert_true(name_is_valid(big));
	big[256] = 'a';
	big[257] = '\0';
	assert_false(name_is_valid(big));
	assert_false(name_is_valid("\xc3"));          /* truncated sequence */
	assert_false(name_is_valid("\xc0\xaf"));      /* overlong '/' */
	assert_false(name_is_valid("\xed\xa0\x80"));  /* surrogate */
	assert_false(name_is_valid("\xf4\x90\x80\x80")); /* above U+10FFFF */
	assert_false(name_is_valid("\xff"));
}

static void log_escaping(void **state)
{
	char out[64];
	name_for_log("evil user=root\nevent=unlock", out, sizeof(out));
	assert_null(strchr(out, '\n'));
	assert_null(strchr(out, ' '));
	assert_null(strchr(out, '='));
	assert_string_equal(out, "evil\\x20user\\x3droot\\x0aevent\\x3dunlock");
	char big[1000];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	name_for_log(big, out, sizeof(out));
	assert_true(strlen(out) < sizeof(out));
	assert_non_null(strstr(out, "..."));
	name_for_log(NULL, out, sizeof(out));
	assert_string_equal(out, "-");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(valid_names),
		cmocka_unit_test(hostile_names),
		cmocka_unit_test(log_escaping),
	};
	return cmocka_run_group_tests_name("names", tests, NULL, NULL);
}
