/* What the parts of sosafed share: its options and the identity of the
 * state directory it serves. */
#ifndef SOSAFED_DAEMON_H
#define SOSAFED_DAEMON_H

#include <stdbool.h>
#include <sys/types.h>

#include "base/conf.h"

struct daemon {
	const char *conf_path;       /* --conf, or the system file */
	bool conf_missing_ok;        /* the system file may be absent (defaults) */
	unsigned idle_exit;          /* seconds without a connection; 0 = never */
	bool strict_peers;           /* the daemon's own uid gets no privilege */
	bool socket_activated;       /* the listening socket came from systemd */
	struct sosafe_config cfg;    /* the daemon's own configuration */
	dev_t state_dev;             /* the state directory it serves */
	ino_t state_ino;
	char socket_path[108];
};

#endif
