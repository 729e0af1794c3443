/* The second factor: modes otp, forward_pass and check_password. The
 * module converses and hands the typed answer to the daemon, which splits
 * it, checks it and counts it; the secret never enters this process.
 * Invalid names and users without a secret see the same prompts. */
#include <config.h>
#include "steps.h"

#include <security/pam_ext.h>
#include <string.h>

#include "ask.h"
#include "base/util.h"
#include "conv.h"

struct otp_input {
	char *raw;          /* the code, or the single field (forward_pass) */
	char *password;     /* check_password: the password asked first */
	bool raw_asked;     /* forward_pass: asked here, not taken from PAM_AUTHTOK */
};

static void input_wipe(struct otp_input *in)
{
	secure_free_str(in->raw);
	secure_free_str(in->password);
	explicit_bzero(in, sizeof(*in));
}

static int converse(struct sosafe_ctx *c, struct otp_input *in)
{
	int rc;
	if (c->forward_pass) {
		const void *item = NULL;
		if (pam_get_item(c->pamh, PAM_AUTHTOK, &item) == PAM_SUCCESS && item) {
			in->raw = strdup(item);
			return in->raw ? PAM_SUCCESS : PAM_BUF_ERR;
		}
		in->raw_asked = true;
		return conv_ask(c->pamh, c->cfg.password_prompt, false, &in->raw);
	}
	if (c->check_password) {
		rc = conv_ask(c->pamh, c->cfg.password_prompt, false, &in->password);
		if (rc != PAM_SUCCESS)
			return rc;
	}
	rc = conv_ask(c->pamh, c->cfg.otp_prompt, false, &in->raw);
	if (rc == PAM_SUCCESS && in->password)
		pam_set_item(c->pamh, PAM_AUTHTOK, in->password);
	return rc;
}

/* forward_pass: hand on the password the daemon found in the field (a
 * prefix, or decoded from OpenVPN's SCRV1 form), or all of the field when
 * it found none or could not be asked, so use_first_pass modules below do
 * the same work either way. */
static void hand_on_password(struct sosafe_ctx *c, struct otp_input *in,
			     const struct sd_reply *rep, bool answered)
{
	size_t len = strlen(in->raw);
	if (answered && rep->has_authtok) {
		pam_set_item(c->pamh, PAM_AUTHTOK, rep->authtok);
	} else if (answered && rep->has_password_len && rep->password_len <= len) {
		char keep = in->raw[rep->password_len];
		in->raw[rep->password_len] = '\0';
		pam_set_item(c->pamh, PAM_AUTHTOK, in->raw);
		in->raw[rep->password_len] = keep;
	} else if (in->raw_asked) {
		pam_set_item(c->pamh, PAM_AUTHTOK, in->raw);
	}
}

int step_otp(struct sosafe_ctx *c)
{
	struct otp_input in;
	memset(&in, 0, sizeof(in));
	ctx_request_delay(c);
	int rc = converse(c, &in);
	if (rc != PAM_SUCCESS) {
		input_wipe(&in);
		return rc == PAM_CONV_AGAIN ? PAM_INCOMPLETE : rc == PAM_BUF_ERR ? rc : PAM_AUTH_ERR;
	}
	if (!c->user_valid) {
		log_bad_user(c);
		input_wipe(&in);
		return PAM_AUTH_ERR;
	}
	struct sd_request req;
	struct sd_reply rep;
	ask_init(c, &req, SD_OTP);
	req.seq = ask_counted_attempt(c);
	req.answer = in.raw;
	req.password = in.password;
	if (c->forward_pass)
		req.flags |= SDF_FORWARD_PASS;
	if (c->check_password)
		req.flags |= SDF_CHECK_PASSWORD;
	rc = ask_daemon(c, &req, &rep, PAM_AUTH_ERR);
	bool answered = rc == PAM_SUCCESS;
	if (c->forward_pass)
		hand_on_password(c, &in, &rep, answered);
	input_wipe(&in);
	explicit_bzero(rep.authtok, sizeof(rep.authtok));
	if (!answered)
		return rc;
	rc = ask_apply(c, &rep);
	return rc != PAM_SUCCESS ? rc : auth_status(c, rep.verdict);
}
