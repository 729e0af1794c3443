/* Stop the sosafed daemons a test started (autostart by the module): each
 * sosafed.lock below a directory holds its daemon's pid; SIGTERM, wait
 * until the lock is free (the daemon is gone), SIGKILL after 5 s. */
#ifndef SOSAFE_TEST_SOSAFED_STOP_H
#define SOSAFE_TEST_SOSAFED_STOP_H

#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

static inline int sosafed_stop_lock(const char *path, const struct stat *st, int flag,
				    struct FTW *ftw)
{
	(void)st;
	const char *base = path + ftw->base;
	if (flag != FTW_F || strcmp(base, "sosafed.lock"))
		return 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	char buf[32];
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	long pid = strtol(buf, NULL, 10);
	if (pid > 1 && flock(fd, LOCK_EX | LOCK_NB) < 0) {
		kill((pid_t)pid, SIGTERM);
		for (int i = 0; i < 500 && flock(fd, LOCK_EX | LOCK_NB) < 0; i++) {
			if (i == 499)
				kill((pid_t)pid, SIGKILL);
			struct timespec ts = { 0, 10 * 1000 * 1000 };
			nanosleep(&ts, NULL);
		}
	}
	close(fd);
	return 0;
}

static inline void sosafed_stop_all(const char *dir)
{
	nftw(dir, sosafed_stop_lock, 16, FTW_PHYS);
}

#endif
