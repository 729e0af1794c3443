#include <config.h>
#include "context.h"

#include <security/pam_ext.h>
#include <string.h>

#include "base/names.h"
#include "base/util.h"
#include "break_glass.h"

static const struct {
	const char *word;
	enum sosafe_action action;
} action_words[] = {
	{ "preauth", ACT_PREAUTH },
	{ "authsucc", ACT_AUTHSUCC },
	{ "otp", ACT_OTP },
};

#define BREAK_GLASS_WORD "break_glass="

/* Line words that are the module's own, not configuration keys. */
static int parse_module_word(struct sosafe_ctx *c, const char *w)
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
	if (!strncmp(w, "conf=", 5)) {
		c->conf = w + 5;
		return 1;
	}
	if (!strncmp(w, BREAK_GLASS_WORD, strlen(BREAK_GLASS_WORD))) {
		c->break_glass = w + strlen(BREAK_GLASS_WORD);
		return 1;
	}
	return 0;
}

/* The daemon computes the keyed pseudonym; this process holds no key, so
 * its own lines leave the user out when names must not be logged. */
static const char *user_hidden(const struct log_identity *id, const char *user, char *buf,
			       size_t len)
{
	(void)id;
	(void)user;
	(void)buf;
	(void)len;
	return NULL;
}

static const struct log_identity hidden_identity = { .pseudonym = true, .shown = user_hidden };

static const char *item_text(pam_handle_t *pamh, int type)
{
	const void *item = NULL;
	if (pam_get_item(pamh, type, &item) != PAM_SUCCESS)
		return NULL;
	return item;
}

/* The line and the file; 0, or -1 + E. Everything is parsed even when the
 * file is broken, so that break_glass= is known. */
static int load_config(struct sosafe_ctx *c, int argc, const char **argv, struct sosafe_err *e)
{
	for (int i = 0; i < argc; i++) {
		if (parse_module_word(c, argv[i]))
			continue;
		if (c->nwords == SD_WORDS_MAX)
			return err_set(e, "PAM line: more than %d configuration words", SD_WORDS_MAX);
		c->words[c->nwords++] = argv[i];
	}
	if (config_load_file(&c->cfg, c->conf ? c->conf : SOSAFE_CONF, c->conf == NULL, e))
		return -1;
	for (unsigned i = 0; i < c->nwords; i++)
		if (config_apply_word(&c->cfg, c->words[i], e))
			return err_prefix(e, "PAM line");
	return config_check(&c->cfg, e);
}

int ctx_init(struct sosafe_ctx *c, pam_handle_t *pamh, int flags, int argc, const char **argv,
	     bool auth_phase)
{
	struct sosafe_err err;
	memset(c, 0, sizeof(*c));
	c->pamh = pamh;
	c->flags = flags;
	c->log.ident = "pam_sosafe";
	c->log.phase = auth_phase ? "auth" : "account";
	config_defaults(&c->cfg);
	c->service = item_text(pamh, PAM_SERVICE);
	c->rhost = item_text(pamh, PAM_RHOST);
	c->tty = item_text(pamh, PAM_TTY);
	c->ruser = item_text(pamh, PAM_RUSER);
	c->log.service = c->service;
	c->log.rhost = c->rhost;

	int cfg_rc = load_config(c, argc, argv, &err);
	if (cfg_rc == 0 && c->cfg.log_pseudonym)
		c->log.identity = &hidden_identity;

	const char *user = NULL;
	int rc = pam_get_user(pamh, &user, NULL);
	if (rc != PAM_SUCCESS || !user) {
		log_event(LOG_ERR, &c->log, "error", "cannot get user name");
		return rc == PAM_CONV_AGAIN ? PAM_INCOMPLETE : PAM_AUTH_ERR;
	}
	c->user = user;
	c->user_valid = name_is_valid(user);
	c->log.user = user;
	if (cfg_rc) {
		log_event(LOG_ERR, &c->log, "config-error", "%s", err.msg);
		return bg_fail(c, PAM_SERVICE_ERR, "configuration unusable");
	}
	if (auth_phase && c->action == ACT_NONE) {
		log_event(LOG_ERR, &c->log, "config-error",
			  "auth line needs a mode: preauth, authsucc, otp, forward_pass or check_password");
		return PAM_SERVICE_ERR;
	}
	if (c->flags & PAM_SILENT)
		c->cfg.silent = true;
	return PAM_SUCCESS;
}

void ctx_request_delay(struct sosafe_ctx *c)
{
	if (!c->cfg.nodelay && c->cfg.fail_delay_ms)
		pam_fail_delay(c->pamh, c->cfg.fail_delay_ms * 1000U);
}
