/* See view.h. No allocation, no logging, no threads of its own. */
#include <config.h>
#include "view.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#ifndef SOSAFE_SNAPSHOT_DIR
#define SOSAFE_SNAPSHOT_DIR SOSAFE_STATE_DIR
#endif

struct snap_view {
	const char *path;
	unsigned kind;
	pthread_rwlock_t lock;       /* readers: lookups; writer: the swap (writer-preferring,
	                                so busy readers cannot starve a swap or a fork) */
	pthread_mutex_t refresh;     /* one refresher at a time */
	struct snap cur;             /* cur.mem == NULL: nothing usable */
	enum snap_status why;        /* why nothing is usable */
	/* identity of the file last tried when nothing could be mapped */
	dev_t dev;
	ino_t ino;
	off_t size;
	int64_t ctime_ns;
	bool tried;
	atomic_long next_check;      /* coarse monotonic second of the next stat */
	atomic_uint gen;
};

#define VIEW_INIT(p, k) { \
	.path = SOSAFE_SNAPSHOT_DIR "/" p, .kind = (k), \
	.lock = PTHREAD_RWLOCK_WRITER_NONRECURSIVE_INITIALIZER_NP, .refresh = PTHREAD_MUTEX_INITIALIZER, \
	.why = SNAP_MISSING }

struct snap_view nss_view_passwd = VIEW_INIT(SNAP_PASSWD_FILE, SNAP_KIND_PASSWD);
struct snap_view nss_view_shadow = VIEW_INIT(SNAP_SHADOW_FILE, SNAP_KIND_SHADOW);

static struct snap_view *const all_views[] = { &nss_view_passwd, &nss_view_shadow };
#define NVIEWS (sizeof(all_views) / sizeof(all_views[0]))

/* fork(): take every lock before, release in parent and child after, so a
 * child never inherits a lock held by a thread that does not exist there. */
static void fork_prepare(void)
{
	for (unsigned i = 0; i < NVIEWS; i++) {
		pthread_mutex_lock(&all_views[i]->refresh);
		pthread_rwlock_wrlock(&all_views[i]->lock);
	}
}

static void fork_parent(void)
{
	for (unsigned i = NVIEWS; i-- > 0;) {
		pthread_rwlock_unlock(&all_views[i]->lock);
		pthread_mutex_unlock(&all_views[i]->refresh);
	}
}

/* In the child the locks are made anew rather than unlocked: threads that
 * were queued on them in the parent are still counted inside a rwlock, and
 * do not exist here to leave it. */
static void fork_child(void)
{
	for (unsigned i = 0; i < NVIEWS; i++) {
		pthread_rwlockattr_t a;
		pthread_rwlockattr_init(&a);
		pthread_rwlockattr_setkind_np(&a, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
		pthread_rwlock_init(&all_views[i]->lock, &a);
		pthread_rwlockattr_destroy(&a);
		pthread_mutex_init(&all_views[i]->refresh, NULL);
	}
}

static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;
static void register_atfork(void)
{
	pthread_atfork(fork_prepare, fork_parent, fork_child);
}

static long coarse_now(void)
{
	struct timespec ts;
	if (clock_gettime(CLOCK_MONOTONIC_COARSE, &ts) < 0)
		return 0;
	return (long)ts.tv_sec;
}

static int64_t ctime_ns(const struct stat *st)
{
	return (int64_t)st->st_ctim.tv_sec * 1000000000 + st->st_ctim.tv_nsec;
}

/* Has the file at the path changed since what we hold was opened?
 * While a file is mapped its inode cannot be reused, so (dev, ino) plus
 * ctime (rename, chmod, chown) and mode identify it exactly; the identity
 * is the open descriptor's, never a stat() taken before the open. */
static bool changed(const struct snap_view *v, const struct stat *st)
{
	if (v->cur.mem)
		return st->st_dev != v->cur.dev || st->st_ino != v->cur.ino ||
		       ctime_ns(st) != v->cur.ctime_ns || st->st_mode != v->cur.mode;
	return !v->tried || st->st_dev != v->dev || st->st_ino != v->ino ||
	       st->st_size != v->size || ctime_ns(st) != v->ctime_ns;
}

static void refresh(struct snap_view *v)
{
	if (pthread_mutex_trylock(&v->refresh)) {
		/* another thread is at it, and may have looked before the file
		 * changed: have the next lookup after it look again */
		atomic_store(&v->next_check, 0);
		return;
	}
	struct stat st;
	struct snap fresh, old;
	enum snap_status why;
	memset(&fresh, 0, sizeof(fresh));
	if (stat(v->path, &st) < 0) {
		if (v->tried && !v->cur.mem && v->why == SNAP_MISSING)
			goto out;      /* still missing */
		memset(&st, 0, sizeof(st));
		why = SNAP_MISSING;
	} else {
		if (!changed(v, &st))
			goto out;
		why = snap_open(&fresh, v->path, v->kind, NULL);
	}
	v->tried = true;
	v->dev = st.st_dev;
	v->ino = st.st_ino;
	v->size = st.st_size;
	v->ctime_ns = ctime_ns(&st);
	pthread_rwlock_wrlock(&v->lock);
	old = v->cur;
	v->cur = fresh;        /* zeroed when the open failed: nothing usable */
	v->why = why;
	atomic_fetch_add(&v->gen, 1);
	pthread_rwlock_unlock(&v->lock);
	snap_close(&old);
out:
	pthread_mutex_unlock(&v->refresh);
}

void snap_view_atfork_init(void)
{
	pthread_once(&atfork_once, register_atfork);
}

const struct snap *snap_view_acquire(struct snap_view *v, enum snap_status *why, unsigned *gen)
{
	pthread_once(&atfork_once, register_atfork);
	long now = coarse_now();
	long due = atomic_load_explicit(&v->next_check, memory_order_relaxed);
	if (now >= due &&
	    atomic_compare_exchange_strong(&v->next_check, &due, now + 1))
		refresh(v);
	pthread_rwlock_rdlock(&v->lock);
	if (!v->cur.mem) {
		*why = v->why != SNAP_OK ? v->why : SNAP_MISSING;
		pthread_rwlock_unlock(&v->lock);
		return NULL;
	}
	if (gen)
		*gen = atomic_load(&v->gen);
	return &v->cur;
}

void snap_view_release(struct snap_view *v)
{
	pthread_rwlock_unlock(&v->lock);
}

void snap_view_invalidate(struct snap_view *v)
{
	atomic_store(&v->next_check, 0);
}
