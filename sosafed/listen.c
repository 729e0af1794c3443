/* The lock file and the listening socket (see listen.h). */
#include <config.h>
#include "listen.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "proto/proto.h"

#define SD_LISTEN_FDS_START 3

int listen_lock(const struct daemon *dm, struct sosafe_err *e)
{
	char path[PATH_MAX];
	if (snprintf(path, sizeof(path), "%s/%s", dm->cfg.state_dir, SD_LOCK_NAME) >= (int)sizeof(path))
		return err_set(e, "state_dir path too long");
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return err_set(e, "cannot open %s: %s", path, strerror(errno));
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int err = errno;
		close(fd);
		if (err == EWOULDBLOCK)
			return -2;
		return err_set(e, "cannot lock %s: %s", path, strerror(err));
	}
	return fd;
}

void listen_lock_pid(int lock_fd)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (ftruncate(lock_fd, 0) < 0 || pwrite(lock_fd, buf, (size_t)n, 0) != n) {
		/* the pid is a convenience for admins; the lock is what counts */
	}
}

/* systemd socket activation, by hand: LISTEN_PID is us, LISTEN_FDS >= 1. */
static int activated_socket(void)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	if (!pid || !fds || strtol(pid, NULL, 10) != (long)getpid() || strtol(fds, NULL, 10) < 1)
		return -1;
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	int fd = SD_LISTEN_FDS_START;
	int type = 0;
	socklen_t len = sizeof(type);
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0 || type != SOCK_STREAM)
		return -1;
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 || fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
		return -1;
	return fd;
}

int listen_socket(struct daemon *dm, struct sosafe_err *e)
{
	int fd = activated_socket();
	if (fd >= 0) {
		dm->socket_activated = true;
		return fd;
	}
	struct sockaddr_un tmp = { .sun_family = AF_UNIX };
	if (snprintf(tmp.sun_path, sizeof(tmp.sun_path), "%s.new", dm->socket_path) >=
	    (int)sizeof(tmp.sun_path))
		return err_set(e, "socket path %s.new longer than %zu bytes: choose a shorter state_dir",
			       dm->socket_path, sizeof(tmp.sun_path) - 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return err_set(e, "socket: %s", strerror(errno));
	struct stat st;
	if (lstat(tmp.sun_path, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(tmp.sun_path);   /* left by a daemon killed while starting */
	if (bind(fd, (struct sockaddr *)&tmp, sizeof(tmp)) < 0 ||
	    chmod(tmp.sun_path, 0666) < 0 || listen(fd, SOMAXCONN) < 0 ||
	    rename(tmp.sun_path, dm->socket_path) < 0) {
		int err = errno;
		unlink(tmp.sun_path);
		close(fd);
		return err_set(e, "cannot listen on %s: %s", dm->socket_path, strerror(err));
	}
	return fd;
}
