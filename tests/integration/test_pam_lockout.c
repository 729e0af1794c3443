/* Lockout through the real libpam: pam_start_confdir() with private service
 * files, users from nss_wrapper, passwords from pam_matrix. */
#include <config.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "lockout/lockout.h"

static struct harness H;

/* The Debian common-auth pattern: every failure comes out of pam_deny. */
static void stack(const char *name, const char *opts)
{
	harness_password_stack(&H, name, opts);
}

static const char *const WRONG[] = { "wrong", NULL };
static const char *const RIGHT[] = { "right", NULL };

static void lockout_at_exactly_six(void **state)
{
	stack("std", "");
	struct tally t;
	/* five failures, then success clears them */
	for (int i = 0; i < 5; i++)
		assert_int_equal(harness_auth(&H, "std", "alice", WRONG, NULL), PAM_AUTH_ERR);
	assert_true(harness_tally(&H, "alice", &t));
	assert_int_equal(t.nfails, 5);
	assert_int_equal(harness_auth(&H, "std", "alice", RIGHT, NULL), PAM_SUCCESS);
	assert_true(harness_tally(&H, "alice", &t));
	assert_int_equal(t.nfails, 0);
	assert_true(t.last_success > 0);
	/* six failures lock; the right password is then refused */
	for (int i = 0; i < 6; i++)
		assert_int_equal(harness_auth(&H, "std", "alice", WRONG, NULL), PAM_AUTH_ERR);
	assert_true(harness_tally(&H, "alice", &t));
	assert_true(t.locked_until > time(NULL));
	assert_int_equal(harness_auth(&H, "std", "alice", RIGHT, NULL), PAM_AUTH_ERR);
	assert_int_equal(harness_acct(&H, "std", "alice"), PAM_PERM_DENIED);
	/* other users are not affected */
	assert_int_equal(harness_auth(&H, "std", "bob", RIGHT, NULL), PAM_SUCCESS);
	assert_int_equal(harness_acct(&H, "std", "bob"), PAM_SUCCESS);
}

static void sixth_attempt_right_is_accepted(void **state)
{
	stack("std", "");
	for (int i = 0; i < 5; i++)
		harness_auth(&H, "std", "dave", WRONG, NULL);
	assert_int_equal(harness_auth(&H, "std", "dave", RIGHT, NULL), PAM_SUCCESS);
	assert_int_equal(harness_acct(&H, "std", "dave"), PAM_SUCCESS);
}

static void unlock_after_time(void **state)
{
	/* long enough that six attempts fit in it on a loaded machine */
	stack("short", "unlock_time=4");
	for (int i = 0; i < 6; i++)
		harness_auth(&H, "short", "bob", WRONG, NULL);
	assert_int_equal(harness_auth(&H, "short", "bob", RIGHT, NULL), PAM_AUTH_ERR);
	struct timespec ts = { 4, 200000000 };
	nanosleep(&ts, NULL);
	assert_int_equal(harness_auth(&H, "short", "bob", RIGHT, NULL), PAM_SUCCESS);
}

static void root_rules(void **state)
{
	static const char *const ROOTPW[] = { "rootpw", NULL };
	stack("rootdef", "");
	for (int i = 0; i < 10; i++)
		assert_int_equal(harness_auth(&H, "rootdef", "root", WRONG, NULL), PAM_AUTH_ERR);
	assert_int_equal(harness_auth(&H, "rootdef", "root", ROOTPW, NULL), PAM_SUCCESS);
	assert_int_equal(harness_acct(&H, "rootdef", "root"), PAM_SUCCESS);

	stack("rootdeny", "even_deny_root root_unlock_time=4 unlock_time=600");
	for (int i = 0; i < 6; i++)
		harness_auth(&H, "rootdeny", "root", WRONG, NULL);
	assert_int_equal(harness_auth(&H, "rootdeny", "root", ROOTPW, NULL), PAM_AUTH_ERR);
	struct timespec ts = { 4, 200000000 };
	nanosleep(&ts, NULL);
	/* root_unlock_time (4 s), not unlock_time (600 s), applies to root */
	assert_int_equal(harness_auth(&H, "rootdeny", "root", ROOTPW, NULL), PAM_SUCCESS);

	/* admin_group members are handled like root */
	stack("admins", "admin_group=wheel");
	for (int i = 0; i < 8; i++)
		harness_auth(&H, "admins", "carol", WRONG, NULL);
	assert_int_equal(harness_auth(&H, "admins", "carol", RIGHT, NULL), PAM_SUCCESS);
}

static void account_only_never_resets(void **state)
{
	stack("std", "");
	struct tally t;
	for (int i = 0; i < 3; i++)
		harness_auth(&H, "std", "erin", WRONG, NULL);
	for (int i = 0; i < 20; i++)
		assert_int_equal(harness_acct(&H, "std", "erin"), PAM_SUCCESS);
	assert_true(harness_tally(&H, "erin", &t));
	assert_int_equal(t.nfails, 3);
	for (int i = 0; i < 3; i++)
		harness_auth(&H, "std", "erin", WRONG, NULL);
	for (int i = 0; i < 5; i++)
		assert_int_equal(harness_acct(&H, "std", "erin"), PAM_PERM_DENIED);
	assert_true(harness_tally(&H, "erin", &t));
	assert_int_equal(t.nfails, 6);
	assert_true(t.locked_until > 0);
}

static void unknown_known_locked_look_the_same(void **state)
{
	stack("same", "");
	struct transcript unknown, wrong, locked;
	for (int i = 0; i < 6; i++)
		harness_auth(&H, "same", "frank", WRONG, NULL);
	int rc_unknown = harness_auth(&H, "same", "nosuchuser", WRONG, &unknown);
	int rc_wrong = harness_auth(&H, "same", "grace", WRONG, &wrong);
	int rc_locked = harness_auth(&H, "same", "frank", RIGHT, &locked);
	assert_int_equal(rc_unknown, PAM_AUTH_ERR);
	assert_int_equal(rc_wrong, PAM_AUTH_ERR);
	assert_int_equal(rc_locked, PAM_AUTH_ERR);
	assert_string_equal(unknown.text, wrong.text);
	assert_string_equal(locked.text, wrong.text);
	assert_int_equal(wrong.nprompts, 1);
	assert_null(strstr(wrong.text, "X:"));
	/* show_lock opts in to telling the user, as PAM_TEXT_INFO only */
	stack("tell", "show_lock");
	harness_auth(&H, "tell", "frank", RIGHT, &locked);
	assert_non_null(strstr(locked.text, "I:The account is locked"));
	assert_null(strstr(locked.text, "X:"));
}

static void hostile_names(void **state)
{
	stack("std", "");
	char big[10240];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	const char *names[] = { "../x", "a/b", "ctl\x01name", "new\nline", big, "\xff\xfe" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct tally t;
		assert_int_equal(harness_auth(&H, "std", names[i], RIGHT, NULL), PAM_AUTH_ERR);
		assert_int_not_equal(harness_acct(&H, "std", names[i]), PAM_SUCCESS);
		assert_false(harness_tally(&H, names[i], &t));
	}
}

static void config_errors_fail_closed(void **state)
{
	harness_service(&H, "badkey",
			"auth requisite @MODULE@ preauth conf=@CONF@ denny=3\n"
			"auth required pam_permit.so\n"
			"account required @MODULE@ conf=@CONF@ bogus\n");
	assert_int_not_equal(harness_auth(&H, "badkey", "alice", RIGHT, NULL), PAM_SUCCESS);
	assert_int_not_equal(harness_acct(&H, "badkey", "alice"), PAM_SUCCESS);
	harness_service(&H, "nomode",
			"auth required @MODULE@ conf=@CONF@\n"
			"auth required pam_permit.so\n");
	assert_int_not_equal(harness_auth(&H, "nomode", "alice", RIGHT, NULL), PAM_SUCCESS);
	harness_service(&H, "noconf",
			"auth requisite @MODULE@ preauth conf=/nonexistent/sosafe.conf\n"
			"auth required pam_permit.so\n");
	assert_int_not_equal(harness_auth(&H, "noconf", "alice", RIGHT, NULL), PAM_SUCCESS);
}

/* Run one fault: MUTATE breaks the store, every call must deny, FIX repairs. */
static void expect_denied_everywhere(const char *what)
{
	if (harness_auth(&H, "std", "grace", RIGHT, NULL) == PAM_SUCCESS)
		fail_msg("auth succeeded with %s", what);
	if (harness_acct(&H, "std", "grace") == PAM_SUCCESS)
		fail_msg("account succeeded with %s", what);
}

static void run(const char *cmd)
{
	if (system(cmd) != 0)
		fail_msg("command failed: %s", cmd);
}

static void store_faults_deny(void **state)
{
	char db[400], cmd[1200];
	stack("std", "");
	snprintf(db, sizeof(db), "%s/state.db", H.state_dir);
	assert_int_equal(harness_auth(&H, "std", "grace", RIGHT, NULL), PAM_SUCCESS);

	snprintf(cmd, sizeof(cmd), "cp -p %s %s.keep", db, db);
	run(cmd);
	/* deleted */
	snprintf(cmd, sizeof(cmd), "rm -f %s %s-wal %s-shm", db, db, db);
	run(cmd);
	expect_denied_everywhere("a deleted store");
	/* readable by others */
	snprintf(cmd, sizeof(cmd), "cp -p %s.keep %s && chmod 0644 %s", db, db, db);
	run(cmd);
	expect_denied_everywhere("a world-readable store");
	/* corrupted header */
	snprintf(cmd, sizeof(cmd),
		 "chmod 0600 %s && printf 'garbage garbage garbage garbage!' | dd of=%s conv=notrunc 2>/dev/null",
		 db, db);
	run(cmd);
	expect_denied_everywhere("a corrupted store");
	/* replaced by a directory */
	snprintf(cmd, sizeof(cmd), "rm -f %s && mkdir %s", db, db);
	run(cmd);
	expect_denied_everywhere("a directory as store");
	/* replaced by a symlink to a good copy */
	snprintf(cmd, sizeof(cmd), "rmdir %s && ln -s %s.keep %s", db, db, db);
	run(cmd);
	expect_denied_everywhere("a symlinked store");
	/* state dir writable by others */
	snprintf(cmd, sizeof(cmd), "rm -f %s && cp -p %s.keep %s && chmod 0777 %s", db, db, db,
		 H.state_dir);
	run(cmd);
	expect_denied_everywhere("a world-writable state dir");
	/* repaired: works again */
	snprintf(cmd, sizeof(cmd), "chmod 0755 %s", H.state_dir);
	run(cmd);
	assert_int_equal(harness_auth(&H, "std", "grace", RIGHT, NULL), PAM_SUCCESS);
}

static void forget(const char *user);

/* A client killed while the password prompt is open: the guess stays counted. */
static void killed_client_keeps_the_attempt(void **state)
{
	static const char *const HANG[] = { "__hang__", NULL };
	stack("std", "");
	forget("bob");
	for (int round = 1; round <= 3; round++) {
		pid_t pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			harness_auth(&H, "std", "bob", HANG, NULL);
			_exit(0);
		}
		struct tally t;
		int waited = 0;
		do {
			struct timespec ts = { 0, 10000000 };
			nanosleep(&ts, NULL);
		} while ((!harness_tally(&H, "bob", &t) || t.attempts < round) && ++waited < 1000);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		assert_true(harness_tally(&H, "bob", &t));
		assert_int_equal(t.nfails, round);
	}
}

static void forget(const char *user)
{
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "sqlite3 %s/state.db \"DELETE FROM tally WHERE user='%s'\"",
		 H.state_dir, user);
	run(cmd);
}

/* NPROC processes, EACH attempts with ANSWERS: returns how many succeeded. */
static int hammer_processes(const char *user, int nproc, int each, const char *const *answers)
{
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	for (int p = 0; p < nproc; p++) {
		pid_t pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			close(fds[0]);
			for (int i = 0; i < each; i++)
				if (harness_auth(&H, "conc", user, answers, NULL) == PAM_SUCCESS)
					(void)!write(fds[1], "s", 1);
			_exit(0);
		}
	}
	close(fds[1]);
	int ok = 0;
	char c;
	while (read(fds[0], &c, 1) == 1)
		ok++;
	close(fds[0]);
	for (int p = 0; p < nproc; p++) {
		int status;
		wait(&status);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	return ok;
}

/* 32 processes x 50 wrong attempts on one user: every attempt recorded,
 * exactly `deny` counted, all others refused; then right answers from 32
 * processes at once are all refused. */
static void concurrent_processes(void **state)
{
	/* 32 contenders on one row: allow a long wait for the lock, as a busy
	 * gateway would configure it */
	stack("conc", "store_timeout_ms=30000");
	forget("grace");
	assert_int_equal(hammer_processes("grace", 32, 50, WRONG), 0);
	struct tally t;
	assert_true(harness_tally(&H, "grace", &t));
	assert_int_equal(t.attempts, 6);
	assert_int_equal(t.refused, 32 * 50 - 6);
	assert_true(t.locked_until > time(NULL));
	assert_int_equal(hammer_processes("grace", 32, 5, RIGHT), 0);
	assert_true(harness_tally(&H, "grace", &t));
	assert_int_equal(t.attempts + t.refused, 32 * 50 + 32 * 5);
	fprintf(stderr, "# processes: attempts=%lld refused=%lld\n", (long long)t.attempts,
		(long long)t.refused);
}

struct thread_arg {
	const char *user;
	const char *const *answers;
	int each;
	int ok;
};

static void *thread_main(void *arg)
{
	struct thread_arg *ta = arg;
	for (int i = 0; i < ta->each; i++)
		if (harness_auth(&H, "conc", ta->user, ta->answers, NULL) == PAM_SUCCESS)
			ta->ok++;
	return NULL;
}

static int hammer_threads(const char *user, int nthr, int each, const char *const *answers)
{
	pthread_t th[64];
	struct thread_arg args[64];
	int ok = 0;
	for (int i = 0; i < nthr; i++) {
		args[i] = (struct thread_arg){ user, answers, each, 0 };
		assert_int_equal(pthread_create(&th[i], NULL, thread_main, &args[i]), 0);
	}
	for (int i = 0; i < nthr; i++) {
		pthread_join(th[i], NULL);
		ok += args[i].ok;
	}
	return ok;
}

static void concurrent_threads(void **state)
{
	/* 32 contenders on one row: allow a long wait for the lock, as a busy
	 * gateway would configure it */
	stack("conc", "store_timeout_ms=30000");
	forget("alice");
	assert_int_equal(hammer_threads("alice", 16, 50, WRONG), 0);
	struct tally t;
	assert_true(harness_tally(&H, "alice", &t));
	assert_int_equal(t.attempts, 6);
	assert_int_equal(t.refused, 16 * 50 - 6);
	assert_int_equal(hammer_threads("alice", 16, 5, RIGHT), 0);
	assert_true(harness_tally(&H, "alice", &t));
	assert_int_equal(t.attempts + t.refused, 16 * 55);
	/* different users in parallel do not disturb each other */
	forget("bob");
	forget("dave");
	assert_int_equal(hammer_threads("bob", 8, 3, WRONG), 0);
	/* up to `deny` parallel logins of one user all succeed */
	assert_int_equal(hammer_threads("dave", 6, 5, RIGHT), 6 * 5);
	assert_true(harness_tally(&H, "bob", &t));
	assert_int_equal(t.attempts, 6);
	assert_int_equal(t.refused, 18);
	assert_true(harness_tally(&H, "dave", &t));
	assert_int_equal(t.nfails, 0);
	assert_int_equal(t.attempts, 30);
}

int main(int argc, char **argv)
{
	(void)argc;
	harness_setup(&H, argv, NULL);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(lockout_at_exactly_six),
		cmocka_unit_test(sixth_attempt_right_is_accepted),
		cmocka_unit_test(unlock_after_time),
		cmocka_unit_test(root_rules),
		cmocka_unit_test(account_only_never_resets),
		cmocka_unit_test(unknown_known_locked_look_the_same),
		cmocka_unit_test(hostile_names),
		cmocka_unit_test(config_errors_fail_closed),
		cmocka_unit_test(store_faults_deny),
		cmocka_unit_test(killed_client_keeps_the_attempt),
		cmocka_unit_test(concurrent_processes),
		cmocka_unit_test(concurrent_threads),
	};
	return cmocka_run_group_tests_name("pam_lockout", tests, NULL, NULL);
}
