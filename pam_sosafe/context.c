#include <config.h>
#include "context.h"

#include <security/pam_ext.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/accounts.h"
#include "audit/audit.h"
#include "base/names.h"
#include "base/util.h"

static const struct {
	const char *word;
	enum sosafe_action action;
} action_words[] = {
	{ "preauth", ACT_PREAUTH },
	{ "authsucc", ACT_AUTHSUCC },
	{ "otp", ACT_OTP },
};

/* Line words that are modes, not configuration keys. */
static int parse_mode_word(struct sosafe_ctx *c, const char *w)
{
	for (size_t i = 0; i < ARRAY_SIZE(action_words); i++)
		if (!strcmp(w, action_words[i].word)) {
			c->action = action_words[i].action;
			return 1;
		}
	if (!strcmp(w, "forward_pass")) {
		c->forward_pass = true;
		c->action = ACT_OTP;
		return 1;
	}
	if (!strcmp(w, "check_password")) {
		c->check_password = true;
		c->action = ACT_OTP;
		return 1;
	}
	return 0;
}

#define IDENTITY_KEY "pam_sosafe_identity"

static void identity_cleanup(pam_handle_t *pamh, void *data, int error_status)
{
	audit_identity_wipe(data);
	free(data);
}

/* log_identity of this line's configuration, kept on the handle: a host
 * may run several handles with different conf= lines in parallel threads,
 * and the key leaves memory with the handle (pam_end). */
static int use_identity(struct sosafe_ctx *c)
{
	const void *data = NULL;
	struct audit_identity *id;
	if (pam_get_data(c->pamh, IDENTITY_KEY, &data) == PAM_SUCCESS && data) {
		id = (struct audit_identity *)data;
	} else {
		id = calloc(1, sizeof(*id));
		if (!id)
			return -1;
		if (pam_set_data(c->pamh, IDENTITY_KEY, id, identity_cleanup) != PAM_SUCCESS) {
			free(id);
			return -1;
		}
	}
	audit_identity_init(id, &c->cfg);
	c->log.identity = &id->log;
	return 0;
}

static void resolve_user(struct sosafe_ctx *c)
{
	account_privilege(c->user, c->cfg.admin_group, &c->is_root, &c->is_admin);
}

int ctx_init(struct sosafe_ctx *c, pam_handle_t *pamh, int flags, int argc, const char **argv,
	     bool auth_phase)
{
	struct sosafe_err err;
	const char *conf = NULL;
	memset(c, 0, sizeof(*c));
	c->pamh = pamh;
	c->flags = flags;
	c->log.ident = "pam_sosafe";
	config_defaults(&c->cfg);

	const void *item = NULL;
	if (pam_get_item(pamh, PAM_SERVICE, &item) == PAM_SUCCESS)
		c->service = item;
	item = NULL;
	if (pam_get_item(pamh, PAM_RHOST, &item) == PAM_SUCCESS)
		c->rhost = item;
	c->log.service = c->service;
	c->log.rhost = c->rhost;

	for (int i = 0; i < argc; i++)
		if (!strncmp(argv[i], "conf=", 5))
			conf = argv[i] + 5;
	if (config_load_file(&c->cfg, conf ? conf : SOSAFE_CONF, conf == NULL, &err)) {
		log_event(LOG_ERR, &c->log, "config-error", "%s", err.msg);
		return PAM_SERVICE_ERR;
	}
	for (int i = 0; i < argc; i++) {
		if (!strncmp(argv[i], "conf=", 5) || parse_mode_word(c, argv[i]))
			continue;
		if (config_apply_word(&c->cfg, argv[i], &err)) {
			log_event(LOG_ERR, &c->log, "config-error", "PAM line: %s", err.msg);
			return PAM_SERVICE_ERR;
		}
	}
	if (config_check(&c->cfg, &err)) {
		log_event(LOG_ERR, &c->log, "config-error", "%s", err.msg);
		return PAM_SERVICE_ERR;
	}
	if (auth_phase && c->action == ACT_NONE) {
		log_event(LOG_ERR, &c->log, "config-error",
			  "auth line needs a mode: preauth, authsucc, otp, forward_pass or check_password");
		return PAM_SERVICE_ERR;
	}
	if (c->flags & PAM_SILENT)
		c->cfg.silent = true;
	if (use_identity(c)) {
		log_event(LOG_CRIT, &c->log, "error", "out of memory");
		return PAM_BUF_ERR;
	}

	const char *user = NULL;
	int rc = pam_get_user(pamh, &user, NULL);
	if (rc != PAM_SUCCESS || !user) {
		log_event(LOG_ERR, &c->log, "error", "cannot get user name");
		return rc == PAM_CONV_AGAIN ? PAM_INCOMPLETE : PAM_AUTH_ERR;
	}
	c->user = user;
	c->log.user = user;
	c->user_valid = name_is_valid(user);
	if (c->user_valid)
		resolve_user(c);
	lock_policy_from_conf(&c->policy, &c->cfg, c->is_root, c->is_admin);
	return PAM_SUCCESS;
}

void ctx_request_delay(struct sosafe_ctx *c)
{
	if (!c->cfg.nodelay && c->cfg.fail_delay_ms)
		pam_fail_delay(c->pamh, c->cfg.fail_delay_ms * 1000U);
}
