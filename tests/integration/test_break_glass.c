/* break_glass=USER[,USER...]: when the module itself cannot work, a listed
 * account on a local console passes to the rest of the stack (which still
 * checks the password), logged at LOG_ALERT; never from a remote host or
 * a pseudo-terminal, never for an unlisted account, never when the daemon
 * works and says no. One state dir (and daemon) per failure cause. */
#include <config.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "tmp_store.h"

#define LISTED "break_glass=root,carol"
/* LOG_ALERT (1), the module's line of either phase: "pam_sosafe(SERVICE:PHASE):" */
#define ALERT_PRIO "1 pam_sosafe("
#define ALERT "): event=break-glass"

static struct harness H;
static char sosafed[600];

static const char *const rootpw[] = { "rootpw", NULL };
static const char *const right[] = { "right", NULL };
static const char *const wrong[] = { "wrong", NULL };

/* STATE: the scenario's state dir; conf NAME.conf naming it with LINES;
 * service NAME: Debian's common-auth pattern around pam_matrix (pam_permit
 * primes the success that the jump over pam_deny does not record), the
 * break-glass list on every sosafe line, pam_permit after the account
 * line: with every sosafe line ignored, the password alone decides. */
static void scenario(const char *name, const char *lines, char *state, size_t len)
{
	char conf[400], text[4096], path[400];
	snprintf(state, len, "%s/%s-state", H.dir, name);
	snprintf(path, sizeof(path), "%s/%s.conf", H.dir, name);
	snprintf(conf, sizeof(conf), "state_dir = %s\nnodelay = yes\nsosafed_timeout_ms = 1000\n%s",
		 state, lines);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(conf, f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, 0644), 0);
	snprintf(text, sizeof(text),
		 "auth requisite @MODULE@ preauth conf=%s " LISTED "\n"
		 "auth [success=1 default=ignore] " PAM_MATRIX " passdb=@PASSDB@\n"
		 "auth requisite pam_deny.so\n"
		 "auth required pam_permit.so\n"
		 "auth required @MODULE@ authsucc conf=%s " LISTED "\n"
		 "account required @MODULE@ conf=%s " LISTED "\n"
		 "account required pam_permit.so\n",
		 path, path, path);
	harness_service(&H, name, text);
}

static int alerts(void)
{
	return harness_log_count(&H, ALERT_PRIO, ALERT);
}

/* root on tty1 passes on the password alone, logged; a wrong password
 * still fails. */
static void expect_break_glass(const char *service, const char *cause)
{
	int before = alerts();
	assert_int_equal(harness_auth_from(&H, service, "root", rootpw, NULL, "tty1", NULL),
			 PAM_SUCCESS);
	assert_int_equal(harness_acct_from(&H, service, "root", "tty1", NULL), PAM_SUCCESS);
	assert_true(alerts() > before);
	assert_true(harness_log_count(&H, ALERT, cause) > 0);
	assert_int_not_equal(harness_auth_from(&H, service, "root", wrong, NULL, "tty1", NULL),
			     PAM_SUCCESS);
}

/* Unlisted, remote, pseudo-terminal, no terminal: refused, no alert. */
static void expect_no_break_glass(const char *service)
{
	int before = alerts();
	assert_int_not_equal(harness_auth_from(&H, service, "alice", right, NULL, "tty1", NULL),
			     PAM_SUCCESS);
	assert_int_not_equal(harness_auth_from(&H, service, "root", rootpw, NULL, "ssh",
					       "192.0.2.7"), PAM_SUCCESS);
	assert_int_not_equal(harness_auth_from(&H, service, "root", rootpw, NULL, "tty1",
					       "192.0.2.7"), PAM_SUCCESS);
	assert_int_not_equal(harness_auth_from(&H, service, "root", rootpw, NULL, "/dev/pts/0",
					       NULL), PAM_SUCCESS);
	assert_int_not_equal(harness_auth_from(&H, service, "root", rootpw, NULL, NULL, NULL),
			     PAM_SUCCESS);
	assert_int_not_equal(harness_acct_from(&H, service, "root", "/dev/pts/0", NULL),
			     PAM_SUCCESS);
	assert_int_equal(alerts(), before);
}

static void bad_config(void **state)
{
	(void)state;
	char dir[300];
	scenario("badconf", "denny = 3\n", dir, sizeof(dir));
	expect_break_glass("badconf", "configuration unusable");
	expect_no_break_glass("badconf");
	/* the other local consoles */
	const char *const consoles[] = { "/dev/tty2", "/dev/console", ":0", ":1.0" };
	for (size_t i = 0; i < sizeof(consoles) / sizeof(consoles[0]); i++)
		assert_int_equal(harness_auth_from(&H, "badconf", "carol", right, NULL, consoles[i],
						   "localhost"), PAM_SUCCESS);
}

static void daemon_missing(void **state)
{
	(void)state;
	char dir[300], lines[700];
	snprintf(lines, sizeof(lines), "sosafed_path = %s/no-such-sosafed\n", H.dir);
	scenario("missing", lines, dir, sizeof(dir));
	assert_int_equal(mkdir(dir, 0755), 0);
	expect_break_glass("missing", "sosafed unreachable");
	expect_no_break_glass("missing");
}

/* accepts connections (the backlog does) and never answers */
static void daemon_late(void **state)
{
	(void)state;
	char dir[300], lines[700];
	snprintf(lines, sizeof(lines), "sosafed_path = %s\nsosafed_timeout_ms = 200\n", sosafed);
	scenario("late", lines, dir, sizeof(dir));
	assert_int_equal(mkdir(dir, 0755), 0);
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s/sosafed.sock", dir);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	assert_int_equal(listen(fd, 64), 0);
	expect_break_glass("late", "sosafed unreachable");
	close(fd);
}

static pid_t lock_pid(const char *dir)
{
	char path[400], buf[32] = "";
	snprintf(path, sizeof(path), "%s/sosafed.lock", dir);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return (pid_t)strtol(buf, NULL, 10);
}

/* a running daemon killed, and it cannot be started again */
static void daemon_killed(void **state)
{
	(void)state;
	char dir[300], lines[700], copy[400], cmd[1200];
	snprintf(copy, sizeof(copy), "%s/sosafed-copy", H.dir);
	snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", sosafed, copy);
	assert_int_equal(system(cmd), 0);
	snprintf(lines, sizeof(lines), "sosafed_path = %s\n", copy);
	scenario("killed", lines, dir, sizeof(dir));
	struct store *st;
	assert_int_equal(tmp_store_create(dir, &st), 0);
	store_close(st);
	assert_int_equal(harness_auth_from(&H, "killed", "alice", right, NULL, "tty1", NULL),
			 PAM_SUCCESS);   /* the daemon works (started on first use) */
	pid_t pid = lock_pid(dir);
	assert_true(pid > 1);
	assert_int_equal(unlink(copy), 0);
	assert_int_equal(kill(pid, SIGKILL), 0);
	char path[400];
	snprintf(path, sizeof(path), "%s/sosafed.lock", dir);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	for (int i = 0; i < 500 && flock(fd, LOCK_EX | LOCK_NB) < 0; i++) {
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	close(fd);
	expect_break_glass("killed", "sosafed unreachable");
	expect_no_break_glass("killed");
}

/* the daemon runs, but the store is garbage: SD_UNAVAILABLE */
static void store_corrupt(void **state)
{
	(void)state;
	char dir[300], lines[700], path[400];
	snprintf(lines, sizeof(lines), "sosafed_path = %s\n", sosafed);
	scenario("corrupt", lines, dir, sizeof(dir));
	assert_int_equal(mkdir(dir, 0755), 0);
	snprintf(path, sizeof(path), "%s/state.db", dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	for (int i = 0; i < 512; i++)
		fputs("this is not an SQLite database. ", f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, 0600), 0);
	expect_break_glass("corrupt", "store unusable");
	expect_no_break_glass("corrupt");
}

/* the daemon runs, but the store was never created (or was deleted) */
static void store_missing(void **state)
{
	(void)state;
	char dir[300], lines[700];
	snprintf(lines, sizeof(lines), "sosafed_path = %s\n", sosafed);
	scenario("nostore", lines, dir, sizeof(dir));
	assert_int_equal(mkdir(dir, 0755), 0);
	expect_break_glass("nostore", "store unusable");
	expect_no_break_glass("nostore");
}

/* The daemon works and says no: no break-glass, even for a listed
 * account on a console. */
static void daemon_says_no(void **state)
{
	(void)state;
	char dir[300], lines[700];
	snprintf(lines, sizeof(lines), "sosafed_path = %s\ndeny = 3\n", sosafed);
	scenario("works", lines, dir, sizeof(dir));
	struct store *st;
	assert_int_equal(tmp_store_create(dir, &st), 0);
	store_close(st);
	int before = alerts();
	for (int i = 0; i < 3; i++)
		assert_int_not_equal(harness_auth_from(&H, "works", "carol", wrong, NULL, "tty1",
						       NULL), PAM_SUCCESS);
	assert_int_not_equal(harness_auth_from(&H, "works", "carol", right, NULL, "tty1", NULL),
			     PAM_SUCCESS);   /* locked */
	assert_int_not_equal(harness_acct_from(&H, "works", "carol", "tty1", NULL), PAM_SUCCESS);
	assert_int_equal(alerts(), before);
	assert_int_equal(harness_auth_from(&H, "works", "root", rootpw, NULL, "tty1", NULL),
			 PAM_SUCCESS);
	assert_int_equal(alerts(), before);
}

int main(int argc, char **argv)
{
	(void)argc;
	harness_setup(&H, argv, NULL);
	const char *top = getenv("abs_top_builddir");
	snprintf(sosafed, sizeof(sosafed), "%s/sosafed/sosafed", top ? top : ".");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(bad_config),
		cmocka_unit_test(daemon_missing),
		cmocka_unit_test(daemon_late),
		cmocka_unit_test(daemon_killed),
		cmocka_unit_test(store_corrupt),
		cmocka_unit_test(store_missing),
		cmocka_unit_test(daemon_says_no),
	};
	return cmocka_run_group_tests_name("break_glass", tests, NULL, NULL);
}
