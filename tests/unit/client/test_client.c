/* sd_call() against fake daemons on a socket of a temporary state dir: a
 * good reply, silence (the deadline holds), garbage (fails closed), nobody
 * listening (fails at once when it may not start one), and a peer gone
 * away (no SIGPIPE in a host that does not ignore it). */
#include <config.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "tmp_dir.h"
#include "client/client.h"
#include "client/deadline.h"

enum behaviour { REPLY_ALLOW, STAY_SILENT, REPLY_GARBAGE };

static char dir[TMP_DIR_LEN];
static int listener = -1;
static enum behaviour behaviour;
static pthread_t server;

static int setup(void **state)
{
	(void)state;
	assert_int_equal(tmp_dir_make(dir, "client"), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	assert_int_equal(tmp_dir_remove(dir), 0);
	return 0;
}

/* Read one request frame, then behave. */
static void *serve_one(void *arg)
{
	(void)arg;
	int fd = accept(listener, NULL, NULL);
	if (fd < 0)
		return NULL;
	unsigned char hdr[4], payload[SD_FRAME_MAX];
	int64_t deadline = dl_now_ms() + 2000;
	if (dl_recv_all(fd, hdr, 4, deadline) == 0) {
		uint32_t len = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 | (uint32_t)hdr[2] << 8 | hdr[3];
		struct sd_request req;
		if (len <= SD_FRAME_MAX && dl_recv_all(fd, payload, len, deadline) == 0 &&
		    sd_request_decode(&req, payload, len) == 0 && !strcmp(req.user, "alice")) {
			unsigned char frame[4 + SD_FRAME_MAX];
			struct sd_reply rep = { .verdict = SD_ALLOW, .seq_action = SD_SEQ_SET, .seq = 42 };
			static const unsigned char garbage[] = { 0, 0, 0, 3, 0x7f, 0x7f, 0x7f };
			long n = sd_reply_encode(&rep, frame, sizeof(frame));
			if (behaviour == REPLY_ALLOW && n > 0)
				(void)!write(fd, frame, (size_t)n);
			else if (behaviour == REPLY_GARBAGE)
				(void)!write(fd, garbage, sizeof(garbage));
			else
				sleep(2);   /* longer than the client's deadline */
		}
	}
	close(fd);
	return NULL;
}

static void start_server(enum behaviour b)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s/%s", dir, SD_SOCKET_NAME);
	unlink(addr.sun_path);
	listener = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(listener >= 0);
	assert_int_equal(bind(listener, (struct sockaddr *)&addr, sizeof(addr)), 0);
	assert_int_equal(listen(listener, 8), 0);
	behaviour = b;
	assert_int_equal(pthread_create(&server, NULL, serve_one, NULL), 0);
}

static void stop_server(void)
{
	pthread_join(server, NULL);
	close(listener);
	listener = -1;
}

static int call(unsigned timeout_ms, struct sd_reply *rep, struct sosafe_err *e)
{
	struct sd_client c = { .state_dir = dir, .daemon_path = NULL, .timeout_ms = timeout_ms };
	struct sd_request req;
	memset(&req, 0, sizeof(req));
	req.kind = SD_PREAUTH;
	req.user = "alice";
	req.service = "test";
	return sd_call(&c, &req, rep, e);
}

static void test_reply(void **state)
{
	(void)state;
	struct sd_reply rep;
	struct sosafe_err e;
	start_server(REPLY_ALLOW);
	assert_int_equal(call(2000, &rep, &e), 0);
	stop_server();
	assert_int_equal(rep.verdict, SD_ALLOW);
	assert_int_equal(rep.seq_action, SD_SEQ_SET);
	assert_int_equal(rep.seq, 42);
}

static void test_silence_bounded(void **state)
{
	(void)state;
	struct sd_reply rep;
	struct sosafe_err e;
	start_server(STAY_SILENT);
	int64_t t0 = dl_now_ms();
	assert_int_equal(call(300, &rep, &e), -1);
	int64_t took = dl_now_ms() - t0;
	stop_server();
	assert_true(took >= 290 && took < 1500);
	assert_non_null(strstr(e.msg, "timed out"));
	assert_int_equal(rep.verdict, SD_UNAVAILABLE);
}

static void test_garbage(void **state)
{
	(void)state;
	struct sd_reply rep;
	struct sosafe_err e;
	start_server(REPLY_GARBAGE);
	assert_int_equal(call(2000, &rep, &e), -1);
	stop_server();
	assert_non_null(strstr(e.msg, "malformed"));
	assert_int_equal(rep.verdict, SD_UNAVAILABLE);
}

static void test_nobody_listening(void **state)
{
	(void)state;
	struct sd_reply rep;
	struct sosafe_err e;
	char path[128];
	snprintf(path, sizeof(path), "%s/%s", dir, SD_SOCKET_NAME);
	unlink(path);
	int64_t t0 = dl_now_ms();
	assert_int_equal(call(3000, &rep, &e), -1);
	assert_true(dl_now_ms() - t0 < 1000);   /* may not start it: no point waiting */
	assert_non_null(strstr(e.msg, "start sosafed"));
}

static void test_no_sigpipe(void **state)
{
	(void)state;
	int sv[2];
	static unsigned char buf[256 * 1024];
	signal(SIGPIPE, SIG_DFL);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	close(sv[1]);
	assert_int_equal(dl_send_all(sv[0], buf, sizeof(buf), dl_now_ms() + 1000), -1);
	assert_int_equal(errno, EPIPE);
	close(sv[0]);
}

static void test_autostart_only_by_owner(void **state)
{
	(void)state;
	assert_true(sd_may_autostart(dir));   /* mkdtemp: ours */
	char missing[128];
	snprintf(missing, sizeof(missing), "%s/none", dir);
	assert_int_equal(sd_may_autostart(missing), geteuid() == 0);
	if (geteuid() == 0) {
		assert_int_equal(chown(dir, 65534, 65534), 0);
		assert_false(sd_may_autostart(dir));
		assert_int_equal(chown(dir, 0, 0), 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reply),
		cmocka_unit_test(test_silence_bounded),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_nobody_listening),
		cmocka_unit_test(test_no_sigpipe),
		cmocka_unit_test(test_autostart_only_by_owner),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
