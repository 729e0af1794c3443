/* The second factor: modes otp, forward_pass and check_password (R2, R12).
 *
 * Order of work, chosen so that nothing can be learned without being
 * counted and nothing holds the store's write lock while a user types:
 *   1. read the enrolled parameters (digit count) without a transaction;
 *   2. converse: code prompt, or the single field, or password + code;
 *   3. slow checks outside the lock: shadow password (one-line mode) and a
 *      recovery code's yescrypt hash;
 *   4. one IMMEDIATE transaction: count the attempt if no preauth line did
 *      (refuse if locked), check the code against the last accepted step,
 *      advance the step or consume the recovery code, clear the attempt on
 *      success (lock_record_success) -- all committed together.
 * Users without a secret and unknown users go through the same prompts and
 * a dummy computation, so enrollment cannot be probed. */
#include <config.h>
#include "steps.h"

#include <errno.h>
#include <fcntl.h>
#include <security/pam_ext.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "audit/audit.h"
#include "conv.h"
#include "otp/otp_answer.h"
#include "store/otp_store.h"
#include "otp/recovery.h"
#include "otp/shadow_check.h"
#include "base/util.h"

#define OTPCHK_HELPER SOSAFE_SBINDIR "/sosafe-otpchk"

struct otp_input {
	char *raw;                  /* what the conversation returned */
	char *password;             /* password part (forward_pass, check_password) */
	struct otp_answer ans;
	bool password_ok;
	/* recovery code, checked before the transaction */
	char rec_id[RECOVERY_ID_LEN + 1];
	char rec_hash[RECOVERY_HASH_MAX];
	bool rec_match;
};

static void input_wipe(struct otp_input *in)
{
	secure_free_str(in->raw);
	secure_free_str(in->password);
	explicit_bzero(in, sizeof(*in));
}

/* Step 2: ask. Returns a PAM status; conversation failures end the attempt. */
static int converse(struct sosafe_ctx *c, unsigned digits, bool enrolled, struct otp_input *in)
{
	int rc;
	if (c->forward_pass) {
		const void *item = NULL;
		if (pam_get_item(c->pamh, PAM_AUTHTOK, &item) == PAM_SUCCESS && item) {
			in->raw = strdup(item);
			if (!in->raw)
				return PAM_BUF_ERR;
		} else {
			rc = conv_ask(c->pamh, c->cfg.password_prompt, false, &in->raw);
			if (rc != PAM_SUCCESS)
				return rc;
		}
		/* A user without a secret has no code to type: under no_secret=allow
		 * or an enrollment window the whole field is the password. */
		if (!enrolled || otp_answer_split(in->raw, digits, &in->password, &in->ans)) {
			otp_answer_wipe(&in->ans);
			secure_free_str(in->password);
			in->password = strdup(in->raw);
			if (!in->password)
				return PAM_BUF_ERR;
		}
		/* hand on the password part (all of it if it could not be split),
		 * so use_first_pass modules below do the same work either way */
		/* NOLINTNEXTLINE(clang-analyzer-unix.Malloc): in->raw and in->password belong to *in and input_wipe() frees them on every path of step_otp(); clang 14 loses them here (LSan and memcheck runs of the forward_pass tests are clean) */
		pam_set_item(c->pamh, PAM_AUTHTOK, in->password);
		return PAM_SUCCESS;
	}
	if (c->check_password) {
		rc = conv_ask(c->pamh, c->cfg.password_prompt, false, &in->password);
		if (rc != PAM_SUCCESS)
			return rc;
	}
	rc = conv_ask(c->pamh, c->cfg.otp_prompt, false, &in->raw);
	if (rc != PAM_SUCCESS)
		return rc;
	if (otp_answer_parse(in->raw, strnlen(in->raw, OTP_ANSWER_MAX + 1), digits, &in->ans))
		otp_answer_wipe(&in->ans);
	if (c->check_password && in->password)
		pam_set_item(c->pamh, PAM_AUTHTOK, in->password);
	return PAM_SUCCESS;
}

/* Step 3: the slow checks, outside the write lock. */
static void slow_checks(struct sosafe_ctx *c, struct store *st, struct otp_input *in)
{
	if (c->check_password)
		in->password_ok = c->user_valid && in->password &&
				  shadow_password_ok(c->user, in->password);
	if (in->ans.kind != ANSWER_RECOVERY)
		return;
	recovery_id_of(in->ans.code, in->rec_id);
	bool have = st && otp_recovery_hash(st, c->user, in->rec_id, in->rec_hash,
					    sizeof(in->rec_hash)) == ST_OK;
	in->rec_match = recovery_check(in->ans.code, have ? in->rec_hash : NULL);
}

/* Count this attempt if no preauth line did. Returns PAM_SUCCESS, or
 * PAM_AUTH_ERR if the account is locked. */
static int ensure_attempt(struct sosafe_ctx *c, struct tally *t, int64_t now)
{
	if (attempt_counted(c))
		return PAM_SUCCESS;
	int64_t seq = 0;
	bool locked_now = false;
	enum lock_verdict v = lockout_begin(&c->policy, t, now, &seq, &locked_now);
	log_lock_verdict(c, t, v, locked_now);
	return v == LOCK_DENY_LOCKED ? PAM_AUTH_ERR : remember_attempt(c, seq);
}

enum verdict { V_FAIL = 0, V_OK };

/* The second factor proper, inside the transaction. REASON says why (for the log). */
static enum store_status decide(struct sosafe_ctx *c, struct store *st, struct otp_input *in,
				int64_t now, enum verdict *v, const char **reason, unsigned *left)
{
	_cleanup_otp_record_ struct otp_record r;
	*v = V_FAIL;
	enum store_status s = otp_get(st, c->user, &r);
	if (s != ST_OK && s != ST_NOTFOUND)
		return s;
	bool enrolled = s == ST_OK;
	if (c->check_password && !in->password_ok) {
		*reason = "wrong password";
		return ST_OK;
	}
	if (!enrolled) {
		int64_t deadline = 0;
		switch (c->cfg.no_secret) {
		case NO_SECRET_ALLOW:
			*v = V_OK;
			*reason = "no secret enrolled; no_secret=allow";
			return ST_OK;
		case NO_SECRET_ENROLL_WINDOW:
			s = otp_window_get(st, c->user, &deadline);
			if (s != ST_OK && s != ST_NOTFOUND)
				return s;
			if (deadline > now) {
				*v = V_OK;
				*reason = "no secret enrolled; inside the enrollment window";
			} else {
				*reason = deadline ? "no secret enrolled; enrollment window closed"
						   : "no secret enrolled; no enrollment window";
			}
			return ST_OK;
		default:
			*reason = "no secret enrolled";
			return ST_OK;
		}
	}
	if (in->ans.kind == ANSWER_RECOVERY) {
		bool used = false;
		if (in->rec_match) {
			s = otp_recovery_consume(st, c->user, in->rec_id, in->rec_hash, now, &used);
			if (s != ST_OK)
				return s;
		}
		if (used) {
			unsigned total = 0;
			s = otp_recovery_count(st, c->user, left, &total);
			if (s != ST_OK)
				return s;
			*v = V_OK;
			*reason = "recovery code used";
		} else {
			*reason = in->rec_match ? "recovery code already used" : "wrong recovery code";
		}
		return ST_OK;
	}
	if (in->ans.kind != ANSWER_TOTP) {
		*reason = "malformed answer";
		return ST_OK;
	}
	int64_t step = -1;
	switch (totp_verify(&r.params, r.secret, r.secret_len, now, c->cfg.window, in->ans.code,
			    r.last_step, &step)) {
	case TOTP_OK:
		s = otp_advance_step(st, c->user, step);
		if (s == ST_NOTFOUND) {
			*reason = "replayed code";
			return ST_OK;
		}
		if (s != ST_OK)
			return s;
		*v = V_OK;
		*reason = "code accepted";
		return ST_OK;
	case TOTP_REPLAY:
		*reason = "replayed code (or the clock stepped back)";
		return ST_OK;
	case TOTP_ERROR:
		log_event(LOG_ERR, &c->log, "error", "TOTP computation failed (liboath)");
		*reason = "internal error";
		return ST_OK;
	default:
		*reason = "wrong code";
		return ST_OK;
	}
}

/* The same work as a check against a secret, for users who have none. */
static void dummy_totp(const struct otp_input *in)
{
	static const uint8_t zero[TOTP_SECRET_NEW];
	struct totp_params p = { TOTP_SHA1, 6, 30 };
	int64_t step;
	(void)totp_verify(&p, zero, sizeof(zero), time(NULL), 1,
			  in->ans.kind == ANSWER_TOTP ? in->ans.code : "000000", -1, &step);
}

/* Unprivileged caller (a screen locker): the setuid helper checks the
 * caller's own code, counting and consuming it the same way. */
static int run_helper(struct sosafe_ctx *c, const char *answer)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC))
		return PAM_AUTH_ERR;
	/* the application may ignore SIGCHLD; we need the exit status */
	struct sigaction dfl = { .sa_handler = SIG_DFL }, old;
	sigemptyset(&dfl.sa_mask);
	sigaction(SIGCHLD, &dfl, &old);
	pid_t pid = fork();
	if (pid == 0) {
		static char *const envp[] = { NULL };
		if (dup2(p[0], STDIN_FILENO) < 0)
			_exit(2);
		execle(OTPCHK_HELPER, OTPCHK_HELPER, c->user, (char *)NULL, envp);
		_exit(2);
	}
	close(p[0]);
	int status = -1;
	if (pid > 0) {
		size_t len = strlen(answer);
		if (write(p[1], answer, len) != (ssize_t)len || write(p[1], "\n", 1) != 1)
			log_event(LOG_ERR, &c->log, "error", "cannot talk to %s", OTPCHK_HELPER);
	}
	close(p[1]);
	if (pid > 0)
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	sigaction(SIGCHLD, &old, NULL);
	if (pid < 0 || !WIFEXITED(status) || WEXITSTATUS(status) == 2) {
		log_event(LOG_ERR, &c->log, "error", "%s failed; is it installed setuid root?",
			  OTPCHK_HELPER);
		return PAM_AUTH_ERR;
	}
	if (WEXITSTATUS(status) == 0) {
		log_event(LOG_INFO, &c->log, "success", "code accepted by %s", OTPCHK_HELPER);
		return PAM_SUCCESS;
	}
	log_event(LOG_NOTICE, &c->log, "fail", "refused by %s", OTPCHK_HELPER);
	return PAM_AUTH_ERR;
}

int step_otp(struct sosafe_ctx *c)
{
	struct otp_input in;
	memset(&in, 0, sizeof(in));
	ctx_request_delay(c);
	_cleanup_store_ struct store *st = c->user_valid ? open_store_or_log(c, false) : NULL;

	/* 1. enrolled digit count (6 when unknown: the prompt is the same) */
	unsigned digits = 6;
	bool enrolled = false;
	if (st) {
		_cleanup_otp_record_ struct otp_record r;
		enum store_status s = otp_get(st, c->user, &r);
		if (s == ST_OK) {
			digits = r.params.digits;
			enrolled = true;
		} else if (s != ST_NOTFOUND) {
			log_store_error(c, st, s);
			store_close(st);
			st = NULL;
		}
	}

	/* 2. converse, always, so that a bad name or a broken store looks the same */
	int rc = converse(c, digits, enrolled, &in);
	if (rc != PAM_SUCCESS) {
		input_wipe(&in);
		return rc == PAM_CONV_AGAIN ? PAM_INCOMPLETE : rc == PAM_BUF_ERR ? rc : PAM_AUTH_ERR;
	}
	/* 3. slow checks outside the lock */
	slow_checks(c, st, &in);
	if (!enrolled)
		dummy_totp(&in);
	if (!c->user_valid) {
		log_event(LOG_NOTICE, &c->log, "bad-user", "user name refused (invalid characters or length)");
		input_wipe(&in);
		return PAM_AUTH_ERR;
	}
	if (!st) {
		/* not root: only the caller's own code, through the helper, in
		 * the plain prompt mode (a screen locker) */
		if (geteuid() != 0 && !c->forward_pass && !c->check_password && in.raw) {
			rc = run_helper(c, in.raw);
			input_wipe(&in);
			return rc;
		}
		input_wipe(&in);
		return PAM_AUTH_ERR;
	}

	/* 4. one transaction decides */
	int64_t now = time(NULL);
	struct tally t;
	enum verdict v = V_FAIL;
	const char *reason = "error";
	unsigned left = 0;
	bool deferred = false;
	enum store_status s = store_begin(st);
	if (s == ST_OK) {
		s = store_tally_get(st, c->user, &t);
		if (s == ST_NOTFOUND)
			s = ST_OK;
	}
	if (s == ST_OK) {
		int64_t locked_before = t.locked_until;
		rc = ensure_attempt(c, &t, now);
		bool denied_locked = rc == PAM_AUTH_ERR;
		if (rc == PAM_SUCCESS)
			s = decide(c, st, &in, now, &v, &reason, &left);
		if (s == ST_OK && rc == PAM_SUCCESS && v == V_OK) {
			/* forward_pass alone hands the password to a module BELOW this
			 * line: the login has not succeeded yet, so the attempt stays
			 * counted until an `authsucc` line after that module. Clearing
			 * it here would let a known code buy uncounted password guesses. */
			if (c->forward_pass && !c->check_password)
				deferred = true;
			else
				rc = lock_record_success(c, st, &t);
		} else if (s == ST_OK && rc == PAM_SUCCESS) {
			rc = PAM_AUTH_ERR;
		}
		if (s == ST_OK)
			s = store_tally_put(st, c->user, &t);
		/* audit inside the transaction: no record, no decision (fail closed) */
		if (s == ST_OK && t.locked_until != locked_before && t.locked_until > now &&
		    audit_append(st, &c->log, "lock", NULL, "level %u, %u failures", t.lock_level, t.nfails))
			s = ST_ERROR;
		if (s == ST_OK && audit_append(st, &c->log, rc == PAM_SUCCESS ? "success" :
					       denied_locked ? "deny-locked" : "fail", NULL, "otp: %s",
					       denied_locked ? "account locked" : reason))
			s = ST_ERROR;
		if (s == ST_OK)
			s = store_commit(st);
	}
	input_wipe(&in);
	if (s != ST_OK) {
		store_rollback(st);
		log_store_error(c, st, s);
		return PAM_AUTH_ERR;
	}
	if (rc == PAM_SUCCESS) {
		if (left || !strcmp(reason, "recovery code used"))
			conv_info(c->pamh, c->cfg.silent,
				  "Recovery code accepted; %u left. Ask for new codes when few are left.",
				  left);
		log_event(LOG_INFO, &c->log, deferred ? "code-ok" : "success", "%s%s", reason,
			  deferred ? "; the attempt stays counted until authsucc" : "");
		return PAM_SUCCESS;
	}
	if (v == V_FAIL && strcmp(reason, "error"))
		log_event(LOG_NOTICE, &c->log, "fail", "%s", reason);
	if (c->cfg.show_lock && lockout_is_locked(&c->policy, &t, now))
		conv_info(c->pamh, c->cfg.silent, "The account is locked.");
	return rc == PAM_BUF_ERR ? rc : PAM_AUTH_ERR;
}
