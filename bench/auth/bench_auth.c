/* Full authentication (auth + account) through real libpam against
 * N enrolled users, for three stacks on the same generated users:
 *   sosafe      pam_sosafe preauth + otp + account (SQLite state store)
 *   oath        pam_faillock preauth/authfail/authsucc + pam_oath usersfile
 *   gauth       pam_google_authenticator with one secret file per user
 *
 *   bench_auth setup DIR N      generate users, secrets and every backend's files
 *   bench_auth run DIR N K      K successes and K failures per stack (distinct users)
 *
 * Only the sampled users are in the nss_wrapper passwd file (the NSS cost is
 * the same for every stack and not what is compared); all N users are
 * enrolled in every backend. Run through run.sh. */
#include <config.h>

#include <errno.h>
#include <security/pam_appl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/base32.h"
#include "base/conf.h"
#include "store/keyring.h"
#include "store/lockout_store.h"
#include "store/otp_store.h"
#include "store/store.h"
#include "otp/totp.h"

#define SAMPLE 400   /* users in passwd: 200 success + 200 failure candidates */

static const struct totp_params P6 = { TOTP_SHA1, 6, 30 };

static void die(const char *what)
{
	fprintf(stderr, "bench_auth: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void user_name(long i, char *out, size_t len) { snprintf(out, len, "u%07ld", i); }

/* Deterministic per-user secret (a benchmark, not a key generator). */
static void user_secret(long i, uint8_t s[20])
{
	uint64_t x = 0x9e3779b97f4a7c15ULL ^ (uint64_t)i * 0xbf58476d1ce4e5b9ULL;
	for (int k = 0; k < 20; k++) {
		x ^= x >> 31;
		x *= 0x94d049bb133111ebULL;
		x ^= x >> 29;
		s[k] = (uint8_t)x;
	}
}

/* Sampled user number J (0..SAMPLE-1) spread over the N users. */
static long sample_user(long n, int j) { return (long)((double)j * (double)n / SAMPLE); }

static void setup(const char *dir, long n)
{
	char p[600];
	mkdir(dir, 0755);
	/* the configuration first: BENCH_CONF_EXTRA may name another store
	 * (store = postgresql, bench/daemon/pg-run.sh) */
	snprintf(p, sizeof(p), "%s/sosafe.conf", dir);
	FILE *cf = fopen(p, "w");
	if (!cf)
		die(p);
	fprintf(cf, "state_dir = %s/state\nsecret_key_file = %s/sosafe.key\nnodelay = yes\n", dir,
		dir);
	/* e.g. BENCH_CONF_EXTRA="store_sync_commits = no" to measure that mode */
	if (getenv("BENCH_CONF_EXTRA"))
		fprintf(cf, "%s\n", getenv("BENCH_CONF_EXTRA"));
	fclose(cf);
	chmod(p, 0600);
	struct sosafe_config cfg;
	struct sosafe_err err;
	config_defaults(&cfg);
	if (config_load_file(&cfg, p, false, &err) < 0) {
		fprintf(stderr, "%s\n", err.msg);
		exit(1);
	}
	struct store_target target;
	store_target_from_config(&target, &cfg);
	target.timeout_ms = 60000;
	struct store *st = NULL;
	if (store_open_target(&st, &target, STORE_CREATE, &err) != ST_OK) {
		fprintf(stderr, "%s\n", err.msg);
		exit(1);
	}
	/* the key that seals the secrets, for this process and the daemon */
	snprintf(p, sizeof(p), "%s/sosafe.key", dir);
	struct keyring *kr = keyring_generate(&err);
	if (!kr || keyring_write(kr, p, &err)) {
		fprintf(stderr, "%s\n", err.msg);
		exit(1);
	}
	store_set_keyring(st, kr);
	keyring_unref(kr);
	snprintf(p, sizeof(p), "%s/users.oath", dir);
	FILE *oath = fopen(p, "w");
	snprintf(p, sizeof(p), "%s/ga", dir);
	mkdir(p, 0700);
	snprintf(p, sizeof(p), "%s/faillock", dir);
	mkdir(p, 0700);
	if (!oath)
		die("users.oath");
	if (store_begin(st) != ST_OK)
		die("store_begin");
	time_t now = time(NULL);
	for (long i = 0; i < n; i++) {
		char user[16], b32[40], hex[41];
		uint8_t s[20];
		user_name(i, user, sizeof(user));
		user_secret(i, s);
		struct otp_record r;
		memset(&r, 0, sizeof(r));
		memcpy(r.secret, s, 20);
		r.secret_len = 20;
		r.params = P6;
		r.last_step = -1;
		r.enrolled_at = now;
		/* every enrolled user has logged in before: a tally row too */
		struct tally t;
		memset(&t, 0, sizeof(t));
		t.attempts = 1;
		t.last_success = now - 86400;
		if (otp_put(st, user, &r, "bench") != ST_OK || store_tally_put(st, user, &t) != ST_OK) {
			fprintf(stderr, "%s\n", store_error(st));
			exit(1);
		}
		for (int k = 0; k < 20; k++)
			sprintf(hex + 2 * k, "%02x", s[k]);
		fprintf(oath, "HOTP/T30 %s - %s\n", user, hex);
		base32_encode(s, 20, b32, sizeof(b32));
		snprintf(p, sizeof(p), "%s/ga/%s", dir, user);
		FILE *g = fopen(p, "w");
		if (!g)
			die(p);
		fprintf(g, "%s\n\" WINDOW_SIZE 3\n\" TOTP_AUTH\n", b32);
		fclose(g);
		chmod(p, 0400);
		if (i && i % 100000 == 0)
			fprintf(stderr, "  %ld users\n", i);
	}
	if (store_commit(st) != ST_OK)
		die("commit");
	store_close(st);
	fclose(oath);
	snprintf(p, sizeof(p), "%s/users.oath", dir);
	chmod(p, 0600);
	/* nss_wrapper files: the sampled users only */
	snprintf(p, sizeof(p), "%s/passwd", dir);
	FILE *pw = fopen(p, "w");
	if (!pw)
		die("passwd");
	fprintf(pw, "root:x:0:0:root:/root:/bin/sh\n");
	for (int j = 0; j < SAMPLE; j++) {
		char user[16];
		user_name(sample_user(n, j), user, sizeof(user));
		fprintf(pw, "%s:x:%d:100::/nonexistent:/bin/sh\n", user, 10000 + j);
	}
	fclose(pw);
	snprintf(p, sizeof(p), "%s/group", dir);
	pw = fopen(p, "w");
	fprintf(pw, "root:x:0:\nusers:x:100:\n");
	fclose(pw);
}

static const char *code_for;

static int conv(int n, const struct pam_message **msg, struct pam_response **resp, void *data)
{
	struct pam_response *r = calloc((size_t)n, sizeof(*r));
	for (int i = 0; i < n; i++)
		if (msg[i]->msg_style == PAM_PROMPT_ECHO_OFF || msg[i]->msg_style == PAM_PROMPT_ECHO_ON)
			r[i].resp = strdup(code_for);
	*resp = r;
	return PAM_SUCCESS;
}

static double now_us(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static double cpu_us(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e6 + ru.ru_utime.tv_usec +
	       ru.ru_stime.tv_usec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void write_services(const char *dir, const char *module)
{
	char p[600];
	snprintf(p, sizeof(p), "%s/pam.d", dir);
	mkdir(p, 0755);
	FILE *f;
	snprintf(p, sizeof(p), "%s/pam.d/sosafe", dir);
	if (!(f = fopen(p, "w")))
		die(p);
	fprintf(f, "auth requisite %s preauth conf=%s/sosafe.conf\n"
		   "auth required %s otp conf=%s/sosafe.conf\n"
		   "account required %s conf=%s/sosafe.conf\n", module, dir, module, dir, module, dir);
	fclose(f);
	snprintf(p, sizeof(p), "%s/pam.d/oath", dir);
	if (!(f = fopen(p, "w")))
		die(p);
	fprintf(f, "auth required pam_faillock.so preauth dir=%s/faillock deny=6 nodelay\n"
		   "auth [success=1 default=bad] pam_oath.so usersfile=%s/users.oath window=1 digits=6\n"
		   "auth [default=die] pam_faillock.so authfail dir=%s/faillock deny=6 nodelay\n"
		   "auth sufficient pam_faillock.so authsucc dir=%s/faillock deny=6\n"
		   "auth required pam_deny.so\n"
		   "account required pam_faillock.so dir=%s/faillock\n", dir, dir, dir, dir, dir);
	fclose(f);
	snprintf(p, sizeof(p), "%s/pam.d/gauth", dir);
	if (!(f = fopen(p, "w")))
		die(p);
	fprintf(f, "auth required pam_google_authenticator.so secret=%s/ga/${USER} user=root\n"
		   "account required pam_permit.so\n", dir);
	fclose(f);
}

static void run(const char *dir, long n, int k, const char *module)
{
	write_services(dir, module);
	char pamd[600];
	snprintf(pamd, sizeof(pamd), "%s/pam.d", dir);
	static const char *const stacks[] = { "sosafe", "oath", "gauth" };
	double *t = calloc((size_t)k, sizeof(double)), *cpu = calloc((size_t)k, sizeof(double));
	const char *only = getenv("BENCH_STACK");
	for (unsigned s = 0; s < 3; s++) {
		if (only && strcmp(only, stacks[s]))
			continue;
		int kk = k;
		/* pam_oath rewrites the whole users file per success: fewer rounds at 1M */
		if (!strcmp(stacks[s], "oath") && n >= 1000000 && kk > 20)
			kk = 20;
		for (int fail = 0; fail <= 1; fail++) {
			int wrong_results = 0;
			for (int j = 0; j < kk; j++) {
				long u = sample_user(n, (fail ? SAMPLE / 2 : 0) + j % (SAMPLE / 2));
				char user[16], code[9];
				uint8_t sec[20];
				user_name(u, user, sizeof(user));
				user_secret(u, sec);
				totp_code_at_step(&P6, sec, 20, totp_step_of(&P6, time(NULL)), code);
				if (fail)
					code[0] = code[0] == '9' ? '0' : (char)(code[0] + 1);
				code_for = code;
				struct pam_conv c = { conv, NULL };
				pam_handle_t *h = NULL;
				double t0 = now_us(), c0 = cpu_us();
				int rc = pam_start_confdir(stacks[s], user, &c, pamd, &h);
				if (rc == PAM_SUCCESS)
					rc = pam_authenticate(h, 0);
				if (rc == PAM_SUCCESS)
					rc = pam_acct_mgmt(h, 0);
				pam_end(h, rc);
				t[j] = now_us() - t0;
				cpu[j] = cpu_us() - c0;
				if ((rc == PAM_SUCCESS) == (fail == 1))
					wrong_results++;
			}
			qsort(t, (size_t)kk, sizeof(double), cmp_double);
			qsort(cpu, (size_t)kk, sizeof(double), cmp_double);
			double sum = 0;
			for (int j = 0; j < kk; j++)
				sum += t[j];
			printf("| %ld | %s | %s | %d | %.3f | %.3f | %.3f | %.3f | %d |\n", n, stacks[s],
			       fail ? "failure" : "success", kk, t[kk / 2] / 1e3, t[(kk * 9) / 10] / 1e3,
			       sum / kk / 1e3, cpu[kk / 2] / 1e3, wrong_results);
			fflush(stdout);
		}
	}
	free(t);
	free(cpu);
}

int main(int argc, char **argv)
{
	if (argc >= 4 && !strcmp(argv[1], "setup")) {
		setup(argv[2], atol(argv[3]));
		return 0;
	}
	if (argc >= 6 && !strcmp(argv[1], "run")) {
		run(argv[2], atol(argv[3]), atoi(argv[4]), argv[5]);
		return 0;
	}
	fprintf(stderr, "usage: bench_auth setup DIR N | run DIR N K MODULE\n");
	return 2;
}
