/* TOTP validation. liboath computes each code (oath_totp_generate2); we do
 * the window walk ourselves rather than oath_totp_validate4_callback, for
 * two reasons: liboath stops at the first match, and with a replay guard
 * we want the greatest matching step above the last accepted one; and the
 * comparison must take the same time whether and where a step matches. */
#include <config.h>
#include "otp/totp.h"

#include <liboath/oath.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/base32.h"
#include "base/util.h"

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int init_rc = -1;

static void do_init(void)
{
	init_rc = oath_init() == OATH_OK ? 0 : -1;
}

int totp_init(void)
{
	pthread_once(&init_once, do_init);
	return init_rc;
}

static const char *const alg_names[] = { "SHA1", "SHA256", "SHA512" };

const char *totp_algorithm_name(enum totp_algorithm a)
{
	return (unsigned)a < ARRAY_SIZE(alg_names) ? alg_names[a] : "?";
}

int totp_algorithm_parse(const char *name, enum totp_algorithm *out)
{
	for (unsigned i = 0; i < ARRAY_SIZE(alg_names); i++)
		if (!strcasecmp(name, alg_names[i])) {
			*out = (enum totp_algorithm)i;
			return 0;
		}
	return -1;
}

bool totp_params_valid(const struct totp_params *p)
{
	return (unsigned)p->algorithm <= TOTP_SHA512 && (p->digits == 6 || p->digits == 8) &&
	       (p->period == 30 || p->period == 60);
}

int64_t totp_step_of(const struct totp_params *p, int64_t now)
{
	if (now < 0)
		return -1;
	return now / (int64_t)p->period;
}

static int oath_flags(enum totp_algorithm a)
{
	return a == TOTP_SHA256 ? OATH_TOTP_HMAC_SHA256 : a == TOTP_SHA512 ? OATH_TOTP_HMAC_SHA512 : 0;
}

int totp_code_at_step(const struct totp_params *p, const uint8_t *secret, size_t len,
		      int64_t step, char *out)
{
	if (!totp_params_valid(p) || len < 1 || len > TOTP_SECRET_MAX || step < 0 ||
	    step > INT64_MAX / (int64_t)p->period || totp_init())
		return -1;
	/* time = step * period gives counter = step exactly */
	int rc = oath_totp_generate2((const char *)secret, len, (time_t)(step * p->period),
				     p->period, 0, p->digits, oath_flags(p->algorithm), out);
	return rc == OATH_OK ? 0 : -1;
}

enum totp_result totp_verify(const struct totp_params *p, const uint8_t *secret, size_t len,
			     int64_t now, unsigned window, const char *code, int64_t last_step,
			     int64_t *step)
{
	*step = -1;
	if (!totp_params_valid(p) || window > TOTP_WINDOW_MAX || !code)
		return TOTP_ERROR;
	/* The enrolled digit count decides; liboath would take it from the answer. */
	if (strnlen(code, TOTP_MAX_DIGITS + 1) != p->digits)
		return TOTP_BADLEN;
	int64_t cur = totp_step_of(p, now);
	if (cur < 0)
		return TOTP_ERROR;
	int64_t best = -1;
	bool any = false, failed = false;
	char want[TOTP_MAX_DIGITS + 1];
	for (int64_t s = cur - (int64_t)window; s <= cur + (int64_t)window; s++) {
		if (s < 0)
			continue;
		if (totp_code_at_step(p, secret, len, s, want)) {
			failed = true;
			continue;
		}
		/* branch-free bookkeeping: the same work whatever matched */
		int64_t m = ct_memeq(want, code, p->digits);
		int64_t fresh = m & (s > last_step);
		any |= m;
		int64_t mask = -(fresh & (s > best));
		best = (best & ~mask) | (s & mask);
	}
	explicit_bzero(want, sizeof(want));
	if (failed)
		return TOTP_ERROR;
	if (best >= 0) {
		*step = best;
		return TOTP_OK;
	}
	return any ? TOTP_REPLAY : TOTP_MISMATCH;
}

/* Append S percent-encoded for a URI component at *POS in BUF. */
static void uri_escape(char *buf, size_t size, size_t *pos, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	for (const unsigned char *c = (const unsigned char *)s; *c && *pos + 4 < size; c++) {
		if ((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') ||
		    *c == '-' || *c == '.' || *c == '_' || *c == '~' || *c == '@') {
			buf[(*pos)++] = (char)*c;
		} else {
			buf[(*pos)++] = '%';
			buf[(*pos)++] = hex[*c >> 4];
			buf[(*pos)++] = hex[*c & 15];
		}
	}
	buf[*pos] = '\0';
}

static void append(char *buf, size_t size, size_t *pos, const char *s)
{
	size_t n = strlen(s);
	if (*pos + n >= size)
		n = size - *pos - 1;
	memcpy(buf + *pos, s, n);
	*pos += n;
	buf[*pos] = '\0';
}

char *totp_uri(const struct totp_params *p, const uint8_t *secret, size_t len, const char *issuer,
	       const char *account)
{
	char b32[BASE32_ENCODED_SIZE(TOTP_SECRET_MAX)];
	char tail[96];
	/* sized for the worst case, so nothing is reallocated (and copied) */
	size_t size = 64 + sizeof(b32) + 3 * 2 * 128 + 3 * 256 + sizeof(tail), pos = 0;
	if (!totp_params_valid(p) || len > TOTP_SECRET_MAX || !account ||
	    strlen(account) > 256 || (issuer && strlen(issuer) > 128))
		return NULL;
	char *buf = malloc(size);
	if (!buf)
		return NULL;
	if (base32_encode(secret, len, b32, sizeof(b32)) < 0) {
		free(buf);
		return NULL;
	}
	buf[0] = '\0';
	append(buf, size, &pos, "otpauth://totp/");
	if (issuer && *issuer) {
		uri_escape(buf, size, &pos, issuer);
		append(buf, size, &pos, ":");
	}
	uri_escape(buf, size, &pos, account);
	append(buf, size, &pos, "?secret=");
	append(buf, size, &pos, b32);
	explicit_bzero(b32, sizeof(b32));
	if (issuer && *issuer) {
		append(buf, size, &pos, "&issuer=");
		uri_escape(buf, size, &pos, issuer);
	}
	snprintf(tail, sizeof(tail), "&algorithm=%s&digits=%u&period=%u",
		 totp_algorithm_name(p->algorithm), p->digits, p->period);
	append(buf, size, &pos, tail);
	return buf;
}
