/* A sync of an export text at an injected time, against the local files of
 * a dir_fixture (tests/lib/dir_fixture.h). */
#ifndef SOSAFE_TEST_SYNC_RUN_H
#define SOSAFE_TEST_SYNC_RUN_H

#include <string.h>

#include "directory/directory.h"
#include "dir_fixture.h"

/* Parse TEXT (LDIF or JSON) and sync it at NOW; 0 or -1 + E. */
static inline int sync_run(const struct dir_fixture *fx, struct store *st,
			   const struct sosafe_config *cfg, const char *text, int64_t now,
			   struct sync_result *r, struct sosafe_err *e)
{
	struct directory d;
	if (directory_parse(text, strlen(text), &d, e))
		return -1;
	struct sync_opts o = { .now = now, .passwd_path = fx->pwfile, .group_path = fx->grfile,
			       .admin = "test" };
	int rc = directory_sync(st, cfg, &d, &o, r, e);
	directory_free(&d);
	return rc;
}

#endif
