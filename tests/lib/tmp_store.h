/* A fresh state store in a temporary directory, for the cmocka setup and
 * teardown of unit tests that need a real SQLite file. */
#ifndef SOSAFE_TEST_TMP_STORE_H
#define SOSAFE_TEST_TMP_STORE_H

#include <stdio.h>

#include "store/keyring.h"
#include "store/store.h"
#include "tmp_dir.h"

/* A new store in STATE_DIR (created if missing), with a fresh keyring in
 * memory to seal secrets; 0 or -1. */
static inline int tmp_store_create(const char *state_dir, struct store **s)
{
	struct sosafe_err err = { "" };
	*s = NULL;
	if (store_open(s, state_dir, STORE_CREATE, 2000, &err) != ST_OK) {
		fprintf(stderr, "%s\n", err.msg);
		return -1;
	}
	struct keyring *kr = keyring_generate(&err);
	if (!kr) {
		fprintf(stderr, "%s\n", err.msg);
		return -1;
	}
	store_set_keyring(*s, kr);
	keyring_unref(kr);
	return 0;
}

/* DIR (at least TMP_DIR_LEN bytes) gets /tmp/sosafe-TAG-XXXXXX with a
 * store in it; 0 or -1. */
static inline int tmp_store_open(char *dir, size_t len, const char *tag, struct store **s)
{
	if (len < TMP_DIR_LEN || tmp_dir_make(dir, tag))
		return -1;
	return tmp_store_create(dir, s);
}

static inline int tmp_store_remove(struct store *s, const char *dir)
{
	store_close(s);
	return tmp_dir_remove(dir);
}

#endif
