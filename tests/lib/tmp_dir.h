/* A private temporary directory for a test, and its removal. */
#ifndef SOSAFE_TEST_TMP_DIR_H
#define SOSAFE_TEST_TMP_DIR_H

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#define TMP_DIR_LEN 64

/* DIR (TMP_DIR_LEN bytes) gets a new /tmp/sosafe-TAG-XXXXXX, mode 0755:
 * the store and the snapshot writer refuse a group/world-writable parent.
 * 0 or -1. */
static inline int tmp_dir_make(char *dir, const char *tag)
{
	if ((size_t)snprintf(dir, TMP_DIR_LEN, "/tmp/sosafe-%s-XXXXXX", tag) >= TMP_DIR_LEN ||
	    !mkdtemp(dir)) {
		perror("tmp_dir_make");
		return -1;
	}
	return chmod(dir, 0755);
}

static inline int tmp_dir_unlink(const char *path, const struct stat *st, int flag,
				 struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* Remove DIR and everything below it; 0 or -1. */
static inline int tmp_dir_remove(const char *dir)
{
	return nftw(dir, tmp_dir_unlink, 16, FTW_DEPTH | FTW_PHYS);
}

#endif
