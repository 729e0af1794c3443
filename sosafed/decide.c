/* One request from payload to reply (see decide.h). */
#include <config.h>
#include "decide.h"

#include <errno.h>
#include <string.h>

#include "base/accounts.h"
#include "base/names.h"
#include "group_sync.h"
#include "request_conf.h"

/* The daemon's own lines (malformed requests, refused configurations). */
static const struct log_ctx daemon_log = { .ident = "sosafed" };

static void run(struct decision_ctx *c, enum sd_kind kind)
{
	switch (kind) {
	case SD_PREAUTH: handle_preauth(c); return;
	case SD_AUTHSUCC: handle_authsucc(c); return;
	case SD_OTP: handle_otp(c); return;
	case SD_ACCOUNT: handle_account(c); return;
	case SD_PING: c->rep->verdict = SD_ALLOW; return;
	case SD_REPLY: break;
	}
	c->rep->verdict = SD_BAD_REQUEST;
}

void decide(const struct daemon *dm, struct worker_store *ws, const struct peer *p,
	    const unsigned char *in, size_t len, struct sd_reply *rep)
{
	static __thread struct sd_request req;
	static __thread struct decision_ctx c;

	memset(rep, 0, sizeof(*rep));
	rep->verdict = SD_BAD_REQUEST;
	if (sd_request_decode(&req, in, len) < 0) {
		log_event(LOG_WARNING, &daemon_log, "bad-request",
			  "uid %u pid %d: malformed request refused", (unsigned)p->uid, (int)p->pid);
		return;
	}
	memset(&c, 0, sizeof(c));
	c.req = &req;
	c.rep = rep;
	c.ws = ws;
	c.privileged = p->privileged;
	c.log.ident = "pam_sosafe";
	c.log.phase = req.kind == SD_ACCOUNT ? "account" : "auth";
	c.log.user = req.user;
	c.log.service = req.service;
	c.log.rhost = req.rhost;
	if (peer_check(p, &req, &c.log) != SD_ALLOW)
		goto out;
	if (req.kind == SD_PING) {
		rep->verdict = SD_ALLOW;
		goto out;
	}
	if (!req.user) {
		log_event(LOG_WARNING, &daemon_log, "bad-request", "uid %u pid %d: %s without a user",
			  (unsigned)p->uid, (int)p->pid, sd_kind_name(req.kind));
		goto out;
	}
	struct sosafe_err err;
	err_clear(&err);
	switch (request_config(dm, &req, p->privileged, &c.cfg, &err)) {
	case CONF_OK:
		break;
	case CONF_UNUSABLE:
		log_event(LOG_ERR, &c.log, "config-error", "%s", err.msg);
		rep->verdict = SD_UNAVAILABLE;
		goto out;
	case CONF_FOREIGN:
		log_event(LOG_ERR, &c.log, "config-error", "%s", err.msg);
		goto out;
	}
	c.silent = c.cfg.silent || (req.flags & SDF_SILENT);
	audit_identity_init(&c.identity, &c.cfg);
	c.log.identity = &c.identity.log;
	c.user_valid = name_is_valid(req.user);
	if (c.user_valid)
		account_privilege(req.user, c.cfg.admin_group, &c.is_root, &c.is_admin);
	lock_policy_from_conf(&c.policy, &c.cfg, c.is_root, c.is_admin);
	unsigned long opens = ws->opens;
	long long changes = ws->st ? store_total_changes(ws->st) : 0;
	run(&c, req.kind);
	/* nothing is promised before it is on disk; a request that wrote
	 * nothing has nothing to flush */
	bool wrote = ws->st && (ws->opens != opens ? store_total_changes(ws->st) > 0
						   : store_total_changes(ws->st) != changes);
	/* the shared store's commits are durable when COMMIT returns */
	if (c.cfg.store_sync_commits && wrote && store_is_local(ws->st) &&
	    group_sync(dm->cfg.state_dir) < 0) {
		log_event(LOG_ERR, &c.log, "store-error",
			  "io-error: disk I/O error: the store's commit could not be flushed to disk "
			  "(%s); check the disk", strerror(errno));
		sd_reply_wipe(rep);
		rep->verdict = SD_UNAVAILABLE;
	}
	audit_identity_wipe(&c.identity);
out:
	sd_request_wipe(&req);
}
