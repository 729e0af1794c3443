/* sosafe-otpchk: setuid-root helper for callers that cannot open the
 * root-only state store (a screen locker running as the user), in the style
 * of pam_unix's unix_chkpwd.
 *
 *   sosafe-otpchk USER   < answer on standard input (one line)
 *
 * It checks only the calling user's own code (the real uid must be USER's,
 * unless the caller is root), counts the attempt and consumes the code
 * exactly as pam_sosafe does (one transaction: lockout, replay guard,
 * recovery codes), and answers with its exit status only:
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

#include "base/accounts.h"
#include "base/conf.h"
#include "lockout/lockout.h"
#include "base/log.h"
#include "base/names.h"
#include "otp/otp_answer.h"
#include "store/otp_store.h"
#include "otp/recovery.h"
#include "store/store.h"
#include "base/util.h"

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

/* Decide inside the open transaction. */
static enum store_status decide(struct store *st, const struct sosafe_config *cfg, const char *user,
				const char *raw, int64_t now, bool *ok, const char **why)
{
	_cleanup_otp_record_ struct otp_record r;
	struct otp_answer a;
	*ok = false;
	enum store_status s = otp_get(st, user, &r);
	if (s == ST_NOTFOUND) {
		int64_t deadline = 0;
		if (cfg->no_secret == NO_SECRET_ALLOW)
			*ok = true, *why = "no secret enrolled; no_secret=allow";
		else if (cfg->no_secret == NO_SECRET_ENROLL_WINDOW &&
			 otp_window_get(st, user, &deadline) == ST_OK && deadline > now)
			*ok = true, *why = "no secret enrolled; inside the enrollment window";
		else
			*why = "no secret enrolled";
		return ST_OK;
	}
	if (s != ST_OK)
		return s;
	if (otp_answer_parse(raw, strlen(raw), r.params.digits, &a)) {
		*why = "malformed answer";
		return ST_OK;
	}
	if (a.kind == ANSWER_RECOVERY) {
		char id[RECOVERY_ID_LEN + 1], hash[RECOVERY_HASH_MAX];
		recovery_id_of(a.code, id);
		bool have = otp_recovery_hash(st, user, id, hash, sizeof(hash)) == ST_OK;
		bool used = false;
		if (recovery_check(a.code, have ? hash : NULL))
			s = otp_recovery_consume(st, user, id, hash, now, &used);
		otp_answer_wipe(&a);
		*ok = used;
		*why = used ? "recovery code used" : "wrong recovery code";
		return s;
	}
	int64_t step;
	enum totp_result tr = totp_verify(&r.params, r.secret, r.secret_len, now, cfg->window, a.code,
					  r.last_step, &step);
	otp_answer_wipe(&a);
	if (tr == TOTP_OK) {
		s = otp_advance_step(st, user, step);
		if (s == ST_NOTFOUND) {
			*why = "replayed code";
			return ST_OK;
		}
		*ok = s == ST_OK;
		*why = "code accepted";
		return s;
	}
	*why = tr == TOTP_REPLAY ? "replayed code (or the clock stepped back)" : "wrong code";
	return ST_OK;
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
	char err[512];
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
	enum store_status s = store_open(&st, cfg.state_dir, 0, cfg.store_timeout_ms, err, sizeof(err));
	if (s != ST_OK) {
		log_event(LOG_ERR, &log, "store-error", "%s: %s", store_status_name(s), err);
		return refuse(MISUSE);
	}
	int64_t now = time(NULL), seq = 0;
	struct tally t = { 0 };
	bool locked_now = false, ok = false;
	const char *why = "error";
	s = store_begin(st);
	if (s == ST_OK) {
		s = store_tally_get(st, user, &t);
		if (s == ST_NOTFOUND)
			s = ST_OK;
	}
	enum lock_verdict v = LOCK_DENY_LOCKED;
	if (s == ST_OK)
		v = lockout_begin(&policy, &t, now, &seq, &locked_now);
	if (s == ST_OK && v == LOCK_ALLOW)
		s = decide(st, &cfg, user, raw, now, &ok, &why);
	if (s == ST_OK && v == LOCK_ALLOW && ok && lockout_success(&policy, &t, now, seq) != LOCK_ALLOW) {
		ok = false;
		why = "right code but the account is locked";
	}
	if (s == ST_OK)
		s = store_tally_put(st, user, &t);
	if (s == ST_OK)
		s = store_commit(st);
	if (s != ST_OK) {
		log_event(LOG_ERR, &log, "store-error", "%s: %s", store_status_name(s), store_error(st));
		return refuse(MISUSE);
	}
	if (locked_now)
		log_event(LOG_WARNING, &log, "lock", "%u failures within %u s", t.nfails,
			  policy.fail_interval);
	if (v == LOCK_DENY_LOCKED) {
		log_event(LOG_NOTICE, &log, "deny-locked", "account is locked");
		return refuse(REFUSED);
	}
	if (!ok) {
		log_event(LOG_NOTICE, &log, "fail", "%s", why);
		return refuse(REFUSED);
	}
	log_event(LOG_INFO, &log, "success", "%s", why);
	return OK;
}
