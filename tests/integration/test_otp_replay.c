/* Replay under concurrency (R2, R15): in every round 32 processes and 16
 * threads submit the same valid code for one user at the same moment,
 * through real libpam. Exactly one may succeed; the other 47 are counted
 * failures, and the stored last step is the code's step. */
#include <config.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "store/lockout_store.h"
#include "store/otp_store.h"

static struct harness H;

#define NPROC 32
#define NTHREAD 16

static const char key[] = "12345678901234567890";
static const struct totp_params P6 = { TOTP_SHA1, 6, 30 };

struct racer {
	int start_fd;
	const char *user;
	const char *code;
	int rc;
};

static int run_one(int start_fd, const char *user, const char *code)
{
	char b;
	/* wait for the starting shot: the write end closes for everyone at once */
	while (read(start_fd, &b, 1) < 0 && errno == EINTR)
		;
	struct conv_script s = { .answers = { code }, .nanswers = 1 };
	return harness_login(&H, "replay", user, &s, NULL, 0);
}

static void *thread_main(void *arg)
{
	struct racer *r = arg;
	r->rc = run_one(r->start_fd, r->user, r->code);
	return NULL;
}

static double now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static void replay_rounds(void **state)
{
	const char *env = getenv("OTP_REPLAY_ROUNDS");
	int rounds = env ? atoi(env) : 20;
	if (rounds < 1 || rounds > 1000)
		rounds = 20;
	unsigned total_ok = 0, total_fail = 0;
	double worst = 0, sum = 0;
	for (int round = 0; round < rounds; round++) {
		char user[8], code[9];
		snprintf(user, sizeof(user), "r%02d", round % 40);
		harness_enroll(&H, user, key, 20, P6);
		harness_code(key, 20, P6, 0, code);
		int64_t step = totp_step_of(&P6, time(NULL));
		int pfd[2];
		assert_int_equal(pipe(pfd), 0);
		pid_t kids[NPROC];
		for (int i = 0; i < NPROC; i++) {
			fflush(stdout);
			kids[i] = fork();
			assert_true(kids[i] >= 0);
			if (kids[i] == 0) {
				close(pfd[1]);
				int rc = run_one(pfd[0], user, code);
				_exit(rc == PAM_SUCCESS ? 0 : rc == PAM_AUTH_ERR ? 1 : 2);
			}
		}
		pthread_t th[NTHREAD];
		struct racer rs[NTHREAD];
		for (int i = 0; i < NTHREAD; i++) {
			rs[i] = (struct racer){ pfd[0], user, code, -1 };
			assert_int_equal(pthread_create(&th[i], NULL, thread_main, &rs[i]), 0);
		}
		usleep(50000);   /* let everyone reach the read() */
		double t0 = now_ms();
		close(pfd[1]);
		unsigned ok = 0, fail = 0, other = 0;
		for (int i = 0; i < NPROC; i++) {
			int st = 0;
			while (waitpid(kids[i], &st, 0) < 0 && errno == EINTR)
				;
			if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
				ok++;
			else if (WIFEXITED(st) && WEXITSTATUS(st) == 1)
				fail++;
			else
				other++;
		}
		for (int i = 0; i < NTHREAD; i++) {
			pthread_join(th[i], NULL);
			if (rs[i].rc == PAM_SUCCESS)
				ok++;
			else if (rs[i].rc == PAM_AUTH_ERR)
				fail++;
			else
				other++;
		}
		double dt = now_ms() - t0;
		close(pfd[0]);
		sum += dt;
		if (dt > worst)
			worst = dt;
		printf("# round %d: %u success, %u refused, %u other in %.1f ms\n", round, ok, fail,
		       other, dt);
		assert_int_equal(other, 0);
		assert_int_equal(ok, 1);
		assert_int_equal(fail, NPROC + NTHREAD - 1);
		/* the store agrees: every attempt counted, 47 failures left, step spent */
		struct store *st = harness_store(&H);
		struct tally t;
		assert_int_equal(store_tally_get(st, user, &t), ST_OK);
		struct otp_record rec;
		assert_int_equal(otp_get(st, user, &rec), ST_OK);
		store_close(st);
		assert_int_equal(t.attempts, NPROC + NTHREAD);
		assert_true(rec.last_step == step || rec.last_step == step + 1);
		total_ok += ok;
		total_fail += fail;
	}
	printf("# %d rounds x %d submissions: %u successes (one per round), %u refused; "
	       "round time mean %.1f ms, worst %.1f ms\n", rounds, NPROC + NTHREAD, total_ok,
	       total_fail, sum / rounds, worst);
}

int main(int argc, char **argv)
{
	(void)argc;
	harness_setup(&H, argv, "window = 1\ndeny = 6\nunlock_time = 600\n");
	/* a long store timeout: on a loaded machine a busy store would refuse
	 * (fail closed) without counting, and this test counts every attempt */
	harness_service(&H, "replay", "auth requisite @MODULE@ preauth deny=64 deny_per_period=0 store_timeout_ms=60000 conf=@CONF@\n"
				  "auth required @MODULE@ otp deny=64 deny_per_period=0 store_timeout_ms=60000 conf=@CONF@\n"
				  "account required @MODULE@ deny=64 deny_per_period=0 store_timeout_ms=60000 conf=@CONF@");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(replay_rounds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
