/* The configuration one request is decided under.
 *
 * Privileged peers: the file the request names (its conf= word; absent:
 * the system file), cached by path and reloaded when its device, inode,
 * size, mtime or ctime change (an edited sosafe.conf takes effect at the
 * next login), plus the PAM line's words. A configuration whose state_dir
 * is not the daemon's own is refused: each state directory has its own
 * daemon. Other peers: the daemon's own configuration, words ignored.
 *
 * THREAD SAFETY: callable from every worker; the cache has its own lock. */
#ifndef SOSAFED_REQUEST_CONF_H
#define SOSAFED_REQUEST_CONF_H

#include <stdbool.h>

#include "base/conf.h"
#include "base/err.h"
#include "daemon.h"
#include "proto/proto.h"

enum conf_result {
	CONF_OK = 0,
	CONF_UNUSABLE,     /* the file or a word is wrong: config-error */
	CONF_FOREIGN,      /* names another state directory */
};

enum conf_result request_config(const struct daemon *dm, const struct sd_request *req,
				bool privileged, struct sosafe_config *cfg, struct sosafe_err *e);

/* Is WORD a mode word of the PAM line rather than a configuration key? */
bool request_mode_word(const char *word);

#endif
