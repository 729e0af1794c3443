/* The decisions, one per request kind: the logic of the PAM module's
 * steps, without the conversation (the module converses and sends the
 * answer). Each fills REP; log lines and audit records are those the
 * module wrote itself, with the request's service and rhost. */
#ifndef SOSAFED_HANDLERS_H
#define SOSAFED_HANDLERS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

#include "audit/audit.h"
#include "base/conf.h"
#include "base/log.h"
#include "lockout/lockout.h"
#include "proto/proto.h"
#include "store/store.h"

/* A worker's store handle, kept across requests. */
struct worker_store {
	struct store *st;
	unsigned long opens;     /* handles opened so far: a new one restarts the changes count */
	struct timespec mtime;   /* state.db as it was when last checked: */
	dev_t dev;               /* replaced, deleted, rewritten behind our */
	ino_t ino;               /* back -> open again (and check again) */
	off_t size;
};

/* Everything one decision needs. */
struct decision_ctx {
	const struct sd_request *req;
	struct sd_reply *rep;
	struct worker_store *ws;
	struct sosafe_config cfg;
	struct lock_policy policy;
	struct log_ctx log;
	struct audit_identity identity;
	bool user_valid;
	bool is_root, is_admin;
	bool silent;                  /* SDF_SILENT or silent in the configuration */
	bool privileged;              /* the peer may pass an attempt number */
};

void handle_preauth(struct decision_ctx *c);
void handle_authsucc(struct decision_ctx *c);
void handle_otp(struct decision_ctx *c);
void handle_account(struct decision_ctx *c);

/* Shared by the handlers (handle_common.c). */

/* The worker's store for C's state_dir; NULL after logging event=store-error. */
struct store *decision_store(struct decision_ctx *c);
/* Log event=store-error with ST's last error. */
void log_store_error(struct decision_ctx *c, struct store *st, enum store_status s);
/* Log what lockout_begin decided: event=deny-locked or event=lock. */
void log_lock_verdict(struct decision_ctx *c, const struct tally *t, enum lock_verdict v,
		      bool locked_now);
/* Add the "account is locked" line (show_lock), and until when. */
void tell_locked(struct decision_ctx *c, const struct tally *t, int64_t now);
/* Log event=bad-user. */
void log_bad_user(struct decision_ctx *c);

#endif
