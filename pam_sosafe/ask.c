#include <config.h>
#include "ask.h"

#include <security/pam_ext.h>
#include <stdlib.h>
#include <string.h>

#include "break_glass.h"
#include "client/client.h"
#include "conv.h"

/* pam data: the number of the attempt the daemon counted up front
 * (int64_t), per handle: a threaded host runs many handles at once. */
#define ATTEMPT_KEY "pam_sosafe_attempt"

void ask_init(struct sosafe_ctx *c, struct sd_request *req, enum sd_kind kind)
{
	memset(req, 0, offsetof(struct sd_request, arena));
	req->kind = kind;
	req->user = c->user;
	req->service = c->service;
	req->rhost = c->rhost;
	req->tty = c->tty;
	req->ruser = c->ruser;
	req->conf = c->conf;
	for (unsigned i = 0; i < c->nwords; i++)
		req->words[i] = c->words[i];
	req->nwords = c->nwords;
	if (c->cfg.silent)
		req->flags |= SDF_SILENT;
}

int ask_daemon(struct sosafe_ctx *c, struct sd_request *req, struct sd_reply *rep, int fail)
{
	struct sosafe_err err;
	struct sd_client client = {
		.state_dir = c->cfg.state_dir,
		.daemon_path = c->cfg.sosafed_path[0] ? c->cfg.sosafed_path : SOSAFE_SBINDIR "/sosafed",
		.conf = c->conf,
		.timeout_ms = c->cfg.sosafed_timeout_ms,
	};
	if (sd_call(&client, req, rep, &err) < 0) {
		log_event(LOG_CRIT, &c->log, "daemon-error", "%s refused: no answer from sosafed: %s",
			  sd_kind_name(req->kind), err.msg);
		return bg_fail(c, fail, "sosafed unreachable");
	}
	if (rep->verdict == SD_UNAVAILABLE) {
		log_event(LOG_CRIT, &c->log, "daemon-error", "%s refused: sosafed reports its "
			  "configuration or store unusable (see its store-error line)",
			  sd_kind_name(req->kind));
		return bg_fail(c, fail, "store unusable");
	}
	if (rep->verdict == SD_BAD_REQUEST)
		log_event(LOG_ERR, &c->log, "daemon-error", "%s refused by sosafed as malformed or "
			  "not allowed for this caller", sd_kind_name(req->kind));
	else if (rep->verdict == SD_BUSY)
		log_event(LOG_WARNING, &c->log, "daemon-busy", "%s refused: sosafed is overloaded "
			  "or this caller sends too many requests", sd_kind_name(req->kind));
	return PAM_SUCCESS;
}

static void attempt_cleanup(pam_handle_t *pamh, void *data, int status)
{
	(void)pamh;
	(void)status;
	free(data);
}

static int remember_attempt(struct sosafe_ctx *c, int64_t seq)
{
	int64_t *data = malloc(sizeof(*data));
	if (!data || pam_set_data(c->pamh, ATTEMPT_KEY, data, attempt_cleanup) != PAM_SUCCESS) {
		free(data);
		return PAM_BUF_ERR;
	}
	*data = seq;
	return PAM_SUCCESS;
}

int64_t ask_counted_attempt(struct sosafe_ctx *c)
{
	const void *data = NULL;
	if (pam_get_data(c->pamh, ATTEMPT_KEY, &data) == PAM_SUCCESS && data)
		return *(const int64_t *)data;
	return 0;
}

int ask_apply(struct sosafe_ctx *c, const struct sd_reply *rep)
{
	for (unsigned i = 0; i < rep->ninfo && i < SD_INFO_MAX; i++)
		conv_info(c->pamh, c->cfg.silent, "%s", rep->info[i]);
	switch (rep->seq_action) {
	case SD_SEQ_SET:
		return remember_attempt(c, rep->seq);
	case SD_SEQ_FORGET:
		/* settled: a second success line must not reuse it */
		pam_set_data(c->pamh, ATTEMPT_KEY, NULL, NULL);
		break;
	case SD_SEQ_KEEP:
		break;
	}
	return PAM_SUCCESS;
}
