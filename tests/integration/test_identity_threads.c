/* Two PAM stacks in one process, one with log_identity=pseudonym and one
 * without, run from two threads at once (the FreeRADIUS/OpenVPN model):
 * each must name its users its own way in syslog lines and audit records,
 * never the other's. Syslog lines (of the module and of the daemon that
 * writes the event lines) are caught by tests/lib/syslog_capture.c. */
#include <config.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <pwd.h>
#include <security/pam_appl.h>
#include <stdbool.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"

#define ROUNDS 60

static struct harness H;

struct job {
	const char *service, *user;
	int unexpected;
};

/* LINE ("PRIORITY TEXT") starts with pam_sosafe(SERVICE:auth) or
 * pam_sosafe(SERVICE:account). */
static bool phase_prefixed(const char *line, const char *service)
{
	const char *text = strchr(line, ' ');
	char want[64];
	if (!text)
		return false;
	text++;
	snprintf(want, sizeof(want), "pam_sosafe(%s:auth): ", service);
	if (!strncmp(text, want, strlen(want)))
		return true;
	snprintf(want, sizeof(want), "pam_sosafe(%s:account): ", service);
	return !strncmp(text, want, strlen(want));
}

/* ROUNDS logins with the right password: a success line and record each. */
static void *run(void *arg)
{
	static const char *const right[] = { "right", NULL };
	struct job *j = arg;
	for (int i = 0; i < ROUNDS; i++)
		if (harness_auth(&H, j->service, j->user, right, NULL) != PAM_SUCCESS)
			j->unexpected++;
	return NULL;
}

static int count_records(const char *where)
{
	sqlite3 *db = NULL;
	char path[400], sql[300];
	snprintf(path, sizeof(path), "%s/state.db", H.state_dir);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM audit WHERE %s", where);
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	sqlite3_stmt *q = NULL;
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &q, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	int n = sqlite3_column_int(q, 0);
	sqlite3_finalize(q);
	sqlite3_close(db);
	return n;
}

static void each_handle_names_users_its_own_way(void **state)
{
	(void)state;
	harness_password_stack(&H, "pseudo", "log_identity=pseudonym");
	harness_password_stack(&H, "plain", "");
	struct job a = { "pseudo", "alice", 0 }, b = { "plain", "bob", 0 };
	/* nss_wrapper loads its passwd file on the first lookup without a
	 * lock: load it here, before two threads look users up at once. */
	assert_non_null(getpwnam(a.user));
	assert_non_null(getpwnam(b.user));
	pthread_t ta, tb;
	assert_int_equal(pthread_create(&ta, NULL, run, &a), 0);
	assert_int_equal(pthread_create(&tb, NULL, run, &b), 0);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	assert_int_equal(a.unexpected, 0);
	assert_int_equal(b.unexpected, 0);

	/* whoever writes it (module or daemon), a decision line starts like
	 * pam_syslog's: "PRIORITY pam_sosafe(SERVICE:PHASE): event=..." */
	int pseudo_lines = 0, plain_lines = 0, wrong = 0;
	FILE *f = fopen(H.syslog, "re");
	assert_non_null(f);
	char line[2048];
	while (fgets(line, sizeof(line), f)) {
		bool misnamed = false;
		if (!strstr(line, "event="))
			continue;
		if (strstr(line, " service=pseudo")) {
			pseudo_lines++;
			misnamed = !strstr(line, " user=pn:") || strstr(line, "alice") ||
				   !phase_prefixed(line, "pseudo");
		} else if (strstr(line, " service=plain")) {
			plain_lines++;
			misnamed = !strstr(line, " user=bob ") || !phase_prefixed(line, "plain");
		}
		if (misnamed && wrong++ == 0)
			print_message("# first misnamed line: %s", line);
	}
	fclose(f);
	assert_true(pseudo_lines >= ROUNDS);
	assert_true(plain_lines >= ROUNDS);
	assert_int_equal(wrong, 0);

	assert_true(count_records("service = 'pseudo'") >= ROUNDS);
	assert_true(count_records("service = 'plain'") >= ROUNDS);
	assert_int_equal(count_records("service = 'pseudo' AND user NOT LIKE 'pn:%'"), 0);
	assert_int_equal(count_records("service = 'plain' AND user != 'bob'"), 0);
}

int main(int argc, char **argv)
{
	(void)argc;
	harness_setup(&H, argv, NULL);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(each_handle_names_users_its_own_way),
	};
	return cmocka_run_group_tests_name("identity_threads", tests, NULL, NULL);
}
