/* The server loop: accept, read one request per connection, hand it to the
 * worker pool, write the reply, close. One thread, poll() and non-blocking
 * sockets, so one client never delays another:
 *   - a connection must deliver its whole request within CONN_DEADLINE_MS
 *     and take its reply within as long again, or it is closed;
 *   - a frame over SD_FRAME_MAX is refused (SD_BAD_REQUEST);
 *   - at most MAX_CONN connections are open; past that, and for an
 *     unprivileged uid over its rate or connection limit, SD_BUSY. */
#ifndef SOSAFED_SERVER_H
#define SOSAFED_SERVER_H

#include "daemon.h"

#define CONN_DEADLINE_MS 2000
#define MAX_CONN 4096

/* Serve LISTEN_FD until SIGTERM/SIGINT arrive on SIGNAL_FD (a signalfd),
 * or, with idle_exit, until that long without a connection. Returns the
 * exit status. */
int server_run(const struct daemon *dm, int listen_fd, int signal_fd);

#endif
