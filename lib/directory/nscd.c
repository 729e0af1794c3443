/* Telling a running nscd that the published users and groups changed. */
#include <config.h>
#include "directory/directory.h"

#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/util.h"

void directory_invalidate_nscd(void)
{
	static const char *const paths[] = { "/usr/sbin/nscd", "/sbin/nscd" };
	struct stat sb;
	/* nscd listens on this socket while it runs */
	if (stat("/var/run/nscd/socket", &sb) < 0 || !S_ISSOCK(sb.st_mode))
		return;
	for (size_t i = 0; i < ARRAY_SIZE(paths); i++) {
		if (access(paths[i], X_OK))
			continue;
		static const char *const dbs[] = { "passwd", "group" };
		for (size_t k = 0; k < ARRAY_SIZE(dbs); k++) {
			char *argv[] = { (char *)paths[i], (char *)"-i", (char *)dbs[k], NULL };
			char *envp[] = { NULL };
			pid_t pid;
			int status;
			if (posix_spawn(&pid, paths[i], NULL, NULL, argv, envp) == 0)
				waitpid(pid, &status, 0);
		}
		return;
	}
}
