/* Building the directory snapshot files (sosafectl only). */
#ifndef SOSAFE_SNAPSHOT_WRITE_H
#define SOSAFE_SNAPSHOT_WRITE_H

#include <stdbool.h>
#include "snapshot/snapshot.h"

struct snap_user {
	const char *name;
	uint32_t uid, gid;
	const char *gecos, *dir, *shell;
	const char *pwdp;        /* NULL = "*" (no local password) */
	int64_t lstchg;          /* days, -1 = unset */
	bool deactivated;        /* sp_expire = 1 */
	int64_t first_seen, deactivated_at;
};

struct snap_group {
	const char *name;
	uint32_t gid;
	const char *const *members;
	uint32_t nmem;
};

struct snap_data {
	const struct snap_user *users;
	size_t nusers;
	const struct snap_group *groups;
	size_t ngroups;
	int64_t generated_at;
	uint64_t serial;
};

/* Write shadow.snap (0600) then passwd.snap (0644) into DIR atomically.
 * Names must be valid and unique (the caller checks). 0 or -1 + ERR. */
int snap_write(const char *dir, const struct snap_data *d, struct sosafe_err *err);

/* Serial of the current passwd.snap in DIR (0 and -1 if none). */
int snap_read_serial(const char *dir, uint64_t *serial);

#endif
