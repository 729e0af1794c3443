/* Structured log lines: fields, escaping, the sink. */
#include <config.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
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
	struct log_ctx c = { "pam_sosafe", "alice", "sshd", "192.0.2.7", NULL, NULL };
	log_set_sink(capture);
	log_event(LOG_WARNING, &c, "lock", "%u failures within %u s", 6u, 900u);
	assert_int_equal(last_prio, LOG_WARNING);
	assert_string_equal(last_line, "pam_sosafe: event=lock user=alice service=sshd "
				       "rhost=192.0.2.7 reason=\"6 failures within 900 s\"");
	log_set_sink(NULL);
}

static void missing_values_are_dashes(void **state)
{
	struct log_ctx c = { "sosafectl", NULL, NULL, NULL, NULL, NULL };
	char buf[256];
	log_format(buf, sizeof(buf), &c, "unlock", NULL);
	assert_string_equal(buf, "event=unlock user=- service=- rhost=-");
}

static void hostile_values_cannot_forge_fields(void **state)
{
	struct log_ctx c = { "pam_sosafe", "x user=root event=success\nfake", "s s", "h\"", NULL, NULL };
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
	struct log_ctx c = { "pam_sosafe", big, "sshd", NULL, NULL, NULL };
	log_set_sink(capture);
	log_event(LOG_NOTICE, &c, "bad-user", "%s", big);
	assert_true(strlen(last_line) < 1024);
	assert_non_null(strstr(last_line, "..."));
	log_set_sink(NULL);
}

static const char *masked(const struct log_identity *id, const char *user, char *buf, size_t len)
{
	snprintf(buf, len, "pn:%zu", strlen(user));
	return buf;
}

/* Each line names its user the way its own context says, whatever the
 * context before it said: nothing carries over between callers. */
static void identity_comes_from_the_ctx(void **state)
{
	static const struct log_identity pseudonyms = { .pseudonym = true, .shown = masked };
	struct log_ctx hidden = { "pam_sosafe", "alice", "radiusd", NULL, &pseudonyms, NULL };
	struct log_ctx plain = { "pam_sosafe", "bob", "openvpn", NULL, NULL, NULL };
	char buf[256];
	for (int i = 0; i < 2; i++) {
		log_format(buf, sizeof(buf), &hidden, "success", NULL);
		assert_string_equal(buf, "event=success user=pn:5 service=radiusd rhost=-");
		log_format(buf, sizeof(buf), &plain, "success", NULL);
		assert_string_equal(buf, "event=success user=bob service=openvpn rhost=-");
	}
	/* an empty user stays "-": there is nobody to hide */
	hidden.user = "";
	log_format(buf, sizeof(buf), &hidden, "error", NULL);
	assert_string_equal(buf, "event=error user=- service=radiusd rhost=-");
}

/* With a phase, a line starts the way pam_syslog's do, so one text search
 * finds it whichever process wrote it; without one (sosafectl) the prefix is
 * the bare ident. */
static void phase_gives_the_pam_syslog_prefix(void **state)
{
	struct log_ctx c = { "pam_sosafe", "alice", "sshd", "192.0.2.7", NULL, "auth" };
	log_set_sink(capture);
	log_event(LOG_WARNING, &c, "lock", NULL);
	assert_string_equal(last_line, "pam_sosafe(sshd:auth): event=lock user=alice service=sshd "
				       "rhost=192.0.2.7");
	c.phase = "account";
	c.service = NULL;
	log_event(LOG_NOTICE, &c, "refuse", NULL);
	assert_string_equal(last_line, "pam_sosafe(-:account): event=refuse user=alice service=- "
				       "rhost=192.0.2.7");
	struct log_ctx ctl = { .ident = "sosafectl", .user = "bob" };
	log_event(LOG_NOTICE, &ctl, "unlock", NULL);
	assert_string_equal(last_line, "sosafectl: event=unlock user=bob service=- rhost=-");
	log_set_sink(NULL);
}

/* A service name cannot end the prefix early or start a new line. */
static void hostile_service_cannot_forge_the_prefix(void **state)
{
	struct log_ctx c = { .ident = "pam_sosafe", .service = "x:auth): event=success\n",
			     .phase = "auth" };
	char buf[128];
	log_prefix(buf, sizeof(buf), &c);
	assert_string_equal(buf, "pam_sosafe(x\\x3aauth\\x29\\x3a\\x20event\\x3dsuccess\\x0a:auth)");
	char big[300];
	memset(big, 's', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	c.service = big;
	log_prefix(buf, sizeof(buf), &c);
	assert_true(strlen(buf) < 96);
	assert_non_null(strstr(buf, ":auth)"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fields_in_order),
		cmocka_unit_test(missing_values_are_dashes),
		cmocka_unit_test(hostile_values_cannot_forge_fields),
		cmocka_unit_test(long_values_are_cut),
		cmocka_unit_test(identity_comes_from_the_ctx),
		cmocka_unit_test(phase_gives_the_pam_syslog_prefix),
		cmocka_unit_test(hostile_service_cannot_forge_the_prefix),
	};
	return cmocka_run_group_tests_name("log", tests, NULL, NULL);
}
