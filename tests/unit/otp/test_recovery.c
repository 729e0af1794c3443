/* Recovery codes: the shown form, the public id, a yescrypt hash that only
 * the whole code matches, and the dummy check for a missing hash. */
#include <config.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "otp/recovery.h"

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/* the normalized answer for a shown code: the dashes removed */
static void normalized(const char *shown, char code[RECOVERY_LEN + 1])
{
	size_t o = 0;
	for (const char *p = shown; *p; p++)
		if (*p != '-')
			code[o++] = *p;
	code[o] = '\0';
}

static void test_shown_form(void **state)
{
	(void)state;
	struct recovery_code c;
	assert_int_equal(recovery_generate(&c), 0);
	assert_int_equal(strlen(c.shown), RECOVERY_SHOWN_LEN);
	for (unsigned i = 0; i < RECOVERY_SHOWN_LEN; i++) {
		if (i % 5 == 4)
			assert_int_equal(c.shown[i], '-');
		else
			assert_non_null(strchr(alphabet, c.shown[i]));
	}
	/* the id is the first group */
	assert_int_equal(strlen(c.id), RECOVERY_ID_LEN);
	assert_memory_equal(c.id, c.shown, RECOVERY_ID_LEN);
	assert_memory_equal(c.hash, "$y$", 3);
}

static void test_id_of(void **state)
{
	(void)state;
	char id[RECOVERY_ID_LEN + 1];
	memset(id, 'x', sizeof(id));
	recovery_id_of("ABCDEFGHIJKLMNOP", id);
	assert_string_equal(id, "ABCD");
}

static void test_check(void **state)
{
	(void)state;
	struct recovery_code c;
	char code[RECOVERY_LEN + 1];
	assert_int_equal(recovery_generate(&c), 0);
	normalized(c.shown, code);
	assert_int_equal(strlen(code), RECOVERY_LEN);
	assert_true(recovery_check(code, c.hash));

	/* one character off, anywhere, fails */
	for (unsigned i = 0; i < RECOVERY_LEN; i += 5) {
		char wrong[RECOVERY_LEN + 1];
		memcpy(wrong, code, sizeof(wrong));
		wrong[i] = wrong[i] == 'A' ? 'B' : 'A';
		assert_false(recovery_check(wrong, c.hash));
	}
	/* the shown form with dashes is not the code */
	assert_false(recovery_check(c.shown, c.hash));
	/* no stored hash: the same work, and never a match */
	assert_false(recovery_check(code, NULL));
	assert_false(recovery_check(code, ""));
	/* a hash that is no yescrypt setting matches nothing */
	assert_false(recovery_check(code, "*"));
}

static void test_codes_differ(void **state)
{
	(void)state;
	struct recovery_code a, b;
	char code_a[RECOVERY_LEN + 1];
	assert_int_equal(recovery_generate(&a), 0);
	assert_int_equal(recovery_generate(&b), 0);
	assert_string_not_equal(a.shown, b.shown);
	assert_string_not_equal(a.hash, b.hash);   /* own salt each */
	normalized(a.shown, code_a);
	assert_false(recovery_check(code_a, b.hash));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shown_form),
		cmocka_unit_test(test_id_of),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_codes_differ),
	};
	return cmocka_run_group_tests_name("recovery", tests, NULL, NULL);
}
