/* Fuzz the sosafed wire codec, the daemon's first contact with any local
 * user's bytes: sd_request_decode() and sd_reply_decode() on arbitrary
 * payloads. Properties: no crash or sanitizer report; what decodes
 * re-encodes and decodes to the same request (nothing half-read); text
 * fields stay NUL-terminated inside their limits. */
#include <config.h>

#include <stdint.h>
#include <string.h>

#include "fuzz_util.h"
#include "proto/proto.h"

static void check_text(const char *s, size_t max, const char *what)
{
	if (s)
		fuzz_require(strnlen(s, max + 1) <= max, "%s over its limit", what);
}

static void same_text(const char *a, const char *b, const char *what)
{
	fuzz_require((a == NULL) == (b == NULL) && (!a || strcmp(a, b) == 0),
		     "%s changed in a round trip", what);
}

static void check_request(const uint8_t *data, size_t size)
{
	static struct sd_request req, again;
	static unsigned char frame[SD_FRAME_MAX + 4];
	if (sd_request_decode(&req, data, size) < 0)
		return;
	check_text(req.user, SD_NAME_MAX, "user");
	check_text(req.conf, SD_PATH_MAX, "conf");
	check_text(req.answer, SD_SECRET_MAX, "answer");
	fuzz_require(req.nwords <= SD_WORDS_MAX, "%u words", req.nwords);
	for (unsigned i = 0; i < req.nwords; i++)
		check_text(req.words[i], SD_WORD_MAX, "word");

	long n = sd_request_encode(&req, frame, sizeof(frame));
	fuzz_require(n > 4, "a decoded request does not encode");
	fuzz_require((size_t)n - 4 <= size, "re-encoding grew: %ld from %zu", n - 4, size);
	fuzz_require(sd_request_decode(&again, frame + 4, (size_t)n - 4) == 0, "re-decode failed");
	fuzz_require(again.kind == req.kind && again.flags == req.flags && again.seq == req.seq &&
		     again.nwords == req.nwords, "integers changed in a round trip");
	same_text(again.user, req.user, "user");
	same_text(again.service, req.service, "service");
	same_text(again.rhost, req.rhost, "rhost");
	same_text(again.tty, req.tty, "tty");
	same_text(again.ruser, req.ruser, "ruser");
	same_text(again.conf, req.conf, "conf");
	same_text(again.answer, req.answer, "answer");
	same_text(again.password, req.password, "password");
	for (unsigned i = 0; i < req.nwords; i++)
		same_text(again.words[i], req.words[i], "word");
	sd_request_wipe(&req);
	sd_request_wipe(&again);
}

static void check_reply(const uint8_t *data, size_t size)
{
	static struct sd_reply rep, again;
	static unsigned char frame[SD_FRAME_MAX + 4];
	if (sd_reply_decode(&rep, data, size) < 0) {
		fuzz_require(rep.verdict == SD_BAD_REQUEST, "a refused reply reads as %d", rep.verdict);
		return;
	}
	fuzz_require(rep.verdict < SD_VERDICT_END && rep.ninfo <= SD_INFO_MAX, "out of range");
	long n = sd_reply_encode(&rep, frame, sizeof(frame));
	fuzz_require(n > 4, "a decoded reply does not encode");
	fuzz_require(sd_reply_decode(&again, frame + 4, (size_t)n - 4) == 0, "re-decode failed");
	fuzz_require(again.verdict == rep.verdict && again.seq == rep.seq &&
		     again.seq_action == rep.seq_action && again.ninfo == rep.ninfo &&
		     again.has_password_len == rep.has_password_len &&
		     again.password_len == rep.password_len &&
		     again.has_authtok == rep.has_authtok &&
		     strcmp(again.authtok, rep.authtok) == 0, "reply changed in a round trip");
	for (unsigned i = 0; i < rep.ninfo; i++)
		fuzz_require(strcmp(rep.info[i], again.info[i]) == 0, "info line changed");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* a heap copy of exactly SIZE bytes: ASan sees any read past the end */
	uint8_t *p = malloc(size ? size : 1);
	if (!p)
		abort();
	if (size)
		memcpy(p, data, size);
	check_request(p, size);
	check_reply(p, size);
	free(p);
	return 0;
}
