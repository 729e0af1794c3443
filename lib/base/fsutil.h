/* Ownership and mode checks for configuration and state paths. */
#ifndef SOSAFE_FSUTIL_H
#define SOSAFE_FSUTIL_H
#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#include "base/err.h"

/* True if ST is owned by root or by the effective uid (tests run unprivileged). */
bool fs_owner_trusted(const struct stat *st);

/* PATH must be a real directory (no symlink), trusted owner, not writable by
 * group or others. Returns 0, or -1 with E saying what to do. */
int fs_check_dir(const char *path, struct sosafe_err *e);

/* Create PATH (mode 0755) if missing, then fs_check_dir(). */
int fs_ensure_dir(const char *path, struct sosafe_err *e);

/* PATH (if it exists) must be a regular file, trusted owner, no access for
 * group/others (PRIVATE) or at least not writable by them. ENOENT -> 1. */
int fs_check_file(const char *path, bool private_file, struct sosafe_err *e);

/* Read a secret from PATH into BUF (NUL-terminated, trailing newlines
 * dropped): a regular file (no symlink) of root's or the caller's that
 * nobody else may read. WHAT names it in messages ("--secret-file").
 * Returns 0, or -1 + E with BUF wiped. */
int fs_read_private(const char *what, const char *path, char *buf, size_t len,
		    struct sosafe_err *e);

/* fsync the directory holding PATH (after a rename into it). */
int fs_sync_parent(const char *path);

#endif
