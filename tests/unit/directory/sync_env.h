/* A sync environment for the lifecycle tests: a fresh state_dir and store,
 * local passwd and group files, entitled_group "sosafe-users", and a sync
 * of an export text at an injected time. */
#ifndef SOSAFE_TEST_SYNC_ENV_H
#define SOSAFE_TEST_SYNC_ENV_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/conf.h"
#include "directory/directory.h"
#include "store/store.h"

struct sync_env {
	char dir[256], pwfile[300], grfile[300];
	struct sosafe_config cfg;
	struct store *st;
};

static inline int write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	fputs(text, f);
	return fclose(f);
}

/* 0, or -1 with the reason on stderr. */
static inline int sync_env_open(struct sync_env *v, const char *tag, const char *passwd,
				const char *group)
{
	memset(v, 0, sizeof(*v));
	snprintf(v->dir, sizeof(v->dir), "/tmp/sosafe-%s.XXXXXX", tag);
	if (!mkdtemp(v->dir))
		return -1;
	chmod(v->dir, 0755);   /* the store refuses a group/world-writable parent */
	snprintf(v->pwfile, sizeof(v->pwfile), "%s/passwd", v->dir);
	snprintf(v->grfile, sizeof(v->grfile), "%s/group", v->dir);
	if (write_file(v->pwfile, passwd) || write_file(v->grfile, group))
		return -1;
	config_defaults(&v->cfg);
	snprintf(v->cfg.state_dir, sizeof(v->cfg.state_dir), "%s/state", v->dir);
	snprintf(v->cfg.entitled_group, sizeof(v->cfg.entitled_group), "sosafe-users");
	char err[512];
	if (store_open(&v->st, v->cfg.state_dir, STORE_CREATE, 5000, err, sizeof(err)) != ST_OK) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	return 0;
}

static inline int sync_env_close(struct sync_env *v)
{
	store_close(v->st);
	char cmd[400];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", v->dir);
	return system(cmd);
}

/* Parse TEXT (LDIF or JSON) and sync it at NOW; 0 or -1 + E. */
static inline int sync_env_run(struct sync_env *v, const char *text, int64_t now,
			       struct sync_result *r, struct sosafe_err *e)
{
	struct directory d;
	if (directory_parse(text, strlen(text), &d, e))
		return -1;
	struct sync_opts o = { .now = now, .passwd_path = v->pwfile, .group_path = v->grfile,
			       .admin = "test" };
	int rc = directory_sync(v->st, &v->cfg, &d, &o, r, e);
	directory_free(&d);
	return rc;
}

#endif
