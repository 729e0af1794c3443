/* Taking the state directory: the lock file that makes this daemon the
 * only one serving it, and the listening socket (bound here, or handed
 * over by systemd socket activation). */
#ifndef SOSAFED_LISTEN_H
#define SOSAFED_LISTEN_H

#include "base/err.h"
#include "daemon.h"

/* Take STATE_DIR/sosafed.lock (flock, held for the process's life).
 * Returns the lock fd, -1 + E on error, -2 when another daemon holds it. */
int listen_lock(const struct daemon *dm, struct sosafe_err *e);

/* Write PID into the lock file. */
void listen_lock_pid(int lock_fd);

/* The listening socket: systemd's (LISTEN_PID/LISTEN_FDS), else
 * STATE_DIR/sosafed.sock, bound under a temporary name, mode 0666 (the
 * daemon decides by SO_PEERCRED) and renamed into place, so that a client
 * never finds the name missing while a daemon runs. Returns the fd or -1
 * + E; sets DM->socket_activated. Only the lock holder may call it. */
int listen_socket(struct daemon *dm, struct sosafe_err *e);

#endif
