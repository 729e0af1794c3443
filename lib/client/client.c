#include <config.h>
#include "client/client.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "base/util.h"
#include "client/deadline.h"
#include "client/spawn.h"

/* How long a started daemon gets to its first accept(): retry with a
 * growing pause, never past the deadline. */
#define RETRY_FIRST_MS 5
#define RETRY_MAX_MS 100
#define AUTOSTART_IDLE_EXIT "600"

bool sd_may_autostart(const char *state_dir)
{
	struct stat st;
	uid_t euid = geteuid();
	if (stat(state_dir, &st) < 0)
		return errno == ENOENT && euid == 0;
	return S_ISDIR(st.st_mode) && st.st_uid == euid;
}

static int start_daemon(const struct sd_client *c, struct sosafe_err *e)
{
	char *argv[6];
	unsigned n = 0;
	argv[n++] = (char *)"sosafed";
	if (c->conf) {
		argv[n++] = (char *)"--conf";
		argv[n++] = (char *)c->conf;
	}
	argv[n++] = (char *)"--idle-exit";
	argv[n++] = (char *)AUTOSTART_IDLE_EXIT;
	argv[n] = NULL;
	return spawn_detached(c->daemon_path, argv, e);
}

/* Connect to ADDR, starting the daemon once when nobody listens. Returns
 * the socket or -1 + E. */
static int connect_daemon(const struct sd_client *c, const struct sockaddr_un *addr,
			  int64_t deadline, struct sosafe_err *e)
{
	bool started = false;
	int pause_ms = RETRY_FIRST_MS;
	for (;;) {
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (fd < 0)
			return err_set(e, "socket: %s", strerror(errno));
		if (connect(fd, (const struct sockaddr *)addr, sizeof(*addr)) == 0)
			return fd;
		int why = errno;
		close(fd);
		bool absent = why == ENOENT || why == ECONNREFUSED;
		if (why == EINTR || why == EAGAIN) {
			/* interrupted, or the listen backlog is full: try again */
		} else if (!absent) {
			return err_set(e, "%s: %s", addr->sun_path, strerror(why));
		} else if (!started) {
			if (!c->daemon_path || !sd_may_autostart(c->state_dir))
				return err_set(e, "%s: %s; sosafed is not running and this "
					       "process may not start it: enable sosafed.socket "
					       "or start sosafed", addr->sun_path, strerror(why));
			if (start_daemon(c, e) < 0)
				return err_prefix(e, "cannot start sosafed");
			started = true;
		}
		if (!dl_left_ms(deadline))
			return err_set(e, "%s: %s after %u ms%s", addr->sun_path, strerror(why),
				       c->timeout_ms, started ? " (sosafed was started)" : "");
		dl_sleep(pause_ms, deadline);
		if (pause_ms < RETRY_MAX_MS)
			pause_ms *= 2;
	}
}

static int exchange(int fd, const unsigned char *req, size_t reqlen, struct sd_reply *rep,
		    int64_t deadline, struct sosafe_err *e)
{
	unsigned char hdr[4];
	unsigned char payload[SD_FRAME_MAX];
	if (dl_send_all(fd, req, reqlen, deadline) < 0)
		return err_set(e, "sending the request: %s", strerror(errno));
	if (dl_recv_all(fd, hdr, sizeof(hdr), deadline) < 0)
		return err_set(e, "reading the reply: %s", strerror(errno));
	uint32_t len = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 | (uint32_t)hdr[2] << 8 | hdr[3];
	if (len == 0 || len > SD_FRAME_MAX)
		return err_set(e, "malformed reply: frame length %u", len);
	if (dl_recv_all(fd, payload, len, deadline) < 0)
		return err_set(e, "reading the reply: %s", strerror(errno));
	if (sd_reply_decode(rep, payload, len) < 0)
		return err_set(e, "malformed reply");
	return 0;
}

int sd_call(const struct sd_client *c, const struct sd_request *req, struct sd_reply *rep,
	    struct sosafe_err *e)
{
	int64_t deadline = dl_now_ms() + (int64_t)c->timeout_ms;
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int n = snprintf(addr.sun_path, sizeof(addr.sun_path), "%s/%s", c->state_dir, SD_SOCKET_NAME);
	if (n < 0 || (size_t)n >= sizeof(addr.sun_path))
		return err_set(e, "state_dir too long for a socket path: %s", c->state_dir);

	unsigned char frame[4 + SD_FRAME_MAX];
	long flen = sd_request_encode(req, frame, sizeof(frame));
	if (flen < 0)
		return err_set(e, "request does not fit the protocol limits");
	int rc = -1;
	int fd = connect_daemon(c, &addr, deadline, e);
	if (fd >= 0) {
		rc = exchange(fd, frame, (size_t)flen, rep, deadline, e);
		close(fd);
	}
	explicit_bzero(frame, sizeof(frame));
	if (rc < 0) {
		memset(rep, 0, sizeof(*rep));
		rep->verdict = SD_UNAVAILABLE;   /* never a zero (SD_ALLOW) by accident */
	}
	return rc;
}
