/* One request from payload to reply: decode, peer rules, configuration,
 * the handler of its kind. Runs in a worker thread. */
#ifndef SOSAFED_DECIDE_H
#define SOSAFED_DECIDE_H

#include <stddef.h>

#include "daemon.h"
#include "handlers.h"
#include "peer.h"
#include "proto/proto.h"

/* Decide the request in payload IN (LEN bytes) from peer P into REP. */
void decide(const struct daemon *dm, struct worker_store *ws, const struct peer *p,
	    const unsigned char *in, size_t len, struct sd_reply *rep);

#endif
