/* Who is asking (SO_PEERCRED) and what they may ask.
 *
 * Privileged peers (uid 0, and the daemon's own uid when it runs
 * unprivileged on a state directory its user owns, as in the tests) may ask
 * anything for anyone. Every other uid: SD_PING, and SD_OTP / SD_ACCOUNT for
 * its own user name only, plain prompt mode, the attempt counted by the
 * daemon; never SD_PREAUTH / SD_AUTHSUCC (a user clearing their own tally
 * would buy password guesses through sudo). Non-privileged uids are also
 * rate-limited: a token bucket per uid and a cap on open connections. */
#ifndef SOSAFED_PEER_H
#define SOSAFED_PEER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/log.h"
#include "proto/proto.h"

#define PEER_RATE_PER_S 5          /* requests per second per uid (refill) */
#define PEER_BURST 10              /* bucket size */
#define PEER_MAX_CONN 4            /* open connections per uid */
#define PEER_TABLE 1024            /* uids tracked at once; past it: busy */

struct peer {
	pid_t pid;
	uid_t uid;
	gid_t gid;
	bool privileged;
};

/* Read the credentials of connection FD. Returns 0 or -1. */
int peer_identify(struct peer *p, int fd, bool strict_peers);

/* May P ask REQ? Adjusts REQ for unprivileged peers (attempt number and
 * configuration words dropped). SD_ALLOW or SD_BAD_REQUEST; a refusal is
 * logged through LOG. */
enum sd_verdict peer_check(const struct peer *p, struct sd_request *req,
			   const struct log_ctx *log);

/* Rate limit and connection cap of unprivileged uids; used only by the
 * server loop's thread. */
struct peer_limits;
struct peer_limits *peer_limits_new(void);
void peer_limits_free(struct peer_limits *l);
/* A new connection of UID at NOW_MS: true if it may proceed (then
 * peer_limits_release() when it closes), false: answer SD_BUSY. */
bool peer_limits_admit(struct peer_limits *l, uid_t uid, int64_t now_ms);
void peer_limits_release(struct peer_limits *l, uid_t uid);

#endif
