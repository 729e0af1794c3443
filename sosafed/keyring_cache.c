/* The daemon's keyring cache (see keyring_cache.h). */
#include <config.h>
#include "keyring_cache.h"

#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "file_id.h"

#define KEY_SLOTS 4

struct cached_keys {
	char path[PATH_MAX];
	struct file_id id;
	unsigned long last_use;
	struct keyring *kr;
};

static struct cached_keys slots[KEY_SLOTS];
static unsigned long use_clock;
static pthread_mutex_t slots_lock = PTHREAD_MUTEX_INITIALIZER;

static bool same_file(const struct cached_keys *c, const char *path, const struct stat *st)
{
	return c->kr && !strcmp(c->path, path) && file_id_same(&c->id, st);
}

struct keyring *keyring_cached(const char *path)
{
	struct stat st;
	/* the stat comes before the load: a change during the load is seen
	 * at the next call */
	if (lstat(path, &st) < 0)
		return keyring_load(path);
	pthread_mutex_lock(&slots_lock);
	for (unsigned i = 0; i < KEY_SLOTS; i++)
		if (same_file(&slots[i], path, &st)) {
			slots[i].last_use = ++use_clock;
			struct keyring *kr = keyring_ref(slots[i].kr);
			pthread_mutex_unlock(&slots_lock);
			return kr;
		}
	pthread_mutex_unlock(&slots_lock);

	struct keyring *kr = keyring_load(path);
	if (!kr || keyring_error(kr))
		return kr;   /* not kept: a fixed file is read at the next call */
	pthread_mutex_lock(&slots_lock);
	struct cached_keys *slot = &slots[0];
	for (unsigned i = 0; i < KEY_SLOTS; i++) {
		if (slots[i].kr && !strcmp(slots[i].path, path)) {
			slot = &slots[i];   /* the old version of this file */
			break;
		}
		if (!slots[i].kr || slots[i].last_use < slot->last_use)
			slot = &slots[i];
	}
	keyring_unref(slot->kr);
	snprintf(slot->path, sizeof(slot->path), "%s", path);
	slot->id = file_id_of(&st);
	slot->last_use = ++use_clock;
	slot->kr = keyring_ref(kr);
	pthread_mutex_unlock(&slots_lock);
	return kr;
}
