/* The sosafed wire codec (see proto.h): strict in both directions, so that
 * neither side ever acts on a message it did not fully understand. */
#include <config.h>
#include "proto/proto.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define INT_LEN 8

/* ---- encoding ---- */

struct writer {
	unsigned char *buf;
	size_t len, pos;
	bool bad;
};

static void put_bytes(struct writer *w, const void *p, size_t n)
{
	if (w->bad || n > w->len - w->pos) {
		w->bad = true;
		return;
	}
	memcpy(w->buf + w->pos, p, n);
	w->pos += n;
}

static void put_u8(struct writer *w, unsigned v)
{
	unsigned char b = (unsigned char)v;
	put_bytes(w, &b, 1);
}

static void put_field_head(struct writer *w, enum sd_tag tag, size_t n)
{
	unsigned char h[3] = { (unsigned char)tag, (unsigned char)(n >> 8), (unsigned char)n };
	put_bytes(w, h, sizeof(h));
}

/* An absent (NULL) text is not written; a present one must fit MAX. */
static void put_text(struct writer *w, enum sd_tag tag, const char *s, size_t max)
{
	if (!s)
		return;
	size_t n = strnlen(s, max + 1);
	if (n > max) {
		w->bad = true;
		return;
	}
	put_field_head(w, tag, n);
	put_bytes(w, s, n);
}

static void put_int(struct writer *w, enum sd_tag tag, int64_t v)
{
	unsigned char b[INT_LEN];
	uint64_t u = (uint64_t)v;
	for (int i = INT_LEN - 1; i >= 0; i--) {
		b[i] = (unsigned char)(u & 0xff);
		u >>= 8;
	}
	put_field_head(w, tag, INT_LEN);
	put_bytes(w, b, INT_LEN);
}

static void writer_begin(struct writer *w, unsigned char *buf, size_t len, enum sd_kind kind)
{
	*w = (struct writer){ .buf = buf, .len = len };
	put_bytes(w, "\0\0\0\0", 4);     /* length prefix, filled in at the end */
	put_u8(w, SD_PROTO_VERSION);
	put_u8(w, kind);
}

static long writer_end(struct writer *w)
{
	size_t payload = w->pos - 4;
	if (w->bad || payload > SD_FRAME_MAX) {
		explicit_bzero(w->buf, w->pos <= w->len ? w->pos : w->len);
		return -1;
	}
	w->buf[0] = (unsigned char)(payload >> 24);
	w->buf[1] = (unsigned char)(payload >> 16);
	w->buf[2] = (unsigned char)(payload >> 8);
	w->buf[3] = (unsigned char)payload;
	return (long)w->pos;
}

static bool kind_is_request(unsigned k)
{
	return k >= SD_PING && k <= SD_ACCOUNT;
}

long sd_request_encode(const struct sd_request *req, unsigned char *buf, size_t len)
{
	struct writer w;
	if (!kind_is_request(req->kind) || req->nwords > SD_WORDS_MAX)
		return -1;
	writer_begin(&w, buf, len, req->kind);
	put_text(&w, SDT_USER, req->user, SD_NAME_MAX);
	put_text(&w, SDT_SERVICE, req->service, SD_NAME_MAX);
	put_text(&w, SDT_RHOST, req->rhost, SD_NAME_MAX);
	put_text(&w, SDT_TTY, req->tty, SD_NAME_MAX);
	put_text(&w, SDT_RUSER, req->ruser, SD_NAME_MAX);
	put_text(&w, SDT_CONF, req->conf, SD_PATH_MAX);
	for (unsigned i = 0; i < req->nwords; i++) {
		if (!req->words[i])
			return -1;
		put_text(&w, SDT_WORD, req->words[i], SD_WORD_MAX);
	}
	if (req->flags)
		put_int(&w, SDT_FLAGS, req->flags);
	if (req->seq)
		put_int(&w, SDT_SEQ, req->seq);
	put_text(&w, SDT_ANSWER, req->answer, SD_SECRET_MAX);
	put_text(&w, SDT_PASSWORD, req->password, SD_SECRET_MAX);
	return writer_end(&w);
}

long sd_reply_encode(const struct sd_reply *rep, unsigned char *buf, size_t len)
{
	struct writer w;
	if ((unsigned)rep->verdict >= SD_VERDICT_END || (unsigned)rep->seq_action > SD_SEQ_FORGET ||
	    rep->ninfo > SD_INFO_MAX)
		return -1;
	writer_begin(&w, buf, len, SD_REPLY);
	put_int(&w, SDT_VERDICT, rep->verdict);
	if (rep->seq_action != SD_SEQ_KEEP)
		put_int(&w, SDT_SEQ_ACTION, rep->seq_action);
	if (rep->seq)
		put_int(&w, SDT_SEQ, rep->seq);
	if (rep->has_password_len)
		put_int(&w, SDT_PASSWORD_LEN, rep->password_len);
	for (unsigned i = 0; i < rep->ninfo; i++)
		put_text(&w, SDT_INFO, rep->info[i], SD_INFO_LEN);
	if (rep->has_authtok)
		put_text(&w, SDT_AUTHTOK, rep->authtok, SD_SECRET_MAX);
	return writer_end(&w);
}

/* ---- decoding ---- */

struct field {
	unsigned tag;
	const unsigned char *v;
	size_t n;
};

/* Walk the fields after version and kind; calls ONE for each. Returns 0 or
 * -1 (a truncated header or value, or ONE refusing). */
typedef int (*field_fn)(void *ctx, const struct field *f);

static int walk(const unsigned char *p, size_t len, enum sd_kind *kind, field_fn one, void *ctx)
{
	if (len < 2 || len > SD_FRAME_MAX || p[0] != SD_PROTO_VERSION)
		return -1;
	*kind = p[1];
	size_t pos = 2;
	while (pos < len) {
		if (len - pos < 3)
			return -1;
		struct field f = { .tag = p[pos], .n = (size_t)p[pos + 1] << 8 | p[pos + 2] };
		pos += 3;
		if (f.n > len - pos)
			return -1;
		f.v = p + pos;
		pos += f.n;
		if (one(ctx, &f) < 0)
			return -1;
	}
	return 0;
}

static int get_int(const struct field *f, int64_t *out)
{
	if (f->n != INT_LEN)
		return -1;
	uint64_t u = 0;
	for (size_t i = 0; i < INT_LEN; i++)
		u = u << 8 | f->v[i];
	*out = (int64_t)u;
	return 0;
}

/* Each tag's bit in a "seen" mask; tags are below 128 so two words do. */
static bool seen_once(uint64_t seen[2], unsigned tag)
{
	uint64_t bit = (uint64_t)1 << (tag & 63);
	uint64_t *w = &seen[(tag >> 6) & 1];
	if (*w & bit)
		return false;
	*w |= bit;
	return true;
}

struct req_ctx {
	struct sd_request *req;
	size_t used;              /* arena bytes taken */
	uint64_t seen[2];
	int64_t flags;
};

/* Copy a text value into the arena, NUL-terminated; NULs and over-long
 * values are refused. */
static int arena_text(struct req_ctx *c, const struct field *f, size_t max, const char **out)
{
	if (f->n > max || memchr(f->v, '\0', f->n))
		return -1;
	char *a = c->req->arena;
	if (f->n + 1 > sizeof(c->req->arena) - c->used)
		return -1;
	memcpy(a + c->used, f->v, f->n);
	a[c->used + f->n] = '\0';
	*out = a + c->used;
	c->used += f->n + 1;
	return 0;
}

static int req_field(void *ctx, const struct field *f)
{
	struct req_ctx *c = ctx;
	struct sd_request *r = c->req;

	if (f->tag == SDT_WORD) {
		if (r->nwords >= SD_WORDS_MAX)
			return -1;
		return arena_text(c, f, SD_WORD_MAX, &r->words[r->nwords++]);
	}
	if (f->tag >= 128 || !seen_once(c->seen, f->tag))
		return -1;
	switch (f->tag) {
	case SDT_USER: return arena_text(c, f, SD_NAME_MAX, &r->user);
	case SDT_SERVICE: return arena_text(c, f, SD_NAME_MAX, &r->service);
	case SDT_RHOST: return arena_text(c, f, SD_NAME_MAX, &r->rhost);
	case SDT_TTY: return arena_text(c, f, SD_NAME_MAX, &r->tty);
	case SDT_RUSER: return arena_text(c, f, SD_NAME_MAX, &r->ruser);
	case SDT_CONF: return arena_text(c, f, SD_PATH_MAX, &r->conf);
	case SDT_ANSWER: return arena_text(c, f, SD_SECRET_MAX, &r->answer);
	case SDT_PASSWORD: return arena_text(c, f, SD_SECRET_MAX, &r->password);
	case SDT_SEQ: return get_int(f, &r->seq);
	case SDT_FLAGS:
		if (get_int(f, &c->flags) < 0 || c->flags < 0 || c->flags > UINT32_MAX)
			return -1;
		r->flags = (uint32_t)c->flags;
		return 0;
	default:
		return -1;
	}
}

int sd_request_decode(struct sd_request *req, const unsigned char *p, size_t len)
{
	memset(req, 0, offsetof(struct sd_request, arena));
	struct req_ctx c = { .req = req };
	enum sd_kind kind;
	if (walk(p, len, &kind, req_field, &c) < 0 || !kind_is_request(kind)) {
		sd_request_wipe(req);
		return -1;
	}
	req->kind = kind;
	return 0;
}

struct rep_ctx {
	struct sd_reply *rep;
	uint64_t seen[2];
};

static int rep_field(void *ctx, const struct field *f)
{
	struct rep_ctx *c = ctx;
	struct sd_reply *r = c->rep;
	int64_t v;

	if (f->tag == SDT_INFO) {
		if (r->ninfo >= SD_INFO_MAX || f->n > SD_INFO_LEN || memchr(f->v, '\0', f->n))
			return -1;
		memcpy(r->info[r->ninfo], f->v, f->n);
		r->info[r->ninfo++][f->n] = '\0';
		return 0;
	}
	if (f->tag >= 128 || !seen_once(c->seen, f->tag))
		return -1;
	switch (f->tag) {
	case SDT_VERDICT:
		if (get_int(f, &v) < 0 || v < 0 || v >= SD_VERDICT_END)
			return -1;
		r->verdict = (enum sd_verdict)v;
		return 0;
	case SDT_SEQ_ACTION:
		if (get_int(f, &v) < 0 || v < 0 || v > SD_SEQ_FORGET)
			return -1;
		r->seq_action = (enum sd_seq_action)v;
		return 0;
	case SDT_SEQ:
		return get_int(f, &r->seq);
	case SDT_AUTHTOK:
		if (f->n > SD_SECRET_MAX || memchr(f->v, '\0', f->n))
			return -1;
		memcpy(r->authtok, f->v, f->n);
		r->authtok[f->n] = '\0';
		r->has_authtok = true;
		return 0;
	case SDT_PASSWORD_LEN:
		if (get_int(f, &v) < 0 || v < 0 || v > SD_SECRET_MAX)
			return -1;
		r->has_password_len = true;
		r->password_len = (uint32_t)v;
		return 0;
	default:
		return -1;
	}
}

int sd_reply_decode(struct sd_reply *rep, const unsigned char *p, size_t len)
{
	memset(rep, 0, sizeof(*rep));
	struct rep_ctx c = { .rep = rep };
	enum sd_kind kind;
	/* a reply without a verdict decides nothing: refuse it (seen_once()
	 * succeeding here means the verdict never came) */
	if (walk(p, len, &kind, rep_field, &c) < 0 || kind != SD_REPLY ||
	    seen_once(c.seen, SDT_VERDICT)) {
		sd_reply_wipe(rep);
		rep->verdict = SD_BAD_REQUEST;
		return -1;
	}
	return 0;
}

void sd_reply_info(struct sd_reply *rep, const char *fmt, ...)
{
	if (rep->ninfo >= SD_INFO_MAX)
		return;
	va_list ap;
	va_start(ap, fmt);
	/* truncation at SD_INFO_LEN is the documented behaviour */
	(void)vsnprintf(rep->info[rep->ninfo], sizeof(rep->info[0]), fmt, ap);
	va_end(ap);
	rep->ninfo++;
}

void sd_request_wipe(struct sd_request *req)
{
	explicit_bzero(req->arena, sizeof(req->arena));
	req->answer = req->password = NULL;
}

void sd_reply_wipe(struct sd_reply *rep)
{
	explicit_bzero(rep, sizeof(*rep));
	rep->verdict = SD_BAD_REQUEST;
}

const char *sd_kind_name(enum sd_kind k)
{
	switch (k) {
	case SD_PING: return "ping";
	case SD_PREAUTH: return "preauth";
	case SD_AUTHSUCC: return "authsucc";
	case SD_OTP: return "otp";
	case SD_ACCOUNT: return "account";
	case SD_REPLY: return "reply";
	}
	return "unknown";
}

const char *sd_verdict_name(enum sd_verdict v)
{
	switch (v) {
	case SD_ALLOW: return "allow";
	case SD_DENY: return "deny";
	case SD_DENY_AS_FAILURE: return "deny-as-failure";
	case SD_EXPIRED: return "expired";
	case SD_UNAVAILABLE: return "unavailable";
	case SD_BUSY: return "busy";
	case SD_BAD_REQUEST: return "bad-request";
	case SD_VERDICT_END: break;
	}
	return "unknown";
}
