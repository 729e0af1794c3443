#include <config.h>
#include "base/fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/err.h"
#include "base/util.h"

bool fs_owner_trusted(const struct stat *st)
{
	return st->st_uid == 0 || st->st_uid == geteuid();
}

/* lstat() PATH; 1 if it does not exist, -1 (with E) on any other error. */
static int stat_path(const char *path, struct stat *st, struct sosafe_err *e)
{
	if (lstat(path, st) == 0)
		return 0;
	if (errno == ENOENT)
		return 1;
	return err_set(e, "cannot examine %s: %s", path, strerror(errno));
}

static int check_owner(const char *path, const struct stat *st, struct sosafe_err *e)
{
	if (fs_owner_trusted(st))
		return 0;
	return err_set(e, "%s is owned by uid %u; run: chown root: %s", path, (unsigned)st->st_uid,
		       path);
}

int fs_check_dir(const char *path, struct sosafe_err *e)
{
	struct stat st;
	int r = stat_path(path, &st, e);
	if (r > 0)
		return err_set(e, "state directory %s does not exist; run: sosafectl init", path);
	if (r < 0)
		return -1;
	if (!S_ISDIR(st.st_mode))
		return err_set(e, "%s is not a directory (a symlink or file is refused)", path);
	if (check_owner(path, &st, e))
		return -1;
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		return err_set(e, "%s is group- or world-writable; run: chmod 0755 %s", path, path);
	return 0;
}

int fs_ensure_dir(const char *path, struct sosafe_err *e)
{
	if (mkdir(path, 0755) == 0) {
		/* the NSS snapshot is published here: readable by all, whatever the umask */
		if (chmod(path, 0755))
			return err_set(e, "cannot chmod %s: %s", path, strerror(errno));
	} else if (errno != EEXIST) {
		return err_set(e, "cannot create %s: %s", path, strerror(errno));
	}
	return fs_check_dir(path, e);
}

int fs_check_file(const char *path, bool private_file, struct sosafe_err *e)
{
	struct stat st;
	int r = stat_path(path, &st, e);
	if (r)
		return r;
	if (!S_ISREG(st.st_mode))
		return err_set(e, "%s is not a regular file (a symlink or directory is refused)", path);
	if (check_owner(path, &st, e))
		return -1;
	mode_t bad = private_file ? (S_IRWXG | S_IRWXO) : (S_IWGRP | S_IWOTH);
	if (st.st_mode & bad)
		return err_set(e, "%s has mode %04o; run: chmod %s %s", path,
			       (unsigned)(st.st_mode & 07777), private_file ? "0600" : "go-w", path);
	return 0;
}

int fs_read_private(const char *what, const char *path, char *buf, size_t len,
		    struct sosafe_err *e)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
	if (fd < 0)
		return err_set(e, "%s %s: %s", what, path, strerror(errno));
	struct stat sb;
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode))
		return err_set(e, "%s %s: not a regular file", what, path);
	if (!fs_owner_trusted(&sb))
		return err_set(e, "%s %s: must be owned by root", what, path);
	if (sb.st_mode & 077)
		return err_set(e, "%s %s: readable by group or others (mode %03o); chmod 600 it", what,
			       path, (unsigned)(sb.st_mode & 0777));
	size_t got = 0;
	for (;;) {
		ssize_t n = read(fd, buf + got, len - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int why = errno;
			explicit_bzero(buf, len);
			return err_set(e, "%s %s: %s", what, path, strerror(why));
		}
		if (n == 0)
			break;
		got += (size_t)n;
		if (got == len - 1) {
			explicit_bzero(buf, len);
			return err_set(e, "%s %s: longer than %zu bytes", what, path, len - 2);
		}
	}
	buf[got] = 0;
	while (got && (buf[got - 1] == '\n' || buf[got - 1] == '\r'))
		buf[--got] = 0;
	if (!got)
		return err_set(e, "%s %s: empty", what, path);
	return 0;
}

int fs_sync_parent(const char *path)
{
	char buf[PATH_MAX];
	snprintf(buf, sizeof(buf), "%s", path);
	_cleanup_close_ int fd = open(dirname(buf), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	return fsync(fd);
}
