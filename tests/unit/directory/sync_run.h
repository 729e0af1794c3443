/* A sync of an export text at an injected time, against the local files of
 * a dir_fixture (tests/lib/dir_fixture.h). */
#ifndef SOSAFE_TEST_SYNC_RUN_H
#define SOSAFE_TEST_SYNC_RUN_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "directory/directory.h"
#include "snapshot/snapshot.h"
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

/* What the snapshot in CFG's state_dir says about NAME: -1 absent, else
 * its uid; *DEACT (may be NULL) if deactivated, its shell into SHELL (may
 * be NULL, LEN bytes). Any other failure is -2. */
static inline long long snap_user(const struct sosafe_config *cfg, const char *name, bool *deact,
				  char *shell, size_t len)
{
	char path[4200];
	struct snap s;
	struct snap_pw pw;
	struct snap_sp sp;
	snprintf(path, sizeof(path), "%s/%s", cfg->state_dir, SNAP_PASSWD_FILE);
	if (snap_open(&s, path, SNAP_KIND_PASSWD, NULL) != SNAP_OK)
		return -2;
	enum snap_status r = snap_pw_by_name(&s, name, &pw);
	if (r == SNAP_OK && shell)
		snprintf(shell, len, "%.*s", (int)pw.shell_len, pw.shell);
	snap_close(&s);
	if (r == SNAP_NOTFOUND)
		return -1;
	if (r != SNAP_OK)
		return -2;
	snprintf(path, sizeof(path), "%s/%s", cfg->state_dir, SNAP_SHADOW_FILE);
	if (snap_open(&s, path, SNAP_KIND_SHADOW, NULL) != SNAP_OK)
		return -2;
	r = snap_sp_by_name(&s, name, &sp);
	snap_close(&s);
	if (r != SNAP_OK)
		return -2;
	if (deact)
		*deact = sp.expire == 1;
	return pw.uid;
}

#endif
