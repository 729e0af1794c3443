/* spawn_detached(): the started program keeps nothing of its caller. The
 * caller here blocks and ignores signals, holds an extra descriptor, runs
 * niced under SCHED_BATCH with another umask and cwd, and (as root) has a
 * real uid, real gid and supplementary group of someone else, like su run
 * by a user; spawn_probe reports what it got. */
#include <config.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tmp_dir.h"
#include "client/spawn.h"

#define OTHER_UID 4711
#define OTHER_GID 4712

static char dir[TMP_DIR_LEN];
static char out[128];
static char probe[4096];
static char report[4096];

static void on_hup(int sig)
{
	(void)sig;
}

static int setup(void **state)
{
	(void)state;
	assert_int_equal(tmp_dir_make(dir, "spawn"), 0);
	snprintf(out, sizeof(out), "%s/report", dir);
	const char *b = getenv("abs_top_builddir");
	snprintf(probe, sizeof(probe), "%s/tests/unit/client/spawn_probe", b ? b : ".");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	assert_int_equal(tmp_dir_remove(dir), 0);
	return 0;
}

/* The value of "KEY ..." in the report, or NULL. */
static const char *field(const char *key)
{
	static char val[1024];
	size_t klen = strlen(key);
	for (const char *p = report; *p;) {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p);
		if (len > klen && !strncmp(p, key, klen) && p[klen] == ' ') {
			snprintf(val, sizeof(val), "%.*s", (int)(len - klen - 1), p + klen + 1);
			return val;
		}
		if (!eol)
			break;
		p = eol + 1;
	}
	return NULL;
}

static long num(const char *key)
{
	const char *v = field(key);
	assert_non_null(v);
	return strtol(v, NULL, 10);
}

static void wait_report(void)
{
	for (int i = 0; i < 1000; i++) {
		FILE *f = fopen(out, "re");
		if (f) {
			size_t n = fread(report, 1, sizeof(report) - 1, f);
			report[n] = '\0';
			fclose(f);
			return;
		}
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	fail_msg("spawn_probe wrote no report to %s", out);
}

static void test_detached(void **state)
{
	(void)state;
	bool root = geteuid() == 0;
	sigset_t block, old_mask;
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &old_mask);
	struct sigaction ign = { .sa_handler = SIG_IGN }, hup = { .sa_handler = on_hup }, o1, o2;
	sigaction(SIGINT, &ign, &o1);
	sigaction(SIGHUP, &hup, &o2);
	int extra = open("/dev/zero", O_RDONLY);   /* no O_CLOEXEC: inheritable */
	assert_true(extra > 2);
	int old_nice = getpriority(PRIO_PROCESS, 0);
	assert_int_equal(setpriority(PRIO_PROCESS, 0, 5), 0);
	struct sched_param sp = { .sched_priority = 0 };
	assert_int_equal(sched_setscheduler(0, SCHED_BATCH, &sp), 0);
	mode_t old_umask = umask(022);
	assert_int_equal(chdir(dir), 0);
	setenv("SOSAFE_SPAWN_MARK", "inherited", 1);
	gid_t old_groups[64];
	int old_ngroups = getgroups(64, old_groups);
	if (root) {
		gid_t g[2] = { 0, OTHER_GID };
		assert_int_equal(setgroups(2, g), 0);
		assert_int_equal(setresgid(OTHER_GID, 0, 0), 0);
		assert_int_equal(setresuid(OTHER_UID, 0, 0), 0);
	}

	char *argv[] = { "spawn_probe", out, NULL };
	struct sosafe_err e;
	int rc = spawn_detached(probe, argv, &e);

	if (root) {
		assert_int_equal(setresuid(0, 0, 0), 0);
		assert_int_equal(setresgid(0, 0, 0), 0);
		assert_int_equal(setgroups((size_t)old_ngroups, old_groups), 0);
	}
	sigprocmask(SIG_SETMASK, &old_mask, NULL);
	sigaction(SIGINT, &o1, NULL);
	sigaction(SIGHUP, &o2, NULL);
	close(extra);
	umask(old_umask);
	sched_setscheduler(0, SCHED_OTHER, &sp);
	if (root)
		setpriority(PRIO_PROCESS, 0, old_nice);
	assert_int_equal(chdir("/"), 0);
	assert_int_equal(rc, 0);

	wait_report();
	uid_t me = geteuid();
	gid_t my_gid = getegid();
	char want[64];
	snprintf(want, sizeof(want), "%u %u %u", me, me, me);
	assert_string_equal(field("uid"), want);
	snprintf(want, sizeof(want), "%u %u %u", my_gid, my_gid, my_gid);
	assert_string_equal(field("gid"), want);
	if (root) {
		assert_string_equal(field("groups"), "0");
		assert_int_equal(num("nice"), 0);
	}
	/* a new session it does not lead: no controlling terminal, ever */
	assert_int_not_equal(num("sid"), getsid(0));
	assert_int_not_equal(num("sid"), num("pid"));
	assert_int_equal(num("pgid"), num("sid"));
	assert_int_equal(num("tty"), 0);
	assert_int_not_equal(num("ppid"), getpid());
	assert_string_equal(field("fds"), "0 1 2");
	assert_string_equal(field("fd0"), "/dev/null");
	assert_string_equal(field("fd1"), "/dev/null");
	assert_string_equal(field("fd2"), "/dev/null");
	assert_int_equal(num("blocked"), 0);
	assert_int_equal(num("ignored"), 0);
	assert_int_equal(num("sched"), SCHED_OTHER);
	assert_string_equal(field("umask"), "077");
	assert_string_equal(field("cwd"), "/");
	/* not setuid: the environment is handed on (the test wrappers need it) */
	assert_string_equal(field("mark"), "inherited");
}

/* A setuid-root program run by nobody (su, sudo): the daemon it starts
 * runs with every uid 0, none of the user's groups, and none of the
 * user's environment. Root only (installs a setuid copy of spawn_run). */
static void test_setuid_caller(void **state)
{
	(void)state;
	if (geteuid() != 0)
		skip();
	char runner[128], cmd[8400];
	const char *b = getenv("abs_top_builddir");
	snprintf(runner, sizeof(runner), "%s/spawn_run", dir);
	snprintf(cmd, sizeof(cmd), "cp '%s/tests/unit/client/spawn_run' '%s' && chown 0:0 '%s' && "
		 "chmod 4755 '%s'", b ? b : ".", runner, runner, runner);
	assert_int_equal(system(cmd), 0);
	unlink(out);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		gid_t nogroup = 65534;
		if (setgroups(1, &nogroup) || setresgid(65534, 65534, 65534) ||
		    setresuid(65534, 65534, 65534))
			_exit(3);
		setenv("SOSAFE_SPAWN_MARK", "from-the-user", 1);
		execl(runner, "spawn_run", probe, out, (char *)NULL);
		_exit(4);
	}
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	wait_report();
	assert_string_equal(field("uid"), "0 0 0");
	assert_string_equal(field("gid"), "65534 65534 65534");
	assert_string_equal(field("groups"), "65534");
	assert_string_equal(field("mark"), "-");
	assert_string_equal(field("fds"), "0 1 2");
	assert_int_equal(num("tty"), 0);
}

static void test_missing_program(void **state)
{
	(void)state;
	char path[128];
	snprintf(path, sizeof(path), "%s/no-such-daemon", dir);
	char *argv[] = { "no-such-daemon", NULL };
	struct sosafe_err e;
	assert_int_equal(spawn_detached(path, argv, &e), -1);
	assert_non_null(strstr(e.msg, "No such file"));
	assert_int_equal(spawn_detached(dir, argv, &e), -1);
	assert_non_null(strstr(e.msg, "not an executable"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_detached),
		cmocka_unit_test(test_setuid_caller),
		cmocka_unit_test(test_missing_program),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
