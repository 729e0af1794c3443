/* The key file: read with the checks keyring.h lists, written atomically. */
#include <config.h>
#include "store/keyring.h"
#include "store/keyring_int.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fsutil.h"
#include "base/util.h"

/* Whoever may write the directory may swap the file. */
static int check_parent(const char *path, struct sosafe_err *e)
{
	char buf[PATH_MAX];
	struct stat sb;
	snprintf(buf, sizeof(buf), "%s", path);
	const char *dir = dirname(buf);
	if (stat(dir, &sb))
		return err_set(e, "cannot examine %s: %s", dir, strerror(errno));
	if (!fs_owner_trusted(&sb) || (sb.st_mode & (S_IWGRP | S_IWOTH)))
		return err_set(e, "the directory %s of secret key file %s may be written by others "
			       "than root; run: chown root: %s && chmod go-w %s", dir, path, dir, dir);
	return 0;
}

/* Open PATH for reading if it is safe to trust; the descriptor or -1 with E. */
static int open_checked(const char *path, struct sosafe_err *e)
{
	struct stat ls, fs;
	if (path[0] != '/')
		return err_set(e, "secret_key_file %s is not an absolute path", path);
	if (lstat(path, &ls)) {
		if (errno == ENOENT)
			return err_set(e, "secret key file %s does not exist; run: sosafectl init (or "
				       "install the fleet's key file there: root, mode 0600)", path);
		return err_set(e, "cannot examine secret key file %s: %s", path, strerror(errno));
	}
	if (S_ISLNK(ls.st_mode))
		return err_set(e, "secret key file %s is a symbolic link; point secret_key_file "
			       "at the file itself", path);
	if (!S_ISREG(ls.st_mode))
		return err_set(e, "secret key file %s is not a regular file", path);
	if (check_parent(path, e))
		return -1;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return err_set(e, "cannot open secret key file %s: %s", path, strerror(errno));
	int r = 0;
	if (fstat(fd, &fs) || fs.st_dev != ls.st_dev || fs.st_ino != ls.st_ino)
		r = err_set(e, "secret key file %s changed while it was opened; try again", path);
	else if (!fs_owner_trusted(&fs))
		r = err_set(e, "secret key file %s is owned by uid %u; run: chown root: %s", path,
			    (unsigned)fs.st_uid, path);
	else if (fs.st_mode & 077)
		r = err_set(e, "secret key file %s has mode %04o (group or others may use it); "
			    "run: chmod 0600 %s", path, (unsigned)(fs.st_mode & 07777), path);
	else if (fs.st_size > KEYRING_FILE_MAX)
		r = err_set(e, "secret key file %s is too large to be a key file", path);
	if (r) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Read all of FD (at most LEN - 1 bytes) as a string; 0 or -1 with E. */
static int read_all(int fd, const char *path, char *buf, size_t len, struct sosafe_err *e)
{
	size_t got = 0;
	for (;;) {
		ssize_t n = read(fd, buf + got, len - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return err_set(e, "cannot read secret key file %s: %s", path, strerror(errno));
		if (n == 0)
			break;
		got += (size_t)n;
		if (got == len - 1)
			return err_set(e, "secret key file %s is too large to be a key file", path);
	}
	buf[got] = '\0';
	if (memchr(buf, '\0', got))
		return err_set(e, "secret key file %s is not a text file", path);
	return 0;
}

struct keyring *keyring_load(const char *path)
{
	struct sosafe_err e = { "" };
	struct keyring *kr = NULL;
	char text[KEYRING_FILE_MAX + 2];
	int fd = open_checked(path, &e);
	if (fd >= 0) {
		if (read_all(fd, path, text, sizeof(text), &e) == 0)
			kr = keyring_parse(text, path, &e);
		close(fd);
	}
	explicit_bzero(text, sizeof(text));
	if (!kr) {
		kr = keyring_alloc();
		if (!kr)
			return NULL;
		snprintf(kr->err, sizeof(kr->err), "%s", e.msg);
	}
	snprintf(kr->path, sizeof(kr->path), "%s", path);
	return kr;
}

int keyring_file_missing(const char *path, struct sosafe_err *e)
{
	struct stat sb;
	if (lstat(path, &sb) == 0)
		return 0;
	if (errno == ENOENT)
		return 1;
	return err_set(e, "cannot examine secret key file %s: %s", path, strerror(errno));
}

int keyring_write(const struct keyring *kr, const char *path, struct sosafe_err *e)
{
	char tmp[PATH_MAX], text[KEYRING_FILE_MAX];
	if (path[0] != '/')
		return err_set(e, "secret_key_file %s is not an absolute path", path);
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.new-%ld", path, (long)getpid()) >= sizeof(tmp))
		return err_set(e, "secret_key_file path too long");
	if (check_parent(path, e))
		return -1;
	int n = keyring_format(kr, text, sizeof(text));
	if (n < 0)
		return err_set(e, "the keyring does not fit in a key file");
	(void)unlink(tmp);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	int rc = -1;
	if (fd < 0)
		err_set(e, "cannot create %s: %s", tmp, strerror(errno));
	else if (fchmod(fd, 0600) || write(fd, text, (size_t)n) != n || fsync(fd))
		err_set(e, "cannot write %s: %s", tmp, strerror(errno));
	else if (rename(tmp, path))
		err_set(e, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
	else if (fs_sync_parent(path))
		err_set(e, "cannot flush the directory of %s: %s", path, strerror(errno));
	else
		rc = 0;
	explicit_bzero(text, sizeof(text));
	if (fd >= 0)
		close(fd);
	if (rc)
		(void)unlink(tmp);
	return rc;
}
