/* The worker pool (see workers.h): a queue under one mutex, WORKERS
 * threads, each with its own store handle. */
#include <config.h>
#include "workers.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "decide.h"

struct pool {
	const struct daemon *dm;
	void (*done)(struct job *, void *);
	void *ctx;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct job *head, *tail;
	size_t queued;
	bool stopping;
	unsigned nthreads;
	pthread_t threads[WORKERS];
};

static struct job *take(struct pool *p)
{
	pthread_mutex_lock(&p->lock);
	while (!p->head && !p->stopping)
		pthread_cond_wait(&p->wake, &p->lock);
	struct job *j = p->head;
	if (j) {
		p->head = j->next;
		if (!p->head)
			p->tail = NULL;
		p->queued--;
	}
	pthread_mutex_unlock(&p->lock);
	return j;
}

static void *worker_main(void *arg)
{
	struct pool *p = arg;
	struct worker_store ws = { 0 };
	static __thread struct sd_reply rep;
	struct job *j;
	while ((j = take(p))) {
		decide(p->dm, &ws, &j->peer, j->in, j->inlen, &rep);
		explicit_bzero(j->in, j->inlen);
		j->outlen = sd_reply_encode(&rep, j->out, j->outcap);
		sd_reply_wipe(&rep);
		p->done(j, p->ctx);
	}
	if (ws.st)
		store_close(ws.st);
	return NULL;
}

struct pool *pool_start(const struct daemon *dm, void (*done)(struct job *, void *), void *ctx)
{
	struct pool *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->dm = dm;
	p->done = done;
	p->ctx = ctx;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->wake, NULL);
	for (unsigned i = 0; i < WORKERS; i++) {
		if (pthread_create(&p->threads[i], NULL, worker_main, p) != 0)
			break;
		p->nthreads++;
	}
	if (!p->nthreads) {
		free(p);
		return NULL;
	}
	return p;
}

bool pool_submit(struct pool *p, struct job *j)
{
	pthread_mutex_lock(&p->lock);
	if (p->queued >= WORK_QUEUE_MAX || p->stopping) {
		pthread_mutex_unlock(&p->lock);
		return false;
	}
	j->next = NULL;
	if (p->tail)
		p->tail->next = j;
	else
		p->head = j;
	p->tail = j;
	p->queued++;
	pthread_cond_signal(&p->wake);
	pthread_mutex_unlock(&p->lock);
	return true;
}

void pool_stop(struct pool *p)
{
	pthread_mutex_lock(&p->lock);
	p->stopping = true;
	pthread_cond_broadcast(&p->wake);
	pthread_mutex_unlock(&p->lock);
	for (unsigned i = 0; i < p->nthreads; i++)
		pthread_join(p->threads[i], NULL);
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->wake);
	free(p);
}
