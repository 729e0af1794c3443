/* Deadline-bounded socket I/O for the daemon client: every wait is a poll()
 * with the time left until one monotonic deadline, EINTR restarts the wait
 * with what is left, and nothing ever blocks past the deadline.
 *
 * THREAD SAFETY: no state; every function works on the caller's values. */
#ifndef SOSAFE_CLIENT_DEADLINE_H
#define SOSAFE_CLIENT_DEADLINE_H

#include <stddef.h>
#include <stdint.h>

/* Milliseconds on CLOCK_MONOTONIC. */
int64_t dl_now_ms(void);

/* Milliseconds left until DEADLINE (0 when passed). */
int dl_left_ms(int64_t deadline);

/* Wait until FD is ready for EVENTS (POLLIN/POLLOUT) or DEADLINE.
 * Returns 1 ready, 0 deadline passed, -1 error (errno). */
int dl_wait(int fd, short events, int64_t deadline);

/* Send all LEN bytes of BUF on the non-blocking socket FD (MSG_NOSIGNAL:
 * a peer gone away is an error, never a SIGPIPE in the host). Returns 0,
 * or -1 with errno (ETIMEDOUT at the deadline). */
int dl_send_all(int fd, const void *buf, size_t len, int64_t deadline);

/* Receive exactly LEN bytes. Returns 0, or -1 with errno (ETIMEDOUT at the
 * deadline, ECONNRESET when the peer closes early). */
int dl_recv_all(int fd, void *buf, size_t len, int64_t deadline);

/* Sleep MS milliseconds, but not past DEADLINE. */
void dl_sleep(int ms, int64_t deadline);

#endif
