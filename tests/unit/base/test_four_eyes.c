/* four_eyes, four_eyes_ttl and privileged_groups: parsing and dump round trip. */
#include <config.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/conf.h"
#include "base/four_eyes.h"

static int parse(struct sosafe_config *c, const char *text, struct sosafe_err *e)
{
	config_defaults(c);
	return config_parse_text(c, text, strlen(text), "test.conf", e);
}

static void defaults_are_off(void **state)
{
	(void)state;
	struct sosafe_config c;
	config_defaults(&c);
	assert_int_equal(c.four_eyes, 0);
	assert_int_equal(c.four_eyes_ttl, 86400);
	assert_non_null(strstr(c.privileged_groups, "sudo"));
	assert_non_null(strstr(c.privileged_groups, "domain admins"));
}

static void lists(void **state)
{
	(void)state;
	struct sosafe_config c;
	struct sosafe_err err;
	assert_int_equal(parse(&c, "four_eyes = unlock, reset-otp,exempt  purge\n", &err), 0);
	assert_int_equal(c.four_eyes, FE_UNLOCK | FE_RESET_OTP | FE_ENROLL_WINDOW | FE_PURGE);
	assert_int_equal(parse(&c, "four_eyes = all\n", &err), 0);
	assert_int_equal(c.four_eyes, FE_ALL);
	for (unsigned b = 1; b <= FE_BACKUP; b <<= 1)
		assert_true(c.four_eyes & b && four_eyes_name(b) && four_eyes_bit(four_eyes_name(b)) == b);
	assert_int_equal(parse(&c, "four_eyes = none\n", &err), 0);
	assert_int_equal(c.four_eyes, 0);
	assert_int_equal(parse(&c, "four_eyes =\n", &err), 0);
	assert_int_equal(c.four_eyes, 0);
	assert_int_equal(parse(&c, "four_eyes_ttl = 2h\n", &err), 0);
	assert_int_equal(c.four_eyes_ttl, 7200);
}

static void bad_values(void **state)
{
	(void)state;
	struct sosafe_config c;
	struct sosafe_err err;
	assert_int_equal(parse(&c, "four_eyes = unlock, unlcok\n", &err), -1);
	assert_non_null(strstr(err.msg, "did you mean 'unlock'?"));
	assert_null(strstr(err.msg, "unlcok"));   /* never the line's text */
	assert_non_null(strstr(err.msg, "four_eyes"));
	assert_int_equal(parse(&c, "four_eyes = unlock;purge\n", &err), -1);
	assert_int_equal(parse(&c, "four_eyes_ttl = 10s\n", &err), -1);
	assert_int_equal(parse(&c, "four_eyes_ttl = 31d\n", &err), -1);
	char longword[100];
	memset(longword, 'a', sizeof(longword) - 1);
	longword[sizeof(longword) - 1] = '\0';
	char text[200];
	snprintf(text, sizeof(text), "four_eyes = %s\n", longword);
	assert_int_equal(parse(&c, text, &err), -1);
}

static void dump_parses_back(void **state)
{
	(void)state;
	struct sosafe_config c, d;
	struct sosafe_err err;
	assert_int_equal(parse(&c, "four_eyes = audit-reveal, recovery-codes, enroll\n"
			       "privileged_groups = wheel, domain admins\n", &err), 0);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	config_dump(&c, f);
	fclose(f);
	assert_non_null(strstr(buf, "four_eyes = recovery-codes, enroll, audit-reveal\n"));
	assert_int_equal(parse(&d, buf, &err), 0);
	assert_int_equal(d.four_eyes, c.four_eyes);
	assert_string_equal(d.privileged_groups, "wheel, domain admins");
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(defaults_are_off),
		cmocka_unit_test(lists),
		cmocka_unit_test(bad_values),
		cmocka_unit_test(dump_parses_back),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
