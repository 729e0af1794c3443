/* Structured log lines: fields, escaping, the sink. */
#include <config.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "base/log.h"

static char last_line[2048];
static int last_prio;

static void capture(int prio, const char *line)
{
	last_prio = prio;
	strncpy(last_line, line, sizeof(last_line) - 1);
}

static void fields_in_order(void **state)
{
	struct log_ctx c = { "pam_sosafe", "alice", "sshd", "192.0.2.7" };
	log_set_sink(capture);
	log_event(LOG_WARNING, &c, "lock", "%u failures within %u s", 6u, 900u);
	assert_int_equal(last_prio, LOG_WARNING);
	assert_string_equal(last_line, "pam_sosafe: event=lock user=alice service=sshd "
				       "rhost=192.0.2.7 reason=\"6 failures within 900 s\"");
	log_set_sink(NULL);
}

static void missing_values_are_dashes(void **state)
{
	struct log_ctx c = { "sosafectl", NULL, NULL, NULL };
	char buf[256];
	log_format(buf, sizeof(buf), &c, "unlock", NULL);
	assert_string_equal(buf, "event=unlock user=- service=- rhost=-");
}

static void hostile_values_cannot_forge_fields(void **state)
{
	struct log_ctx c = { "pam_sosafe", "x user=root event=success\nfake", "s s", "h\"" };
	char buf[512];
	log_format(buf, sizeof(buf), &c, "fail", "quote \" and newline \n here");
	assert_null(strchr(buf, '\n'));
	/* exactly one of each key */
	assert_non_null(strstr(buf, "event=fail "));
	assert_null(strstr(buf, "event=success"));
	assert_null(strstr(buf, " user=root"));
	const char *r = strstr(buf, "reason=\"");
	assert_non_null(r);
	/* the only quote after the opening one is the closing one at the end */
	assert_ptr_equal(strchr(r + 8, '"'), buf + strlen(buf) - 1);
}

static void long_values_are_cut(void **state)
{
	char big[5000];
	memset(big, 'u', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	struct log_ctx c = { "pam_sosafe", big, "sshd", NULL };
	log_set_sink(capture);
	log_event(LOG_NOTICE, &c, "bad-user", "%s", big);
	assert_true(strlen(last_line) < 1024);
	assert_non_null(strstr(last_line, "..."));
	log_set_sink(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fields_in_order),
		cmocka_unit_test(missing_values_are_dashes),
		cmocka_unit_test(hostile_values_cannot_forge_fields),
		cmocka_unit_test(long_values_are_cut),
	};
	return cmocka_run_group_tests_name("log", tests, NULL, NULL);
}
