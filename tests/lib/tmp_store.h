/* A fresh state store in a temporary directory, for the cmocka setup and
 * teardown of unit tests that need a real SQLite file. */
#ifndef SOSAFE_TEST_TMP_STORE_H
#define SOSAFE_TEST_TMP_STORE_H

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "store/store.h"

/* DIR (at least 64 bytes) gets /tmp/sosafe-TAG-XXXXXX; 0 or -1. */
static inline int tmp_store_open(char *dir, size_t len, const char *tag, struct store **s)
{
	snprintf(dir, len, "/tmp/sosafe-%s-XXXXXX", tag);
	if (!mkdtemp(dir))
		return -1;
	chmod(dir, 0755);   /* the store refuses a group/world-writable parent */
	char err[256];
	*s = NULL;
	if (store_open(s, dir, STORE_CREATE, 2000, err, sizeof(err)) != ST_OK) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	return 0;
}

static inline int tmp_store_remove(struct store *s, const char *dir)
{
	store_close(s);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

#endif
