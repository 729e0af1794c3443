/* Group commit (see group_sync.h). */
#include <config.h>
#include "group_sync.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/store.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t flushed = PTHREAD_COND_INITIALIZER;
static uint64_t tickets;       /* handed out, one per waiting commit */
static uint64_t durable;       /* tickets covered by a finished flush */
static bool flushing;
/* the log file whose directory entry has been flushed (by the flusher only) */
static dev_t dir_synced_dev;
static ino_t dir_synced_ino;

static int sync_path(const char *path, bool directory)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | (directory ? O_DIRECTORY : O_NOFOLLOW));
	if (fd < 0)
		return -1;
	int rc = directory ? fsync(fd) : fdatasync(fd);
	close(fd);
	return rc;
}

/* One flush: the write-ahead log (the store file itself when there is
 * none), and the directory once per new log file, as SQLite's own
 * synchronous=FULL does. Called with LOCK released. */
static int flush_store(const char *state_dir, dev_t *dev, ino_t *ino)
{
	char path[PATH_MAX];
	struct stat st;
	if (snprintf(path, sizeof(path), "%s/" STORE_FILE "-wal", state_dir) >= (int)sizeof(path))
		return -1;
	if (stat(path, &st) < 0) {
		if (errno != ENOENT)
			return -1;
		snprintf(path, sizeof(path), "%s/" STORE_FILE, state_dir);
		return sync_path(path, false);
	}
	*dev = st.st_dev;
	*ino = st.st_ino;
	return sync_path(path, false);
}

int group_sync(const char *state_dir)
{
	pthread_mutex_lock(&lock);
	uint64_t mine = ++tickets;   /* our commit is before any flush that starts from now */
	int rc = 0, err = 0;
	while (durable < mine) {
		if (flushing) {
			pthread_cond_wait(&flushed, &lock);
			continue;
		}
		flushing = true;
		uint64_t upto = tickets;
		pthread_mutex_unlock(&lock);

		/* only the one flushing touches the directory record */
		dev_t dev = 0;
		ino_t ino = 0;
		rc = flush_store(state_dir, &dev, &ino);
		if (rc == 0 && ino && (dev != dir_synced_dev || ino != dir_synced_ino)) {
			rc = sync_path(state_dir, true);
			if (rc == 0) {
				dir_synced_dev = dev;
				dir_synced_ino = ino;
			}
		}
		if (rc < 0)
			err = errno;

		pthread_mutex_lock(&lock);
		flushing = false;
		if (rc == 0 && upto > durable)
			durable = upto;
		pthread_cond_broadcast(&flushed);
		if (rc < 0)
			break;   /* the others try a flush of their own */
	}
	pthread_mutex_unlock(&lock);
	if (rc < 0) {
		errno = err;
		return -1;
	}
	return 0;
}
