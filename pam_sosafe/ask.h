/* One request to the daemon per step, and what its reply asks of the
 * module: lines to show and the attempt number kept on the PAM handle. */
#ifndef PAM_SOSAFE_ASK_H
#define PAM_SOSAFE_ASK_H

#include <stdint.h>

#include "context.h"
#include "proto/proto.h"

/* REQ for KIND with what every request carries: who, where, the line. */
void ask_init(struct sosafe_ctx *c, struct sd_request *req, enum sd_kind kind);

/* Send REQ and read *REP. Returns PAM_SUCCESS, or when the module cannot
 * work (daemon unreachable, late, garbled, or its store unusable) logs
 * LOG_CRIT event=daemon-error and returns FAIL, or PAM_IGNORE where
 * break-glass applies. Wipes the secrets REQ points at no further. */
int ask_daemon(struct sosafe_ctx *c, struct sd_request *req, struct sd_reply *rep, int fail);

/* Show REP's lines (unless silent) and keep, renew or forget the attempt
 * number on the handle. Returns PAM_SUCCESS or PAM_BUF_ERR. */
int ask_apply(struct sosafe_ctx *c, const struct sd_reply *rep);

/* The attempt counted up front on this handle (0: none). */
int64_t ask_counted_attempt(struct sosafe_ctx *c);

#endif
