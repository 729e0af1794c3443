/* Start a program fully detached from the calling process, so that nothing
 * the caller (or the user behind it) holds reaches it: a double fork under
 * a new session, every uid and gid set to the effective ones, no inherited
 * descriptor (0, 1, 2 on /dev/null), an empty signal mask and default
 * dispositions, SCHED_OTHER, nice 0 (where permitted), umask 077, cwd /,
 * and a minimal environment when the caller runs setuid (AT_SECURE).
 *
 * THREAD SAFETY: safe in threaded hosts: everything is prepared before
 * fork(); the children make system calls only. */
#ifndef SOSAFE_CLIENT_SPAWN_H
#define SOSAFE_CLIENT_SPAWN_H

#include "base/err.h"

/* Run PATH with ARGV (NULL-terminated, argv[0] included) detached. Returns
 * once the intermediate child has exited: 0, or -1 + E when PATH is not an
 * executable file or the fork failed. Whether the program then works is
 * for the caller to find out (the daemon: by connecting). */
int spawn_detached(const char *path, char *const argv[], struct sosafe_err *e);

#endif
