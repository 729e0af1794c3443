/* pg_translate: the shared dialect's parameters as PostgreSQL's, numbered
 * as SQLite numbers them, quoted text and names untouched. */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "store/pg_link.h"

static void check(const char *sql, const char *want, int want_n)
{
	int n = -1;
	char *got = pg_translate(sql, &n);
	assert_non_null(got);
	assert_string_equal(got, want);
	assert_int_equal(n, want_n);
	free(got);
}

static void bare_parameters_count_up(void **state)
{
	(void)state;
	check("SELECT a FROM t WHERE b = ? AND c = ?", "SELECT a FROM t WHERE b = $1 AND c = $2", 2);
	check("SELECT 1", "SELECT 1", 0);
}

static void numbered_parameters_keep_their_number(void **state)
{
	(void)state;
	check("UPDATE otp SET s = ?2 WHERE u = ?1 AND s < ?2",
	      "UPDATE otp SET s = $2 WHERE u = $1 AND s < $2", 2);
	check("?12", "$12", 12);
}

/* SQLite gives a bare "?" the number after the largest so far */
static void bare_after_numbered_follows_the_largest(void **state)
{
	(void)state;
	check("?3, ?", "$3, $4", 4);
	check("?, ?1, ?", "$1, $1, $2", 2);
}

static void quoted_text_and_names_are_left_alone(void **state)
{
	(void)state;
	check("SELECT '?', \"us?er\" FROM t WHERE x = ?", "SELECT '?', \"us?er\" FROM t WHERE x = $1", 1);
	check("SELECT 'it''s ?' WHERE y = ?", "SELECT 'it''s ?' WHERE y = $1", 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(bare_parameters_count_up),
		cmocka_unit_test(numbered_parameters_keep_their_number),
		cmocka_unit_test(bare_after_numbered_follows_the_largest),
		cmocka_unit_test(quoted_text_and_names_are_left_alone),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
