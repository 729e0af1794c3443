#include <config.h>
#include "client/deadline.h"

#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>

int64_t dl_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int dl_left_ms(int64_t deadline)
{
	int64_t left = deadline - dl_now_ms();
	if (left <= 0)
		return 0;
	return left > 3600000 ? 3600000 : (int)left;
}

int dl_wait(int fd, short events, int64_t deadline)
{
	for (;;) {
		int left = dl_left_ms(deadline);
		if (!left)
			return 0;
		struct pollfd p = { .fd = fd, .events = events };
		int n = poll(&p, 1, left);
		if (n > 0)
			return 1;
		if (n == 0)
			continue;   /* re-check the clock: poll may return early */
		if (errno != EINTR)
			return -1;
	}
}

int dl_send_all(int fd, const void *buf, size_t len, int64_t deadline)
{
	const unsigned char *p = buf;
	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			return -1;
		int w = dl_wait(fd, POLLOUT, deadline);
		if (w <= 0) {
			if (w == 0)
				errno = ETIMEDOUT;
			return -1;
		}
	}
	return 0;
}

int dl_recv_all(int fd, void *buf, size_t len, int64_t deadline)
{
	unsigned char *p = buf;
	while (len) {
		ssize_t n = recv(fd, p, len, MSG_DONTWAIT);
		if (n > 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		if (n == 0) {
			errno = ECONNRESET;
			return -1;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -1;
		int w = dl_wait(fd, POLLIN, deadline);
		if (w <= 0) {
			if (w == 0)
				errno = ETIMEDOUT;
			return -1;
		}
	}
	return 0;
}

void dl_sleep(int ms, int64_t deadline)
{
	int left = dl_left_ms(deadline);
	if (ms > left)
		ms = left;
	if (ms <= 0)
		return;
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}
