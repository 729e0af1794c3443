/* sosafe-otpchk: setuid-root helper for callers that cannot open the
 * root-only state store (a screen locker running as the user), in the style
 * of pam_unix's unix_chkpwd.
 *
 *   sosafe-otpchk USER   < answer on standard input (one line)
 *
 * It checks only the calling user's own code (the real uid must be USER's,
 * unless the caller is root) with pam_sosafe's own decision (otp/decision.h:
 * lockout, replay guard, recovery codes, no_secret policy, audit records
 * under log_identity), and answers with its exit status only:
 *   0 right code, 1 refused, 2 misuse or error.
 * Nothing from the environment or the command line changes where it reads
 * its configuration or store. Failures sleep 2 s, like unix_chkpwd. */
#include <config.h>

#include <errno.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "audit/audit.h"
#include "base/accounts.h"
#include "base/conf.h"
#include "base/log.h"
#include "base/names.h"
#include "base/util.h"
#include "lockout/lockout.h"
#include "otp/decision.h"
#include "store/store.h"

enum { OK = 0, REFUSED = 1, MISUSE = 2 };

static int refuse(int rc)
{
	sleep(2);
	return rc;
}

/* The caller must be USER (or root). */
static bool caller_is(const char *user)
{
	uid_t ruid = getuid();
	if (ruid == 0)
		return true;
	struct passwd pwbuf, *pw = NULL;
	char buf[16384];
	if (getpwuid_r(ruid, &pwbuf, buf, sizeof(buf), &pw) || !pw)
		return false;
	return strcmp(pw->pw_name, user) == 0;
}

static char *read_answer(void)
{
	char *buf = calloc(1, OTP_ANSWER_MAX + 2);
	if (!buf)
		return NULL;
	size_t got = 0;
	while (got < OTP_ANSWER_MAX + 1) {
		ssize_t n = read(STDIN_FILENO, buf + got, OTP_ANSWER_MAX + 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	if (got && buf[got - 1] == '\n')
		buf[--got] = '\0';
	return buf;
}

/* The decision for USER's answer RAW; ST_OK with D->outcome, or a store error. */
static enum store_status decide(struct otp_decision *d, const char *raw)
{
	enum store_status s = otp_decision_lookup(d);
	if (s != ST_OK && s != ST_NOTFOUND)
		return s;
	struct otp_answer a;
	if (otp_answer_parse(raw, strlen(raw), d->digits, &a))
		otp_answer_wipe(&a);   /* refused as a malformed answer */
	otp_decision_prepare(d, &a, NULL);
	s = otp_decide(d, &a, time(NULL));
	otp_answer_wipe(&a);
	otp_decision_wipe(d);
	return s;
}

int main(int argc, char **argv)
{
	struct log_ctx log = { .ident = "sosafe-otpchk", .service = "sosafe-otpchk" };
	struct rlimit core = { 0, 0 };
	setrlimit(RLIMIT_CORE, &core);   /* no core file with a secret in it */
	signal(SIGPIPE, SIG_IGN);
	if (argc != 2 || isatty(STDIN_FILENO)) {
		fprintf(stderr, "This program is run by pam_sosafe; it is not meant to be used directly.\n");
		return MISUSE;
	}
	const char *user = argv[1];
	if (!name_is_valid(user) || geteuid() != 0)
		return MISUSE;
	log.user = user;
	if (!caller_is(user)) {
		log_event(LOG_WARNING, &log, "deny-helper", "uid %u asked for another user's code",
			  (unsigned)getuid());
		return refuse(MISUSE);
	}
	_cleanup_secret_ char *raw = read_answer();
	if (!raw)
		return MISUSE;
	struct sosafe_config cfg;
	struct sosafe_err conf_err;
	config_defaults(&cfg);
	if (config_load_file(&cfg, SOSAFE_CONF, true, &conf_err)) {
		log_event(LOG_ERR, &log, "config-error", "%s", conf_err.msg);
		return refuse(MISUSE);
	}
	bool is_root = false, is_admin = false;
	account_privilege(user, cfg.admin_group, &is_root, &is_admin);
	struct lock_policy policy;
	lock_policy_from_conf(&policy, &cfg, is_root, is_admin);
	_cleanup_store_ struct store *st = NULL;
	enum store_status s = store_open(&st, cfg.state_dir, 0, cfg.store_timeout_ms, &conf_err);
	if (s != ST_OK) {
		log_event(LOG_ERR, &log, "store-error", "%s: %s", store_status_name(s), conf_err.msg);
		return refuse(MISUSE);
	}
	_cleanup_identity_ struct audit_identity identity;   /* log_identity, as in the module */
	audit_identity_init(&identity, &cfg);
	log.identity = &identity.log;
	struct otp_decision d;
	otp_decision_init(&d, st, &cfg, &policy, &log, user);
	s = decide(&d, raw);
	if (s != ST_OK) {
		log_event(LOG_ERR, &log, "store-error", "%s: %s", store_status_name(s), store_error(st));
		return refuse(MISUSE);
	}
	if (d.locked_now)
		log_event(LOG_WARNING, &log, "lock", "%u failures within %u s", d.counted_tally.nfails,
			  policy.fail_interval);
	switch (d.outcome) {
	case OTP_ACCEPTED:
	case OTP_ACCEPTED_COUNTED:
		log_event(LOG_INFO, &log, "success", "%s", d.reason);
		return OK;
	case OTP_DENY_LOCKED:
		log_event(LOG_NOTICE, &log, "deny-locked", "account is locked");
		return refuse(REFUSED);
	case OTP_RIGHT_BUT_LOCKED:
		log_event(LOG_NOTICE, &log, "fail", "right code but the account is locked");
		return refuse(REFUSED);
	case OTP_REFUSED:
		break;
	}
	log_event(LOG_NOTICE, &log, "fail", "%s", d.reason);
	return refuse(REFUSED);
}
