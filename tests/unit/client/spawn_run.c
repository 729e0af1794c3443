/* spawn_run PROGRAM ARG...: spawn_detached(PROGRAM, ARGS) and exit 0 when
 * it did. test_spawn installs a setuid-root copy to start spawn_probe the
 * way su or sudo, run by a user, start sosafed. */
#include <config.h>

#include <stdio.h>

#include "client/spawn.h"

int main(int argc, char **argv)
{
	struct sosafe_err e;
	if (argc < 2)
		return 2;
	if (spawn_detached(argv[1], argv + 1, &e) < 0) {
		fprintf(stderr, "spawn_run: %s\n", e.msg);
		return 1;
	}
	return 0;
}
