/* Peer credentials, the rules of who may ask what, and the rate limits of
 * unprivileged uids (see peer.h). */
#include <config.h>
#include "peer.h"

#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int peer_identify(struct peer *p, int fd, bool strict_peers)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 || len != sizeof(cred))
		return -1;
	p->pid = cred.pid;
	p->uid = cred.uid;
	p->gid = cred.gid;
	/* A daemon run by an unprivileged owner of its state directory (tests)
	 * serves that owner like root: it could open the store itself. */
	p->privileged = cred.uid == 0 || (!strict_peers && cred.uid == geteuid());
	return 0;
}

/* Does USER's passwd entry carry UID? */
static bool user_has_uid(const char *user, uid_t uid)
{
	struct passwd pwbuf, *pw = NULL;
	long size = sysconf(_SC_GETPW_R_SIZE_MAX);
	char *buf = malloc(size > 0 ? (size_t)size : 16384);
	if (!buf)
		return false;
	bool same = getpwnam_r(user, &pwbuf, buf, size > 0 ? (size_t)size : 16384, &pw) == 0 &&
		    pw && pw->pw_uid == uid;
	free(buf);
	return same;
}

enum sd_verdict peer_check(const struct peer *p, struct sd_request *req,
			   const struct log_ctx *log)
{
	if (p->privileged || req->kind == SD_PING)
		return SD_ALLOW;
	const char *why = NULL;
	if (req->kind == SD_PREAUTH || req->kind == SD_AUTHSUCC)
		why = "may not count or clear attempts";
	else if (!req->user || !user_has_uid(req->user, p->uid))
		why = "asked for another user";
	else if (req->flags & (SDF_FORWARD_PASS | SDF_CHECK_PASSWORD))
		why = "may use the plain prompt mode only";
	if (why) {
		log_event(LOG_WARNING, log, "deny-peer", "uid %u pid %d: %s %s", (unsigned)p->uid,
			  (int)p->pid, sd_kind_name(req->kind), why);
		return SD_BAD_REQUEST;
	}
	/* the daemon counts the attempt itself, under its own configuration */
	req->seq = 0;
	req->conf = NULL;
	req->nwords = 0;
	return SD_ALLOW;
}

/* ---- rate limits (server loop thread only) ---- */

struct uid_slot {
	bool used;
	uid_t uid;
	unsigned nconn;
	int64_t tokens_ms;   /* tokens times 1000, so that refills stay integer */
	int64_t last_ms;
};

struct peer_limits {
	struct uid_slot slot[PEER_TABLE];
};

struct peer_limits *peer_limits_new(void)
{
	return calloc(1, sizeof(struct peer_limits));
}

void peer_limits_free(struct peer_limits *l)
{
	free(l);
}

static void refill(struct uid_slot *s, int64_t now_ms)
{
	int64_t dt = now_ms - s->last_ms;
	if (dt > 0) {
		s->tokens_ms += dt * PEER_RATE_PER_S;
		if (s->tokens_ms > PEER_BURST * 1000)
			s->tokens_ms = PEER_BURST * 1000;
		s->last_ms = now_ms;
	}
}

/* UID's slot; a new one may take over a slot that holds nothing (no open
 * connection, a full bucket). NULL: the table is full. */
static struct uid_slot *find_slot(struct peer_limits *l, uid_t uid, int64_t now_ms, bool create)
{
	struct uid_slot *free_slot = NULL;
	for (unsigned i = 0; i < PEER_TABLE; i++) {
		struct uid_slot *s = &l->slot[i];
		if (s->used && s->uid == uid)
			return s;
		if (!free_slot && create) {
			if (s->used && !s->nconn)
				refill(s, now_ms);
			if (!s->used || (!s->nconn && s->tokens_ms >= PEER_BURST * 1000))
				free_slot = s;
		}
	}
	if (free_slot)
		*free_slot = (struct uid_slot){ .used = true, .uid = uid,
						.tokens_ms = PEER_BURST * 1000, .last_ms = now_ms };
	return free_slot;
}

bool peer_limits_admit(struct peer_limits *l, uid_t uid, int64_t now_ms)
{
	struct uid_slot *s = find_slot(l, uid, now_ms, true);
	if (!s)
		return false;
	refill(s, now_ms);
	if (s->nconn >= PEER_MAX_CONN || s->tokens_ms < 1000)
		return false;
	s->tokens_ms -= 1000;
	s->nconn++;
	return true;
}

void peer_limits_release(struct peer_limits *l, uid_t uid)
{
	struct uid_slot *s = find_slot(l, uid, 0, false);
	if (s && s->nconn)
		s->nconn--;
}
