/* The test bed of the directory sync tests: a temporary directory with the
 * local passwd and group files a sync checks names and ids against, a
 * configuration with its state_dir in DIR/state and a fresh store there. */
#ifndef SOSAFE_TEST_DIR_FIXTURE_H
#define SOSAFE_TEST_DIR_FIXTURE_H

#include <stdio.h>

#include "base/conf.h"
#include "tmp_dir.h"
#include "tmp_store.h"

struct dir_fixture {
	char dir[TMP_DIR_LEN];
	char pwfile[TMP_DIR_LEN + 8], grfile[TMP_DIR_LEN + 8];
};

static inline int dir_fixture_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	int bad = fputs(text, f) < 0;
	return fclose(f) || bad ? -1 : 0;
}

/* PASSWD and GROUP are the contents of the local files; CFG gets the
 * defaults, the state_dir and entitled_group "sosafe-users". 0 or -1. */
static inline int dir_fixture_open(struct dir_fixture *f, const char *tag, const char *passwd,
				   const char *group, struct sosafe_config *cfg, struct store **st)
{
	if (tmp_dir_make(f->dir, tag))
		return -1;
	snprintf(f->pwfile, sizeof(f->pwfile), "%s/passwd", f->dir);
	snprintf(f->grfile, sizeof(f->grfile), "%s/group", f->dir);
	if (dir_fixture_file(f->pwfile, passwd) || dir_fixture_file(f->grfile, group))
		return -1;
	config_defaults(cfg);
	snprintf(cfg->state_dir, sizeof(cfg->state_dir), "%s/state", f->dir);
	snprintf(cfg->entitled_group, sizeof(cfg->entitled_group), "sosafe-users");
	return tmp_store_create(cfg->state_dir, st);
}

static inline int dir_fixture_close(struct dir_fixture *f, struct store *st)
{
	store_close(st);
	return tmp_dir_remove(f->dir);
}

#endif
