#include <config.h>
#include "base/fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/util.h"

bool fs_owner_trusted(const struct stat *st)
{
	return st->st_uid == 0 || st->st_uid == geteuid();
}

int fs_check_dir(const char *path, char *err, size_t errlen)
{
	struct stat st;
	if (lstat(path, &st)) {
		if (errno == ENOENT)
			snprintf(err, errlen, "state directory %s does not exist; run: sosafectl init", path);
		else
			snprintf(err, errlen, "cannot examine %s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s is not a directory (a symlink or file is refused)", path);
		return -1;
	}
	if (!fs_owner_trusted(&st)) {
		snprintf(err, errlen, "%s is owned by uid %u; run: chown root: %s", path,
			 (unsigned)st.st_uid, path);
		return -1;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		snprintf(err, errlen, "%s is group- or world-writable; run: chmod 0755 %s", path, path);
		return -1;
	}
	return 0;
}

int fs_ensure_dir(const char *path, char *err, size_t errlen)
{
	if (mkdir(path, 0755) == 0) {
		/* the NSS snapshot is published here: readable by all, whatever the umask */
		if (chmod(path, 0755)) {
			snprintf(err, errlen, "cannot chmod %s: %s", path, strerror(errno));
			return -1;
		}
	} else if (errno != EEXIST) {
		snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
		return -1;
	}
	return fs_check_dir(path, err, errlen);
}

int fs_check_file(const char *path, bool private_file, char *err, size_t errlen)
{
	struct stat st;
	if (lstat(path, &st)) {
		if (errno == ENOENT)
			return 1;
		snprintf(err, errlen, "cannot examine %s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s is not a regular file (a symlink or directory is refused)",
			 path);
		return -1;
	}
	if (!fs_owner_trusted(&st)) {
		snprintf(err, errlen, "%s is owned by uid %u; run: chown root: %s", path,
			 (unsigned)st.st_uid, path);
		return -1;
	}
	mode_t bad = private_file ? (S_IRWXG | S_IRWXO) : (S_IWGRP | S_IWOTH);
	if (st.st_mode & bad) {
		snprintf(err, errlen, "%s has mode %04o; run: chmod %s %s", path,
			 (unsigned)(st.st_mode & 07777), private_file ? "0600" : "go-w", path);
		return -1;
	}
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
