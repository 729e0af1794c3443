/* The sosafed wire codec: what one side encodes the other decodes to the
 * same values, and every malformed message is refused whole. */
#include <config.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "proto/proto.h"

static unsigned char frame[SD_FRAME_MAX + 64];

static size_t payload_len(const unsigned char *f)
{
	return (size_t)f[0] << 24 | (size_t)f[1] << 16 | (size_t)f[2] << 8 | f[3];
}

static struct sd_request full_request(void)
{
	struct sd_request r = { .kind = SD_OTP, .user = "alice", .service = "sshd",
				.rhost = "192.0.2.1", .tty = "ssh", .ruser = "",
				.conf = "/etc/security/sosafe.conf",
				.words = { "deny=3", "forward_pass" }, .nwords = 2,
				.flags = SDF_FORWARD_PASS | SDF_SILENT, .seq = -5,
				.answer = "hunter2123456", .password = "hunter2" };
	return r;
}

static void request_round_trips(void **state)
{
	struct sd_request in = full_request(), out;
	long n = sd_request_encode(&in, frame, sizeof(frame));
	assert_true(n > 4);
	assert_int_equal(payload_len(frame), n - 4);
	assert_int_equal(sd_request_decode(&out, frame + 4, (size_t)n - 4), 0);
	assert_int_equal(out.kind, SD_OTP);
	assert_string_equal(out.user, "alice");
	assert_string_equal(out.service, "sshd");
	assert_string_equal(out.rhost, "192.0.2.1");
	assert_string_equal(out.tty, "ssh");
	assert_string_equal(out.ruser, "");
	assert_string_equal(out.conf, "/etc/security/sosafe.conf");
	assert_int_equal(out.nwords, 2);
	assert_string_equal(out.words[0], "deny=3");
	assert_string_equal(out.words[1], "forward_pass");
	assert_int_equal(out.flags, SDF_FORWARD_PASS | SDF_SILENT);
	assert_int_equal(out.seq, -5);
	assert_string_equal(out.answer, "hunter2123456");
	assert_string_equal(out.password, "hunter2");
	sd_request_wipe(&out);
	assert_null(out.answer);
	for (size_t i = 0; i < sizeof(out.arena); i++)
		assert_int_equal(out.arena[i], 0);
}

static void absent_fields_stay_null(void **state)
{
	struct sd_request in = { .kind = SD_PING }, out;
	long n = sd_request_encode(&in, frame, sizeof(frame));
	assert_int_equal(n, 6);
	assert_int_equal(sd_request_decode(&out, frame + 4, 2), 0);
	assert_int_equal(out.kind, SD_PING);
	assert_null(out.user);
	assert_null(out.conf);
	assert_null(out.answer);
	assert_int_equal(out.nwords, 0);
	assert_int_equal(out.seq, 0);
}

static void reply_round_trips(void **state)
{
	struct sd_reply in = { .verdict = SD_DENY_AS_FAILURE, .seq_action = SD_SEQ_SET, .seq = 42,
			       .has_password_len = true, .password_len = 7 }, out;
	sd_reply_info(&in, "Account locked for %d minutes.", 10);
	sd_reply_info(&in, "%s", "second");
	long n = sd_reply_encode(&in, frame, sizeof(frame));
	assert_true(n > 4);
	assert_int_equal(sd_reply_decode(&out, frame + 4, (size_t)n - 4), 0);
	assert_int_equal(out.verdict, SD_DENY_AS_FAILURE);
	assert_int_equal(out.seq_action, SD_SEQ_SET);
	assert_int_equal(out.seq, 42);
	assert_true(out.has_password_len);
	assert_int_equal(out.password_len, 7);
	assert_int_equal(out.ninfo, 2);
	assert_string_equal(out.info[0], "Account locked for 10 minutes.");
	assert_string_equal(out.info[1], "second");
	assert_false(out.has_authtok);

	struct sd_reply scrv1 = { .verdict = SD_DENY, .has_authtok = true };
	strcpy(scrv1.authtok, "pass word");
	n = sd_reply_encode(&scrv1, frame, sizeof(frame));
	assert_int_equal(sd_reply_decode(&out, frame + 4, (size_t)n - 4), 0);
	assert_true(out.has_authtok);
	assert_string_equal(out.authtok, "pass word");
	sd_reply_wipe(&out);
	assert_false(out.has_authtok);
	assert_int_equal(out.authtok[0], 0);

	struct sd_reply plain = { .verdict = SD_ALLOW };
	n = sd_reply_encode(&plain, frame, sizeof(frame));
	assert_int_equal(sd_reply_decode(&out, frame + 4, (size_t)n - 4), 0);
	assert_int_equal(out.verdict, SD_ALLOW);
	assert_false(out.has_password_len);
	assert_int_equal(out.ninfo, 0);
}

static void info_lines_are_bounded(void **state)
{
	struct sd_reply r = { .verdict = SD_DENY };
	char big[SD_INFO_LEN * 2];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	for (int i = 0; i < SD_INFO_MAX + 3; i++)
		sd_reply_info(&r, "%s", big);
	assert_int_equal(r.ninfo, SD_INFO_MAX);
	assert_int_equal(strlen(r.info[0]), SD_INFO_LEN);
	struct sd_reply out;
	long n = sd_reply_encode(&r, frame, sizeof(frame));
	assert_true(n > 0);
	assert_int_equal(sd_reply_decode(&out, frame + 4, (size_t)n - 4), 0);
	assert_int_equal(out.ninfo, SD_INFO_MAX);
}

static void encoder_refuses_what_it_cannot_say(void **state)
{
	char long_name[SD_NAME_MAX + 2];
	memset(long_name, 'a', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	struct sd_request r = { .kind = SD_PREAUTH, .user = long_name };
	assert_int_equal(sd_request_encode(&r, frame, sizeof(frame)), -1);
	long_name[SD_NAME_MAX] = '\0';      /* exactly at the limit: fine */
	assert_true(sd_request_encode(&r, frame, sizeof(frame)) > 0);

	struct sd_request bad_kind = { .kind = SD_REPLY };
	assert_int_equal(sd_request_encode(&bad_kind, frame, sizeof(frame)), -1);
	struct sd_request r2 = full_request();
	assert_int_equal(sd_request_encode(&r2, frame, 20), -1);     /* buffer too small */

	/* a frame over SD_FRAME_MAX: 32 words at the limit */
	static char word[SD_WORD_MAX + 1];
	memset(word, 'w', SD_WORD_MAX);
	struct sd_request many = { .kind = SD_PREAUTH, .nwords = SD_WORDS_MAX };
	for (int i = 0; i < SD_WORDS_MAX; i++)
		many.words[i] = word;
	static unsigned char huge[SD_FRAME_MAX * 4];
	assert_int_equal(sd_request_encode(&many, huge, sizeof(huge)), -1);

	struct sd_reply rep = { .verdict = SD_VERDICT_END };
	assert_int_equal(sd_reply_encode(&rep, frame, sizeof(frame)), -1);
}

/* Build a payload by hand: version, kind, then raw bytes. */
static size_t raw(unsigned char *p, unsigned version, unsigned kind, const void *rest, size_t n)
{
	p[0] = (unsigned char)version;
	p[1] = (unsigned char)kind;
	memcpy(p + 2, rest, n);
	return n + 2;
}

static void decoder_refuses_malformations(void **state)
{
	unsigned char p[SD_FRAME_MAX + 16];
	struct sd_request r;
	size_t n;

	/* the good base case, so that each refusal below is about one thing */
	n = raw(p, SD_PROTO_VERSION, SD_PREAUTH, "\x01\x00\x02" "ab", 5);
	assert_int_equal(sd_request_decode(&r, p, n), 0);
	assert_string_equal(r.user, "ab");

	/* empty and bare */
	assert_int_equal(sd_request_decode(&r, p, 0), -1);
	assert_int_equal(sd_request_decode(&r, p, 1), -1);
	/* unknown version, kind */
	n = raw(p, SD_PROTO_VERSION + 1, SD_PREAUTH, "", 0);
	assert_int_equal(sd_request_decode(&r, p, n), -1);
	n = raw(p, SD_PROTO_VERSION, 0, "", 0);
	assert_int_equal(sd_request_decode(&r, p, n), -1);
	n = raw(p, SD_PROTO_VERSION, SD_ACCOUNT + 1, "", 0);
	assert_int_equal(sd_request_decode(&r, p, n), -1);
	n = raw(p, SD_PROTO_VERSION, SD_REPLY, "", 0);   /* a reply is no request */
	assert_int_equal(sd_request_decode(&r, p, n), -1);
	/* unknown tag, a reply tag in a request */
	n = raw(p, SD_PROTO_VERSION, SD_PREAUTH, "\x63\x00\x00", 3);
	assert_int_equal(sd_request_decode(&r, p, n), -1);
	n = raw(p, SD_PROTO_VERSION, SD_PREAUTH, "\x40\x00\x08" "\0\0\0\0\0\0\0\0", 11);
	assert_int_equal(sd_request_decode(&r, p, n), -1);
	n = raw(p, SD_PROTO_VERSION, SD_PREAUTH, "\xff\x00\x00", 3);
	assert_int_equal(sd_request_decode(&r, p, n), -1);
	/* a field running past the end, a cut header (trailing bytes) */
	n = raw(p, SD_PROTO_VERSION, SD_PREAUTH, "\x01\x00\x05" "ab", 5);
	assert_int_equal(sd_request_decode(&r, p, n), -1);
	n = raw(p, SD_PROTO_VERSION, SD_PREAUTH, "\x01\x00\x02" "ab" "\x01", 6);
	assert_int_equal(sd_request_decode(&r, p, n), -1);
	n = raw(p, SD_PROTO_VERSION, SD_PREAUTH, "\x01\x00\x02" "ab" "\x02\x00", 7);
	assert_int_equal(sd_request_decode(&r, p, n), -1);
	/* NUL inside a text */
	n = raw(p, SD_PROTO_VERSION, SD_PREAUTH, "\x01\x00\x03" "a\0b", 6);
	assert_int_equal(sd_request_decode(&r, p, n), -1);
	/* repeated field */
	n = raw(p, SD_PROTO_VERSION, SD_PREAUTH, "\x01\x00\x01" "a" "\x01\x00\x01" "b", 8);
	assert_int_equal(sd_request_decode(&r, p, n), -1);
	/* short and long integers */
	n = raw(p, SD_PROTO_VERSION, SD_PREAUTH, "\x09\x00\x07" "\0\0\0\0\0\0\1", 10);
	assert_int_equal(sd_request_decode(&r, p, n), -1);
	n = raw(p, SD_PROTO_VERSION, SD_PREAUTH, "\x09\x00\x09" "\0\0\0\0\0\0\0\0\1", 12);
	assert_int_equal(sd_request_decode(&r, p, n), -1);
	n = raw(p, SD_PROTO_VERSION, SD_PREAUTH, "\x09\x00\x08" "\0\0\0\0\0\0\0\3", 11);
	assert_int_equal(sd_request_decode(&r, p, n), 0);
	assert_int_equal(r.seq, 3);
	/* flags out of range */
	n = raw(p, SD_PROTO_VERSION, SD_PREAUTH, "\x08\x00\x08" "\0\0\0\1\0\0\0\0", 11);
	assert_int_equal(sd_request_decode(&r, p, n), -1);
	/* a text over its limit */
	unsigned char body[3 + SD_NAME_MAX + 1];
	body[0] = SDT_USER;
	body[1] = (SD_NAME_MAX + 1) >> 8;
	body[2] = (SD_NAME_MAX + 1) & 0xff;
	memset(body + 3, 'a', SD_NAME_MAX + 1);
	n = raw(p, SD_PROTO_VERSION, SD_PREAUTH, body, sizeof(body));
	assert_int_equal(sd_request_decode(&r, p, n), -1);
	body[2] = SD_NAME_MAX & 0xff;
	body[1] = SD_NAME_MAX >> 8;
	n = raw(p, SD_PROTO_VERSION, SD_PREAUTH, body, sizeof(body) - 1);
	assert_int_equal(sd_request_decode(&r, p, n), 0);
	/* too many words */
	unsigned char words[(SD_WORDS_MAX + 1) * 4];
	for (int i = 0; i <= SD_WORDS_MAX; i++)
		memcpy(words + i * 4, "\x07\x00\x01" "w", 4);
	n = raw(p, SD_PROTO_VERSION, SD_PREAUTH, words, SD_WORDS_MAX * 4);
	assert_int_equal(sd_request_decode(&r, p, n), 0);
	assert_int_equal(r.nwords, SD_WORDS_MAX);
	n = raw(p, SD_PROTO_VERSION, SD_PREAUTH, words, sizeof(words));
	assert_int_equal(sd_request_decode(&r, p, n), -1);
	/* a payload over the frame limit, even if well-formed */
	memset(p, 0, sizeof(p));
	assert_int_equal(sd_request_decode(&r, p, SD_FRAME_MAX + 1), -1);
}

static void reply_decoder_refuses_malformations(void **state)
{
	unsigned char p[64];
	struct sd_reply r;
	size_t n;
	static const char verdict0[] = "\x40\x00\x08" "\0\0\0\0\0\0\0\0";

	n = raw(p, SD_PROTO_VERSION, SD_REPLY, verdict0, 11);
	assert_int_equal(sd_reply_decode(&r, p, n), 0);
	/* no verdict */
	n = raw(p, SD_PROTO_VERSION, SD_REPLY, "", 0);
	assert_int_equal(sd_reply_decode(&r, p, n), -1);
	/* not a reply */
	n = raw(p, SD_PROTO_VERSION, SD_PREAUTH, verdict0, 11);
	assert_int_equal(sd_reply_decode(&r, p, n), -1);
	/* unknown verdict */
	n = raw(p, SD_PROTO_VERSION, SD_REPLY, "\x40\x00\x08" "\0\0\0\0\0\0\0\x07", 11);
	assert_int_equal(sd_reply_decode(&r, p, n), -1);
	/* a request tag, repeated verdict, trailing byte, NUL in a line */
	unsigned char b[40];
	memcpy(b, verdict0, 11);
	memcpy(b + 11, "\x01\x00\x00", 3);
	n = raw(p, SD_PROTO_VERSION, SD_REPLY, b, 14);
	assert_int_equal(sd_reply_decode(&r, p, n), -1);
	memcpy(b + 11, verdict0, 11);
	n = raw(p, SD_PROTO_VERSION, SD_REPLY, b, 22);
	assert_int_equal(sd_reply_decode(&r, p, n), -1);
	n = raw(p, SD_PROTO_VERSION, SD_REPLY, b, 12);
	assert_int_equal(sd_reply_decode(&r, p, n), -1);
	memcpy(b + 11, "\x43\x00\x03" "a\0b", 6);
	n = raw(p, SD_PROTO_VERSION, SD_REPLY, b, 17);
	assert_int_equal(sd_reply_decode(&r, p, n), -1);
	/* a password length past what an answer can hold */
	memcpy(b + 11, "\x42\x00\x08" "\0\0\0\0\0\0\x10\x00", 11);
	n = raw(p, SD_PROTO_VERSION, SD_REPLY, b, 22);
	assert_int_equal(sd_reply_decode(&r, p, n), -1);
	/* a refused reply is never read as an allow */
	assert_int_equal(r.verdict, SD_BAD_REQUEST);
}

static void names_are_known(void **state)
{
	assert_string_equal(sd_kind_name(SD_OTP), "otp");
	assert_string_equal(sd_kind_name((enum sd_kind)99), "unknown");
	assert_string_equal(sd_verdict_name(SD_BUSY), "busy");
	assert_string_equal(sd_verdict_name(SD_VERDICT_END), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(request_round_trips),
		cmocka_unit_test(absent_fields_stay_null),
		cmocka_unit_test(reply_round_trips),
		cmocka_unit_test(info_lines_are_bounded),
		cmocka_unit_test(encoder_refuses_what_it_cannot_say),
		cmocka_unit_test(decoder_refuses_malformations),
		cmocka_unit_test(reply_decoder_refuses_malformations),
		cmocka_unit_test(names_are_known),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
