/* The configuration of one request (see request_conf.h). */
#include <config.h>
#include "request_conf.h"

#include <pthread.h>
#include <string.h>
#include <sys/stat.h>

#include "file_id.h"

#include "base/util.h"

#define CACHE_SLOTS 8

/* A loaded file, valid while the file's identity and times stay the same. */
struct cached_conf {
	struct file_id id;
	unsigned long last_use;
	struct sosafe_config cfg;
	bool used;
	char path[PATH_MAX];
};

static struct cached_conf cache[CACHE_SLOTS];
static unsigned long use_clock;
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;

static bool same_file(const struct cached_conf *c, const char *path, const struct stat *st)
{
	return c->used && !strcmp(c->path, path) && file_id_same(&c->id, st);
}

/* Load PATH into CFG through the cache. The stat() is taken before the
 * load: a change during the load is seen at the next request. */
static int load_cached(const char *path, bool missing_ok, struct sosafe_config *cfg,
		       struct sosafe_err *e)
{
	struct stat st;
	if (stat(path, &st) < 0) {
		/* missing (system file: defaults) or unreadable: not cached */
		config_defaults(cfg);
		return config_load_file(cfg, path, missing_ok, e);
	}
	pthread_mutex_lock(&cache_lock);
	for (unsigned i = 0; i < CACHE_SLOTS; i++)
		if (same_file(&cache[i], path, &st)) {
			cache[i].last_use = ++use_clock;
			*cfg = cache[i].cfg;
			pthread_mutex_unlock(&cache_lock);
			return 0;
		}
	pthread_mutex_unlock(&cache_lock);

	config_defaults(cfg);
	if (config_load_file(cfg, path, missing_ok, e) < 0)
		return -1;

	pthread_mutex_lock(&cache_lock);
	struct cached_conf *slot = &cache[0];
	for (unsigned i = 0; i < CACHE_SLOTS; i++) {
		if (cache[i].used && !strcmp(cache[i].path, path)) {
			slot = &cache[i];   /* the old version of this file */
			break;
		}
		if (!cache[i].used || cache[i].last_use < slot->last_use)
			slot = &cache[i];
	}
	slot->used = true;
	snprintf(slot->path, sizeof(slot->path), "%s", path);
	slot->id = file_id_of(&st);
	slot->last_use = ++use_clock;
	slot->cfg = *cfg;
	pthread_mutex_unlock(&cache_lock);
	return 0;
}

bool request_mode_word(const char *w)
{
	static const char *const modes[] = { "preauth", "authsucc", "otp", "forward_pass",
					     "check_password" };
	for (size_t i = 0; i < ARRAY_SIZE(modes); i++)
		if (!strcmp(w, modes[i]))
			return true;
	/* conf= is carried apart; break_glass= is the module's own */
	return !strncmp(w, "conf=", 5) || !strncmp(w, "break_glass=", 12);
}

enum conf_result request_config(const struct daemon *dm, const struct sd_request *req,
				bool privileged, struct sosafe_config *cfg, struct sosafe_err *e)
{
	if (!privileged) {
		*cfg = dm->cfg;
		return CONF_OK;
	}
	const char *path = req->conf ? req->conf : SOSAFE_CONF;
	if (req->conf && req->conf[0] != '/') {
		err_set(e, "conf=%s: not an absolute path", req->conf);
		return CONF_UNUSABLE;
	}
	if (load_cached(path, req->conf == NULL, cfg, e) < 0)
		return CONF_UNUSABLE;
	for (unsigned i = 0; i < req->nwords; i++) {
		if (request_mode_word(req->words[i]))
			continue;
		if (config_apply_word(cfg, req->words[i], e) < 0) {
			err_prefix(e, "PAM line");
			return CONF_UNUSABLE;
		}
	}
	if (config_check(cfg, e) < 0)
		return CONF_UNUSABLE;
	struct stat st;
	if (stat(cfg->state_dir, &st) < 0 || st.st_dev != dm->state_dev || st.st_ino != dm->state_ino) {
		err_set(e, "state_dir %s is not this daemon's (%s): each state directory has its own "
			"sosafed", cfg->state_dir, dm->cfg.state_dir);
		return CONF_FOREIGN;
	}
	if (cfg->store_backend != dm->cfg.store_backend || cfg->pg_insecure != dm->cfg.pg_insecure ||
	    strcmp(cfg->pg_conninfo_file, dm->cfg.pg_conninfo_file)) {
		err_set(e, "store, pg_conninfo_file and pg_insecure are the daemon's (%s): set them "
			"in its configuration file", SOSAFE_CONF);
		return CONF_FOREIGN;
	}
	return CONF_OK;
}
