/* --conf FILE may name another state store (a second PAM stack, a
 * staging copy) with its own policy; for the system file's store, the keys
 * that decide who may do what, and what the trail keeps, come from the
 * system file: otherwise any root-owned file without them (an empty one)
 * would turn four-eyes off. */
#include <config.h>
#include "conf_guard.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "store/store.h"

/* For the system file's store only the system file sets these (sosafectl(8),
 * --conf): who may approve, what is flagged, named, kept and purged. */
static const char *const conf_system_only_keys[] = {
	"four_eyes", "four_eyes_ttl", "admin_group", "privileged_groups", "log_identity",
	"audit_retention_days", "grace_days", NULL,
};

/* PATH without repeated or trailing slashes and "/." parts, into OUT. */
static void plain_path(const char *path, char *out, size_t len)
{
	size_t n = 0;
	for (const char *p = path; *p && n + 1 < len; p++) {
		if (*p == '/' && (p[1] == '/' || (p[1] == '.' && (p[2] == '/' || !p[2]))))
			continue;
		out[n++] = *p;
	}
	while (n > 1 && out[n - 1] == '/')
		n--;
	out[n] = '\0';
}

/* Same directory: by inode when both exist (symlinks, bind mounts), else
 * by spelling (a store not created yet). */
static bool same_store(const char *a, const char *b)
{
	struct stat sa, sb;
	bool ea = stat(a, &sa) == 0, eb = stat(b, &sb) == 0;
	if (ea && eb)
		return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
	if (ea != eb)
		return false;
	char pa[PATH_MAX], pb[PATH_MAX];
	plain_path(a, pa, sizeof(pa));
	plain_path(b, pb, sizeof(pb));
	return !strcmp(pa, pb);
}

/* Does CFG name the system file's store? A shared database is the same
 * store whichever connection file names it (two files, two roles, one
 * database): while the system file names a shared store, every shared
 * store counts as the system's. */
static bool system_store(const struct sosafe_config *cfg, const struct sosafe_config *sys)
{
	if (cfg->store_backend == STORE_BACKEND_POSTGRESQL ||
	    sys->store_backend == STORE_BACKEND_POSTGRESQL)
		return cfg->store_backend == sys->store_backend;
	return same_store(cfg->state_dir, sys->state_dir);
}

/* CFG was read from CONF; SYS is the system file. For the system's store,
 * a system-only key CONF sets otherwise is refused, and the others take
 * the system file's values. */
static int pin_system_keys(struct sosafe_config *cfg, const struct sosafe_config *sys,
			   const char *conf)
{
	if (!system_store(cfg, sys))
		return 0;
	/* CONF over the system file: a key CONF does not set keeps its value */
	struct sosafe_config *over = malloc(sizeof(*over));
	if (!over) {
		cli_err("out of memory");
		return EXIT_CONFIG;
	}
	*over = *sys;
	struct sosafe_err err;
	int rc = 0;
	if (config_load_file(over, conf, false, &err)) {
		cli_err("%s", err.msg);
		rc = EXIT_CONFIG;
	}
	for (const char *const *k = conf_system_only_keys; !rc && *k; k++) {
		if (!config_key_equal(over, sys, *k)) {
			cli_err("%s sets %s, which for the system's state store (%s) only %s sets",
				conf, *k, sys->store_backend == STORE_BACKEND_POSTGRESQL ?
				"the shared store" : sys->state_dir, SOSAFE_CONF);
			rc = EXIT_CONFIG;
		} else {
			(void)config_copy_key(cfg, sys, *k);
		}
	}
	free(over);
	return rc;
}

int cli_load_config(struct sosafe_config *cfg, const char *conf)
{
	struct sosafe_err err;
	bool system = !conf || !strcmp(conf, SOSAFE_CONF);
	if (config_load_file(cfg, system ? SOSAFE_CONF : conf, system, &err)) {
		cli_err("%s", err.msg);
		return EXIT_CONFIG;
	}
	/* only root opens the system's store: a user's --conf is their own */
	if (system || geteuid() != 0)
		return 0;
	struct sosafe_config *sys = malloc(sizeof(*sys));
	if (!sys) {
		cli_err("out of memory");
		return EXIT_CONFIG;
	}
	config_defaults(sys);
	int rc = 0;
	if (config_load_file(sys, SOSAFE_CONF, true, &err)) {
		cli_err("%s (its four-eyes and audit keys bind --conf too)", err.msg);
		rc = EXIT_CONFIG;
	} else {
		rc = pin_system_keys(cfg, sys, conf);
	}
	free(sys);
	return rc;
}
