/* LD_PRELOAD shim for tests/e2e/faults.test: I/O on files under a given
 * directory fails with EIO, as a dying disk would answer.
 *
 *   EIO_DIR    the directory (its files and everything below it)
 *   EIO_OPS    "sync": fsync/fdatasync fail;  "w": also write/pwrite;
 *              "rw": also read/pread  (default "w")
 *   EIO_AFTER  that many matching calls pass first (default 0), counted per
 *              process
 *
 * A call on any other file goes to libc unchanged. The file of a descriptor
 * is found through /proc/self/fd, so no open() needs to be followed. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

/* the build hides symbols by default (-fvisibility=hidden); these must be seen */
#pragma GCC visibility push(default)

enum op { OP_SYNC, OP_WRITE, OP_READ };

static long calls;

static bool under_dir(int fd)
{
	const char *dir = getenv("EIO_DIR");
	if (!dir || !*dir)
		return false;
	char link[64], path[PATH_MAX];
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	ssize_t n = readlink(link, path, sizeof(path) - 1);
	if (n < 0)
		return false;
	path[n] = '\0';
	size_t dl = strlen(dir);
	while (dl > 1 && dir[dl - 1] == '/')
		dl--;
	return strncmp(path, dir, dl) == 0 && (path[dl] == '/' || path[dl] == '\0');
}

/* true: this call fails with EIO */
static bool inject(int fd, enum op op)
{
	const char *ops = getenv("EIO_OPS");
	enum op upto = OP_WRITE;
	if (ops && !strcmp(ops, "sync"))
		upto = OP_SYNC;
	else if (ops && !strcmp(ops, "rw"))
		upto = OP_READ;
	if (op > upto || !under_dir(fd))
		return false;
	const char *after = getenv("EIO_AFTER");
	long limit = after ? strtol(after, NULL, 10) : 0;
	if (__atomic_fetch_add(&calls, 1, __ATOMIC_RELAXED) < limit)
		return false;
	errno = EIO;
	return true;
}

/* real_: the libc function of that name */
#define REAL(name) \
	static __typeof__(&name) real_; \
	if (!real_) \
		real_ = (__typeof__(&name))dlsym(RTLD_NEXT, #name)

ssize_t write(int fd, const void *buf, size_t len)
{
	REAL(write);
	return inject(fd, OP_WRITE) ? -1 : real_(fd, buf, len);
}

ssize_t pwrite(int fd, const void *buf, size_t len, off_t off)
{
	REAL(pwrite);
	return inject(fd, OP_WRITE) ? -1 : real_(fd, buf, len, off);
}

ssize_t pwrite64(int fd, const void *buf, size_t len, off64_t off)
{
	REAL(pwrite64);
	return inject(fd, OP_WRITE) ? -1 : real_(fd, buf, len, off);
}

ssize_t read(int fd, void *buf, size_t len)
{
	REAL(read);
	return inject(fd, OP_READ) ? -1 : real_(fd, buf, len);
}

ssize_t pread(int fd, void *buf, size_t len, off_t off)
{
	REAL(pread);
	return inject(fd, OP_READ) ? -1 : real_(fd, buf, len, off);
}

ssize_t pread64(int fd, void *buf, size_t len, off64_t off)
{
	REAL(pread64);
	return inject(fd, OP_READ) ? -1 : real_(fd, buf, len, off);
}

int fsync(int fd)
{
	REAL(fsync);
	return inject(fd, OP_SYNC) ? -1 : real_(fd);
}

int fdatasync(int fd)
{
	REAL(fdatasync);
	return inject(fd, OP_SYNC) ? -1 : real_(fd);
}
