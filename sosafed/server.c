/* The server loop (see server.h). */
#include <config.h>
#include "server.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "proto/proto.h"
#include "workers.h"

enum conn_state { C_READING, C_WORKING, C_WRITING };

struct conn {
	int fd;
	enum conn_state state;
	struct peer peer;
	bool limited;                 /* counted in the peer limits */
	int64_t deadline_ms;
	size_t got;                   /* bytes of in[] read */
	size_t sent;
	struct job job;
	unsigned char in[4 + SD_FRAME_MAX];
	unsigned char out[4 + SD_FRAME_MAX];
};

struct server {
	const struct daemon *dm;
	struct conn *conns[MAX_CONN];
	unsigned nconns;
	unsigned max_conns;           /* MAX_CONN, or less if descriptors are short */
	struct peer_limits *limits;
	struct pool *pool;
	int event_fd;                 /* workers: a job is done */
	pthread_mutex_t done_lock;
	struct job *done;             /* finished jobs, for the loop */
};

static const struct log_ctx daemon_log = { .ident = "sosafed" };

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Worker thread: hand the finished job to the loop. */
static void job_done(struct job *j, void *ctx)
{
	struct server *s = ctx;
	pthread_mutex_lock(&s->done_lock);
	j->next = s->done;
	s->done = j;
	pthread_mutex_unlock(&s->done_lock);
	uint64_t one = 1;
	if (write(s->event_fd, &one, sizeof(one)) < 0) {
		/* the counter cannot overflow in practice; the loop polls anyway */
	}
}

static void conn_close(struct server *s, unsigned i)
{
	struct conn *c = s->conns[i];
	if (c->limited)
		peer_limits_release(s->limits, c->peer.uid);
	close(c->fd);
	explicit_bzero(c->in, sizeof(c->in));
	explicit_bzero(c->out, sizeof(c->out));
	free(c);
	s->conns[i] = s->conns[--s->nconns];
	s->conns[s->nconns] = NULL;
}

/* A short reply straight from the loop (busy, bad frame): best effort on
 * the empty socket buffer of a fresh connection, then close. */
static void refuse_now(int fd, enum sd_verdict v)
{
	struct sd_reply rep = { .verdict = v };
	unsigned char buf[64];
	long n = sd_reply_encode(&rep, buf, sizeof(buf));
	if (n > 0 && send(fd, buf, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
		/* the client left: nothing to tell */
	}
}

static void accept_all(struct server *s, int listen_fd)
{
	for (;;) {
		int fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;   /* EAGAIN, or out of descriptors: the next round */
		struct peer p;
		if (peer_identify(&p, fd, s->dm->strict_peers) < 0) {
			close(fd);
			continue;
		}
		int64_t now = now_ms();
		bool limited = !p.privileged;
		if (s->nconns >= s->max_conns || (limited && !peer_limits_admit(s->limits, p.uid, now))) {
			refuse_now(fd, SD_BUSY);
			close(fd);
			continue;
		}
		struct conn *c = calloc(1, sizeof(*c));
		if (!c) {
			if (limited)
				peer_limits_release(s->limits, p.uid);
			refuse_now(fd, SD_BUSY);
			close(fd);
			continue;
		}
		c->fd = fd;
		c->peer = p;
		c->limited = limited;
		c->state = C_READING;
		c->deadline_ms = now + CONN_DEADLINE_MS;
		c->job.owner = c;
		s->conns[s->nconns++] = c;
	}
}

static size_t frame_len(const unsigned char *h)
{
	return (size_t)h[0] << 24 | (size_t)h[1] << 16 | (size_t)h[2] << 8 | h[3];
}

/* Read what is there; returns false when the connection is to be closed. */
static bool conn_read(struct server *s, struct conn *c)
{
	for (;;) {
		size_t want = c->got < 4 ? 4 : 4 + frame_len(c->in);
		if (c->got >= 4 && (frame_len(c->in) == 0 || frame_len(c->in) > SD_FRAME_MAX)) {
			log_event(LOG_WARNING, &daemon_log, "bad-request",
				  "uid %u pid %d: frame of %zu bytes refused", (unsigned)c->peer.uid,
				  (int)c->peer.pid, frame_len(c->in));
			refuse_now(c->fd, SD_BAD_REQUEST);
			return false;
		}
		if (c->got == want && c->got > 4)
			break;
		ssize_t n = recv(c->fd, c->in + c->got, want - c->got, MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return true;
		if (n <= 0)
			return false;   /* gone, or an error: nothing to answer */
		c->got += (size_t)n;
	}
	c->job.peer = c->peer;
	c->job.in = c->in + 4;
	c->job.inlen = c->got - 4;
	c->job.out = c->out;
	c->job.outcap = sizeof(c->out);
	c->job.outlen = -1;
	if (!pool_submit(s->pool, &c->job)) {
		explicit_bzero(c->in, sizeof(c->in));
		refuse_now(c->fd, SD_BUSY);
		return false;
	}
	c->state = C_WORKING;
	return true;
}

static bool conn_write(struct conn *c)
{
	while (c->sent < (size_t)c->job.outlen) {
		ssize_t n = send(c->fd, c->out + c->sent, (size_t)c->job.outlen - c->sent,
				 MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return true;
		if (n <= 0)
			return false;
		c->sent += (size_t)n;
	}
	return false;   /* all written: close */
}

/* The loop's side of job_done(): finished jobs start writing. */
static void collect_done(struct server *s)
{
	uint64_t v;
	if (read(s->event_fd, &v, sizeof(v)) < 0) {
		/* EAGAIN: taken already */
	}
	pthread_mutex_lock(&s->done_lock);
	struct job *j = s->done;
	s->done = NULL;
	pthread_mutex_unlock(&s->done_lock);
	int64_t now = now_ms();
	for (; j; j = j->next) {
		struct conn *c = j->owner;
		c->state = C_WRITING;
		c->deadline_ms = now + CONN_DEADLINE_MS;
	}
}

static bool signalled(int signal_fd)
{
	struct signalfd_siginfo si;
	bool stop = false;
	while (read(signal_fd, &si, sizeof(si)) == (ssize_t)sizeof(si))
		if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT)
			stop = true;
	return stop;
}

/* One round: poll, then serve what is ready. Returns false to stop. */
static bool round_once(struct server *s, int listen_fd, int signal_fd, int64_t *idle_since)
{
	static struct pollfd pfd[MAX_CONN + 3];
	unsigned np = 0;
	int64_t now = now_ms();
	int64_t next = now + 1000;
	pfd[np++] = (struct pollfd){ .fd = signal_fd, .events = POLLIN };
	pfd[np++] = (struct pollfd){ .fd = s->event_fd, .events = POLLIN };
	pfd[np++] = (struct pollfd){ .fd = listen_fd, .events = POLLIN };
	for (unsigned i = 0; i < s->nconns; i++) {
		struct conn *c = s->conns[i];
		short ev = 0;
		if (c->state == C_READING)
			ev = POLLIN;
		else if (c->state == C_WRITING)
			ev = POLLOUT;
		pfd[np++] = (struct pollfd){ .fd = ev ? c->fd : -1, .events = ev };
		if (c->state != C_WORKING && c->deadline_ms < next)
			next = c->deadline_ms;
	}
	int timeout = next > now ? (int)(next - now) : 0;
	int n = poll(pfd, np, timeout);
	if (n < 0 && errno != EINTR)
		return false;
	if (pfd[0].revents && signalled(signal_fd))
		return false;
	if (pfd[1].revents)
		collect_done(s);
	now = now_ms();
	/* connections first (indexes shift as they close), newest accepted after */
	unsigned nold = np - 3;
	for (unsigned k = nold; k-- > 0;) {
		struct conn *c = s->conns[k];
		bool keep = true;
		if (c->state == C_READING && pfd[3 + k].revents)
			keep = conn_read(s, c);
		else if (c->state == C_WRITING)
			keep = c->job.outlen > 0 && conn_write(c);
		if (keep && c->state != C_WORKING && now > c->deadline_ms)
			keep = false;   /* stalled: its deadline passed */
		if (!keep)
			conn_close(s, k);
	}
	if (pfd[2].revents)
		accept_all(s, listen_fd);
	if (s->nconns)
		*idle_since = now;
	return true;
}

/* Idle exit without losing a client: take the socket's name away first
 * (new clients start a new daemon), then serve what is already queued. */
static void drain(struct server *s, int listen_fd)
{
	if (!s->dm->socket_activated)
		unlink(s->dm->socket_path);
	int64_t idle = 0;
	accept_all(s, listen_fd);
	while (s->nconns)
		if (!round_once(s, listen_fd, -1, &idle))
			break;
}

int server_run(const struct daemon *dm, int listen_fd, int signal_fd)
{
	struct server *s = calloc(1, sizeof(*s));
	if (!s)
		return 1;
	s->dm = dm;
	/* never run out of descriptors: accept() failing with EMFILE would
	 * leave the listening socket readable and the loop spinning */
	struct rlimit r;
	s->max_conns = MAX_CONN;
	if (getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur != RLIM_INFINITY &&
	    r.rlim_cur < (rlim_t)MAX_CONN + 64)
		s->max_conns = r.rlim_cur > 128 ? (unsigned)(r.rlim_cur - 64) : 64;
	pthread_mutex_init(&s->done_lock, NULL);
	s->event_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	s->limits = peer_limits_new();
	if (s->event_fd >= 0 && s->limits)
		s->pool = pool_start(dm, job_done, s);
	if (!s->pool) {
		log_event(LOG_CRIT, &daemon_log, "error", "cannot start the workers");
		if (s->event_fd >= 0)
			close(s->event_fd);
		peer_limits_free(s->limits);
		free(s);
		return 1;
	}
	int64_t idle_since = now_ms();
	for (;;) {
		if (!round_once(s, listen_fd, signal_fd, &idle_since))
			break;
		if (dm->idle_exit && !s->nconns &&
		    now_ms() - idle_since >= (int64_t)dm->idle_exit * 1000) {
			drain(s, listen_fd);
			break;
		}
	}
	pool_stop(s->pool);   /* finishes the requests in hand */
	while (s->nconns)
		conn_close(s, s->nconns - 1);
	close(s->event_fd);
	peer_limits_free(s->limits);
	pthread_mutex_destroy(&s->done_lock);
	free(s);
	return 0;
}
