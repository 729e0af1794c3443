/* The module's side of the daemon: one request, one reply, within one
 * deadline that covers connecting, starting the daemon when it is not
 * running, sending and reading. See lib/proto/proto.h for the frames.
 *
 * THREAD SAFETY: no state; each call has its own socket and buffers. */
#ifndef SOSAFE_CLIENT_H
#define SOSAFE_CLIENT_H

#include <stdbool.h>

#include "base/err.h"
#include "proto/proto.h"

struct sd_client {
	const char *state_dir;    /* the socket is STATE_DIR/sosafed.sock */
	const char *daemon_path;  /* what to start when nobody listens; NULL: never */
	const char *conf;         /* --conf for the started daemon; NULL: its default */
	unsigned timeout_ms;      /* the whole call */
};

/* Send REQ and read the reply into *REP. Returns 0, or -1 with E saying
 * why (unreachable, could not start, late, malformed reply): the caller
 * fails closed. The encoded request is wiped before returning. */
int sd_call(const struct sd_client *c, const struct sd_request *req, struct sd_reply *rep,
	    struct sosafe_err *e);

/* May this process start the daemon for STATE_DIR? Only when its effective
 * uid owns the state directory (root for the system one; a missing
 * directory: root only, the daemon creates it). */
bool sd_may_autostart(const char *state_dir);

#endif
