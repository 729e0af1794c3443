/* The guess budget of a lockout policy, measured on the real lockout code
 * (lib/lockout/lockout.c) with a simulated clock. docs/threat-model.md quotes these
 * numbers. TAP; part of `make check`.
 *
 * The attacker does not know the password and guesses as fast as the
 * module allows (one guess per fail_delay, 2 s by default). "Patient"
 * never makes a guess that would lock the account until an admin acts;
 * "greedy" guesses until that happens. */
#include <config.h>

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "base/conf.h"
#include "lockout/lockout.h"

#define YEAR (365LL * SOSAFE_DAY)
#define GUESS_GAP 2 /* seconds between guesses: fail_delay_ms = 2000 */

static int n_test;
static int failed;

__attribute__((format(printf, 2, 3))) static void tap(bool ok, const char *fmt, ...)
{
	va_list ap;
	n_test++;
	printf("%sok %d - ", ok ? "" : "not ", n_test);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	if (!ok)
		failed = 1;
}

/* Guesses in SPAN seconds; *PERMANENT = the account ended locked for good. */
static long long run(const struct lock_policy *p, bool patient, int64_t span, bool *permanent)
{
	struct tally t;
	memset(&t, 0, sizeof(t));
	long long guesses = 0;
	int64_t now = 1000000000; /* any epoch; the code only uses differences */
	int64_t end = now + span;
	*permanent = false;
	while (now < end) {
		lockout_expire(&t, now);
		if (lockout_is_locked(p, &t, now)) {
			if (t.locked_until == LOCK_FOREVER) {
				*permanent = true;
				break;
			}
			now = t.locked_until;
			continue;
		}
		struct tally trial = t;
		int64_t seq;
		bool locked_now;
		lockout_begin(p, &trial, now, &seq, &locked_now);
		if (patient && trial.locked_until == LOCK_FOREVER) {
			now += 60; /* wait for the windows to move on */
			continue;
		}
		t = trial;
		guesses++;
		now += GUESS_GAP;
	}
	return guesses;
}

int main(void)
{
	struct sosafe_config cfg;
	config_defaults(&cfg);
	printf("1..5\n");
	printf("# defaults: deny=%u fail_interval=%u unlock_time=%u max_locks=%u "
	       "escalation_period=%u deny_per_period=%u\n",
	       cfg.deny, cfg.fail_interval, cfg.unlock_time, cfg.max_locks, cfg.escalation_period,
	       cfg.deny_per_period);
	struct lock_policy user;
	lock_policy_from_conf(&user, &cfg, false, false);
	bool perm;

	long long burst = run(&user, false, YEAR, &perm);
	long long want_burst = cfg.deny_per_period && cfg.deny_per_period < cfg.deny * cfg.max_locks
				       ? cfg.deny_per_period : (long long)cfg.deny * cfg.max_locks;
	tap(burst == want_burst && perm,
	    "greedy attacker: %lld guesses, then locked until an admin unlocks (expected %lld)",
	    burst, want_burst);

	long long year = run(&user, true, YEAR, &perm);
	long long days = YEAR / cfg.escalation_period;
	long long want_year = cfg.deny_per_period ? (cfg.deny_per_period - 1) * days : -1;
	tap(year == want_year && !perm,
	    "patient attacker: %lld guesses a year without a permanent lock (= (deny_per_period-1) x 365 = %lld)",
	    year, want_year);
	/* a 6-digit TOTP with window=1 accepts 3 of 10^6 codes per guess */
	long long ppm = year * 3; /* chance in millionths, first order */
	tap(ppm < 30000, "patient attacker with the password vs 6-digit TOTP: about %lld ppm a year (%lld%% rounded)",
	    ppm, (ppm + 5000) / 10000);

	struct sosafe_config old = cfg;
	old.deny_per_period = 0;
	struct lock_policy nobudget;
	lock_policy_from_conf(&nobudget, &old, false, false);
	long long unbounded = run(&nobudget, true, YEAR, &perm);
	tap(unbounded > year * 10, "without deny_per_period: %lld guesses a year (%lld x more)", unbounded,
	    unbounded / (year ? year : 1));

	cfg.even_deny_root = true;
	struct lock_policy root;
	lock_policy_from_conf(&root, &cfg, true, false);
	long long rootyear = run(&root, false, YEAR, &perm);
	tap(!perm && rootyear > 0, "root with even_deny_root: never locked for good; %lld guesses a year",
	    rootyear);
	return failed;
}
