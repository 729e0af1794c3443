/* A file's identity and times, as the daemon's caches keep them: a cached
 * load stays valid while the file's device, inode, size, mtime and ctime
 * are the ones stat() gave before it was loaded. */
#ifndef SOSAFED_FILE_ID_H
#define SOSAFED_FILE_ID_H

#include <stdbool.h>
#include <sys/stat.h>
#include <time.h>

struct file_id {
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime, ctime;
};

static inline struct file_id file_id_of(const struct stat *st)
{
	return (struct file_id){ .dev = st->st_dev, .ino = st->st_ino, .size = st->st_size,
				 .mtime = st->st_mtim, .ctime = st->st_ctim };
}

static inline bool file_id_same(const struct file_id *a, const struct stat *st)
{
	return a->dev == st->st_dev && a->ino == st->st_ino && a->size == st->st_size &&
	       a->mtime.tv_sec == st->st_mtim.tv_sec && a->mtime.tv_nsec == st->st_mtim.tv_nsec &&
	       a->ctime.tv_sec == st->st_ctim.tv_sec && a->ctime.tv_nsec == st->st_ctim.tv_nsec;
}

#endif
