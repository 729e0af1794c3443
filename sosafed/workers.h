/* The worker pool: decisions (store transactions, yescrypt, NSS lookups)
 * run here, so that the server loop never waits for one. Each worker keeps
 * its own store handle. */
#ifndef SOSAFED_WORKERS_H
#define SOSAFED_WORKERS_H

#include <stdbool.h>
#include <stddef.h>

#include "daemon.h"
#include "peer.h"

#define WORKERS 4
#define WORK_QUEUE_MAX 1024        /* queued requests; past it: busy */

/* One request in flight: the server loop fills IN and PEER, a worker fills
 * OUT and hands the job back through the completion callback. */
struct job {
	struct peer peer;
	unsigned char *in;            /* the payload (no length prefix); wiped by the worker */
	size_t inlen;
	unsigned char *out;           /* the whole reply frame */
	size_t outcap;
	long outlen;                  /* -1: no reply could be encoded (close) */
	struct job *next;
	void *owner;                  /* the connection, for the server loop */
};

struct pool;
/* Start the workers; DONE(job, ctx) is called from a worker thread when a
 * job is finished. Returns NULL on failure. */
struct pool *pool_start(const struct daemon *dm, void (*done)(struct job *, void *), void *ctx);
/* Queue J; false when the queue is full. */
bool pool_submit(struct pool *p, struct job *j);
/* Stop the workers after the jobs in hand. */
void pool_stop(struct pool *p);

#endif
