/* The second factor: modes otp, forward_pass and check_password (R2, R12).
 * The decision itself is otp/decision.h, shared with sosafe-otpchk; this
 * step converses, hands over, and tells the outcome. Order of work, so that
 * nothing can be learned without being counted and nothing holds the
 * store's write lock while a user types:
 *   1. read the enrolled parameters (digit count) without a transaction;
 *   2. converse: code prompt, or the single field, or password + code;
 *   3. slow checks outside the lock (otp_decision_prepare);
 *   4. one attempt transaction decides (otp_decide).
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

#include "base/util.h"
#include "conv.h"
#include "otp/decision.h"

#define OTPCHK_HELPER SOSAFE_SBINDIR "/sosafe-otpchk"

struct otp_input {
	char *raw;                  /* what the conversation returned */
	char *password;             /* password part (forward_pass, check_password) */
	struct otp_answer ans;
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

/* Say how it ended; returns the PAM status. */
static int tell_outcome(struct sosafe_ctx *c, const struct otp_decision *d, int64_t now)
{
	if (d->outcome == OTP_ACCEPTED || d->outcome == OTP_ACCEPTED_COUNTED) {
		bool kept = d->outcome == OTP_ACCEPTED_COUNTED;
		if (d->recovery_used)
			conv_info(c->pamh, c->cfg.silent,
				  "Recovery code accepted; %u left. Ask for new codes when few are left.",
				  d->recovery_left);
		log_event(LOG_INFO, &c->log, kept ? "code-ok" : "success", "%s%s", d->reason,
			  kept ? "; the attempt stays counted until authsucc" : "");
		return PAM_SUCCESS;
	}
	if (d->outcome == OTP_REFUSED)
		log_event(LOG_NOTICE, &c->log, "fail", "%s", d->reason);
	if (c->cfg.show_lock && lockout_is_locked(&c->policy, &d->tally, now))
		conv_info(c->pamh, c->cfg.silent, "The account is locked.");
	return PAM_AUTH_ERR;
}

int step_otp(struct sosafe_ctx *c)
{
	struct otp_input in;
	memset(&in, 0, sizeof(in));
	ctx_request_delay(c);
	_cleanup_store_ struct store *st = c->user_valid ? open_store_or_log(c, false) : NULL;
	struct otp_decision d;
	otp_decision_init(&d, st, &c->cfg, &c->policy, &c->log, c->user);
	d.check_password = c->check_password;
	d.keep_counted = c->forward_pass && !c->check_password;

	/* 1. enrolled digit count (6 when unknown: the prompt is the same) */
	if (st) {
		enum store_status s = otp_decision_lookup(&d);
		if (s != ST_OK && s != ST_NOTFOUND) {
			log_store_error(c, st, s);
			store_close(st);
			st = d.st = NULL;
		}
	}

	/* 2. converse, always, so that a bad name or a broken store looks the same */
	int rc = converse(c, d.digits, d.enrolled, &in);
	if (rc != PAM_SUCCESS) {
		input_wipe(&in);
		return rc == PAM_CONV_AGAIN ? PAM_INCOMPLETE : rc == PAM_BUF_ERR ? rc : PAM_AUTH_ERR;
	}
	/* 3. slow checks outside the lock (a refused name costs no password hash) */
	otp_decision_prepare(&d, &in.ans, c->user_valid ? in.password : NULL);
	if (!c->user_valid) {
		log_event(LOG_NOTICE, &c->log, "bad-user", "user name refused (invalid characters or length)");
		otp_decision_wipe(&d);
		input_wipe(&in);
		return PAM_AUTH_ERR;
	}
	if (!st) {
		otp_decision_wipe(&d);
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
	d.seq = counted_attempt(c);
	enum store_status s = otp_decide(&d, &in.ans, now);
	otp_decision_wipe(&d);
	input_wipe(&in);
	if (d.counted_here)
		log_lock_verdict(c, &d.counted_tally, LOCK_ALLOW, d.locked_now);
	else if (d.outcome == OTP_DENY_LOCKED)
		log_lock_verdict(c, &d.counted_tally, LOCK_DENY_LOCKED, false);
	if (d.outcome == OTP_RIGHT_BUT_LOCKED) {
		log_event(LOG_NOTICE, &c->log, "deny-locked", "credentials right but the account is locked");
		tell_locked(c, &d.tally, now);
	}
	if (s != ST_OK) {
		log_store_error(c, st, s);
		return PAM_AUTH_ERR;
	}
	if (d.outcome == OTP_ACCEPTED)
		forget_attempt(c);   /* settled: a second success line must not reuse it */
	else if (d.counted_here && remember_attempt(c, d.seq) != PAM_SUCCESS)
		return PAM_BUF_ERR;
	return tell_outcome(c, &d, now);
}
