/* A small sosafed client for the daemon tests, built on lib/proto.
 *
 *   sd_client SOCKET KIND [key=value...]     one request, prints the reply
 *   sd_client SOCKET --count N KIND [...]    N requests in a row, prints
 *                                            how many got each verdict
 *   sd_client SOCKET --raw HEX               send HEX as one frame's payload
 *   sd_client SOCKET --bytes HEX --stall S   send HEX as is (maybe half a
 *                                            frame), then wait up to S s for
 *                                            the daemon to close: prints
 *                                            "closed after N ms" or "open"
 * KIND: ping preauth authsucc otp account. Keys: user service rhost tty
 * ruser conf word (repeatable) flags (forward_pass,check_password,silent)
 * seq answer password.
 * Output: "VERDICT[ seq_action=A seq=N][ password_len=N][ authtok=T]" and
 * one "info: LINE" per line; "no-reply" when the daemon closed without a
 * valid reply. Exit 0, or 1 on no reply, 2 on usage. */
#include <config.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "proto/proto.h"

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int connect_to(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		perror("connect");
		exit(1);
	}
	return fd;
}

/* Read the whole reply frame; its payload length, or -1. */
static long read_reply(int fd, unsigned char *buf, size_t cap)
{
	size_t got = 0, want = 4;
	struct pollfd p = { .fd = fd, .events = POLLIN };
	while (got < want) {
		if (poll(&p, 1, 10000) <= 0)
			return -1;
		ssize_t n = read(fd, buf + got, want - got);
		if (n <= 0)
			return -1;
		got += (size_t)n;
		if (got == 4) {
			want = 4 + ((size_t)buf[0] << 24 | (size_t)buf[1] << 16 |
				    (size_t)buf[2] << 8 | buf[3]);
			if (want > cap)
				return -1;
		}
	}
	return (long)(got - 4);
}

/* Send FRAME (N bytes), read the reply into REP; 0 or -1. A daemon that
 * answers before reading (busy) may have closed already: read anyway. */
static int exchange(const char *path, const unsigned char *frame, size_t n, struct sd_reply *rep)
{
	static unsigned char buf[SD_FRAME_MAX + 4];
	int fd = connect_to(path);
	if (send(fd, frame, n, MSG_NOSIGNAL) < 0 && errno != EPIPE && errno != ECONNRESET) {
		close(fd);
		return -1;
	}
	long len = read_reply(fd, buf, sizeof(buf));
	close(fd);
	if (len < 0)
		return -1;
	return sd_reply_decode(rep, buf + 4, (size_t)len);
}

static int hex(const char *s, unsigned char *out, size_t cap)
{
	size_t n = strlen(s);
	if (n % 2 || n / 2 > cap)
		return -1;
	for (size_t i = 0; i < n / 2; i++) {
		unsigned v;
		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (unsigned char)v;
	}
	return (int)(n / 2);
}

static const char *const kinds[] = { [SD_PING] = "ping", [SD_PREAUTH] = "preauth",
				     [SD_AUTHSUCC] = "authsucc", [SD_OTP] = "otp",
				     [SD_ACCOUNT] = "account" };

static int build(struct sd_request *r, int argc, char **argv)
{
	memset(r, 0, offsetof(struct sd_request, arena));
	for (int k = SD_PING; k <= SD_ACCOUNT; k++)
		if (!strcmp(argv[0], kinds[k]))
			r->kind = (enum sd_kind)k;
	if (!r->kind)
		return -1;
	for (int i = 1; i < argc; i++) {
		char *eq = strchr(argv[i], '=');
		if (!eq)
			return -1;
		*eq = '\0';
		const char *k = argv[i], *v = eq + 1;
		if (!strcmp(k, "user")) r->user = v;
		else if (!strcmp(k, "service")) r->service = v;
		else if (!strcmp(k, "rhost")) r->rhost = v;
		else if (!strcmp(k, "tty")) r->tty = v;
		else if (!strcmp(k, "ruser")) r->ruser = v;
		else if (!strcmp(k, "conf")) r->conf = v;
		else if (!strcmp(k, "answer")) r->answer = v;
		else if (!strcmp(k, "password")) r->password = v;
		else if (!strcmp(k, "seq")) r->seq = strtoll(v, NULL, 10);
		else if (!strcmp(k, "word") && r->nwords < SD_WORDS_MAX) r->words[r->nwords++] = v;
		else if (!strcmp(k, "flags")) {
			if (strstr(v, "forward_pass")) r->flags |= SDF_FORWARD_PASS;
			if (strstr(v, "check_password")) r->flags |= SDF_CHECK_PASSWORD;
			if (strstr(v, "silent")) r->flags |= SDF_SILENT;
		} else
			return -1;
	}
	return 0;
}

static void print_reply(const struct sd_reply *rep)
{
	static const char *const actions[] = { "keep", "set", "forget" };
	printf("%s", sd_verdict_name(rep->verdict));
	if (rep->seq_action != SD_SEQ_KEEP)
		printf(" seq_action=%s seq=%lld", actions[rep->seq_action], (long long)rep->seq);
	if (rep->has_password_len)
		printf(" password_len=%u", rep->password_len);
	if (rep->has_authtok)
		printf(" authtok=%s", rep->authtok);
	printf("\n");
	for (unsigned i = 0; i < rep->ninfo; i++)
		printf("info: %s\n", rep->info[i]);
}

static int stall(const char *path, const char *bytes, const char *secs)
{
	unsigned char b[SD_FRAME_MAX];
	int n = hex(bytes, b, sizeof(b));
	if (n < 0)
		return 2;
	int fd = connect_to(path);
	if (n && send(fd, b, (size_t)n, MSG_NOSIGNAL) < 0)
		return 1;
	int64_t start = now_ms(), end = start + atoi(secs) * 1000;
	struct pollfd p = { .fd = fd, .events = POLLIN };
	while (now_ms() < end) {
		if (poll(&p, 1, (int)(end - now_ms())) > 0) {
			char c;
			if (read(fd, &c, 1) <= 0) {
				printf("closed after %lld ms\n", (long long)(now_ms() - start));
				return 0;
			}
		}
	}
	printf("open\n");
	return 0;
}

int main(int argc, char **argv)
{
	static struct sd_request req;
	static unsigned char frame[SD_FRAME_MAX + 4];
	struct sd_reply rep;
	long n;
	int count = 1;

	if (argc < 3)
		return 2;
	const char *path = argv[1];
	if (!strcmp(argv[2], "--bytes") && argc == 6 && !strcmp(argv[4], "--stall"))
		return stall(path, argv[3], argv[5]);
	if (!strcmp(argv[2], "--raw") && argc == 4) {
		int m = hex(argv[3], frame + 4, SD_FRAME_MAX);
		if (m < 0)
			return 2;
		frame[0] = 0;
		frame[1] = 0;
		frame[2] = (unsigned char)(m >> 8);
		frame[3] = (unsigned char)m;
		n = m + 4;
	} else {
		int first = 2;
		if (!strcmp(argv[2], "--count") && argc > 4) {
			count = atoi(argv[3]);
			first = 4;
		}
		if (build(&req, argc - first, argv + first) < 0)
			return 2;
		n = sd_request_encode(&req, frame, sizeof(frame));
		if (n < 0)
			return 2;
	}
	if (count > 1) {
		unsigned seen[SD_VERDICT_END + 1] = { 0 };
		for (int i = 0; i < count; i++)
			seen[exchange(path, frame, (size_t)n, &rep) < 0 ? SD_VERDICT_END : rep.verdict]++;
		for (int v = 0; v < SD_VERDICT_END; v++)
			if (seen[v])
				printf("%s=%u ", sd_verdict_name((enum sd_verdict)v), seen[v]);
		printf("no-reply=%u\n", seen[SD_VERDICT_END]);
		return 0;
	}
	if (exchange(path, frame, (size_t)n, &rep) < 0) {
		printf("no-reply\n");
		return 1;
	}
	print_reply(&rep);
	return 0;
}
