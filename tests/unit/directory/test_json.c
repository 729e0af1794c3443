/* The JSON reader: values and their lines, escapes (\u with surrogate
 * pairs), integers that fit, and the refusals with the line they name. */
#include <config.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "directory/json.h"

static struct jval parse_ok(const char *text)
{
	struct jval v;
	struct sosafe_err e = { "" };
	if (json_parse(text, strlen(text), &v, &e))
		fail_msg("'%s' refused: %s", text, e.msg);
	return v;
}

static void refused(const char *text, const char *want)
{
	struct jval v;
	struct sosafe_err e = { "" };
	assert_int_equal(json_parse(text, strlen(text), &v, &e), -1);
	if (strcmp(e.msg, want))
		fail_msg("'%s': got '%s', want '%s'", text, e.msg, want);
	assert_int_equal(v.n, 0);
	assert_null(v.s);
}

static void test_values(void **state)
{
	(void)state;
	struct jval v = parse_ok("{\"a\": [1, -20, true, false, null, \"x\"],\n"
				 " \"b\": {\"c\": 12345678901234}, \"big\": 1e3}");
	assert_int_equal(v.t, J_OBJ);
	const struct jval *a = json_get(&v, "a");
	assert_non_null(a);
	assert_int_equal(a->t, J_ARR);
	assert_int_equal(a->n, 6);
	assert_int_equal(a->items[0].num, 1);
	assert_true(a->items[0].num_ok);
	assert_int_equal(a->items[1].num, -20);
	assert_true(a->items[2].t == J_BOOL && a->items[2].b);
	assert_true(a->items[3].t == J_BOOL && !a->items[3].b);
	assert_int_equal(a->items[4].t, J_NULL);
	assert_string_equal(a->items[5].s, "x");
	const struct jval *b = json_get(&v, "b");
	assert_int_equal(b->line, 2);
	assert_int_equal(json_get(b, "c")->num, 12345678901234LL);
	/* a number that is no integer is kept as a number, but not as one that fits */
	assert_int_equal(json_get(&v, "big")->t, J_NUM);
	assert_false(json_get(&v, "big")->num_ok);
	assert_null(json_get(&v, "missing"));
	json_free(&v);
}

static void test_escapes(void **state)
{
	(void)state;
	struct jval v = parse_ok("\"a\\\"b\\\\c\\/d\\n\\t\\u00e9\\u20ac\\ud83d\\ude00\"");
	assert_string_equal(v.s, "a\"b\\c/d\n\t\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
	json_free(&v);
	v = parse_ok("{}");
	assert_int_equal(v.t, J_OBJ);
	assert_int_equal(v.n, 0);
	json_free(&v);
}

static void test_refusals(void **state)
{
	(void)state;
	refused("", "line 1: JSON: unexpected end");
	refused("{\"a\": 1} x", "line 1: JSON: text after the document");
	refused("{\n\"a\" 1}", "line 2: JSON: expected ':'");
	refused("[1,\n\n2", "line 3: JSON: expected ',' or ']'");
	refused("{\"a\": 1,}", "line 1: JSON: expected a key");
	refused("\"abc", "line 1: JSON: unterminated string");
	refused("\"a\\u0000b\"", "line 1: JSON: NUL in a string");
	refused("\"\\ud800x\"", "line 1: JSON: bad surrogate pair");
	refused("\"\\udc00\"", "line 1: JSON: bad surrogate pair");
	refused("\"\\uzzzz\"", "line 1: JSON: bad \\u escape");
	refused("\"\\q\"", "line 1: JSON: bad escape");
	refused("\"a\tb\"", "line 1: JSON: control character in a string");
	refused("nope", "line 1: JSON: unexpected character");
	char deep[64];
	memset(deep, '[', 17);
	deep[17] = 0;
	refused(deep, "line 1: JSON: nested too deeply");
	memset(deep, '[', 16);
	memset(deep + 16, ']', 16);
	deep[32] = 0;
	struct jval v = parse_ok(deep);
	json_free(&v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_refusals),
	};
	return cmocka_run_group_tests_name("json", tests, NULL, NULL);
}
