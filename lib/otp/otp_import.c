#include <config.h>
#include "otp/otp_import.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/base32.h"
#include "base/util.h"

static void report(struct import_entry *e, import_fn fn, void *ctx)
{
	fn(e, ctx);
	explicit_bzero(e, sizeof(*e));
}

static void refuse(struct import_entry *e, const char *why)
{
	e->ok = false;
	otp_record_wipe(&e->rec);
	snprintf(e->reason, sizeof(e->reason), "%s", why);
}

/* Split LINE (modified in place) into at most MAX whitespace-separated fields. */
static unsigned split_fields(char *line, char **f, unsigned max)
{
	unsigned n = 0;
	char *save = NULL;
	for (char *t = strtok_r(line, " \t\r", &save); t; t = strtok_r(NULL, " \t\r", &save)) {
		if (n == max)
			return max + 1;
		f[n++] = t;
	}
	return n;
}

static int parse_uint(const char *s, unsigned *out)
{
	char *end = NULL;
	if (!*s || !isdigit((unsigned char)*s))
		return -1;
	unsigned long v = strtoul(s, &end, 10);
	if (*end || v > 100000)
		return -1;
	*out = (unsigned)v;
	return 0;
}

/* "HOTP/T30/6" style token types of pam_oath. Returns NULL or why not. */
static const char *parse_oath_type(const char *type, struct totp_params *p)
{
	p->algorithm = TOTP_SHA1;
	p->digits = 6;
	p->period = 30;
	if (strncmp(type, "HOTP", 4))
		return "unknown token type";
	const char *t = type + 4;
	if (*t == '\0' || !strncmp(t, "/E", 2))
		return "event-based HOTP is not supported (only TOTP)";
	if (strncmp(t, "/T", 2))
		return "unknown token type";
	t += 2;
	char buf[16];
	size_t n = strcspn(t, "/");
	if (n >= sizeof(buf))
		return "bad time step";
	memcpy(buf, t, n);
	buf[n] = '\0';
	if (n && parse_uint(buf, &p->period))
		return "bad time step";
	t += n;
	if (*t == '/') {
		t++;
		if (parse_uint(t, &p->digits))
			return "bad digit count";
	} else if (*t) {
		return "unknown token type";
	}
	if (p->period != 30 && p->period != 60)
		return "time step not supported (only 30 or 60 seconds)";
	if (p->digits != 6 && p->digits != 8)
		return "digit count not supported (only 6 or 8)";
	return NULL;
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static int parse_hex(const char *s, uint8_t *out, size_t outlen)
{
	size_t n = strlen(s);
	if (n % 2 || n / 2 > outlen)
		return -1;
	for (size_t i = 0; i < n / 2; i++) {
		int hi = hex_value(s[2 * i]), lo = hex_value(s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return (int)(n / 2);
}

/* Returns 1 if an entry was reported, 0 for a blank or comment line. */
static unsigned parse_oath_line(char *line, unsigned lineno, import_fn fn, void *ctx)
{
	struct import_entry e;
	memset(&e, 0, sizeof(e));
	e.line = lineno;
	char *f[7];
	unsigned n = split_fields(line, f, 6);
	if (n == 0 || f[0][0] == '#')
		return 0;
	if (n > 1 && strlen(f[1]) <= SOSAFE_NAME_MAX)
		snprintf(e.user, sizeof(e.user), "%s", f[1]);
	const char *why;
	if (n < 4 || n > 6) {
		refuse(&e, "malformed line (expected: TYPE USER PIN SECRET [OTP [TIME]])");
	} else if (!name_is_valid(f[1])) {
		e.user[0] = '\0';
		refuse(&e, "invalid user name");
	} else if ((why = parse_oath_type(f[0], &e.rec.params))) {
		refuse(&e, why);
	} else if (strcmp(f[2], "-")) {
		refuse(&e, "has a PIN (not imported: sosafe combines the code with the system password)");
	} else {
		int len = parse_hex(f[3], e.rec.secret, sizeof(e.rec.secret));
		if (len < 0)
			refuse(&e, "secret is not hexadecimal or too long");
		else if (len < TOTP_SECRET_MIN)
			refuse(&e, "secret shorter than 80 bits");
		else {
			e.ok = true;
			e.rec.secret_len = (size_t)len;
			e.rec.last_step = -1;
			e.rec.enrolled_at = time(NULL);
			if (len < TOTP_SECRET_NEW)
				snprintf(e.reason, sizeof(e.reason),
					 "secret below 160 bits: re-enroll soon");
			/* The time of the last used code keeps replays out across the move. */
			if (n == 6) {
				struct tm tm;
				memset(&tm, 0, sizeof(tm));
				const char *end = strptime(f[5], "%Y-%m-%dT%H:%M:%S", &tm);
				if (end && (*end == 'L' || *end == '\0')) {
					tm.tm_isdst = -1;
					time_t t = mktime(&tm);
					if (t > 0)
						e.rec.last_step = totp_step_of(&e.rec.params, t);
				}
			}
		}
	}
	report(&e, fn, ctx);   /* the caller wipes LINE, which held the secret */
	return 1;
}

unsigned import_oath_usersfile(const char *text, size_t len, import_fn fn, void *ctx)
{
	unsigned count = 0, lineno = 0;
	size_t pos = 0;
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t l = nl ? (size_t)(nl - (text + pos)) : len - pos;
		lineno++;
		struct import_entry e;
		memset(&e, 0, sizeof(e));
		e.line = lineno;
		if (l > 4096 || memchr(text + pos, '\0', l)) {
			refuse(&e, "line too long or has a NUL byte");
			report(&e, fn, ctx);
			count++;
		} else {
			char *line = strndup(text + pos, l);
			if (!line)
				break;
			count += parse_oath_line(line, lineno, fn, ctx);
			explicit_bzero(line, l);
			free(line);
		}
		pos += l + (nl ? 1 : 0);
	}
	return count;
}

unsigned import_google_authenticator(const char *text, size_t len, const char *user,
				     import_fn fn, void *ctx)
{
	struct import_entry e;
	memset(&e, 0, sizeof(e));
	e.line = 1;
	if (user && strlen(user) <= SOSAFE_NAME_MAX)
		snprintf(e.user, sizeof(e.user), "%s", user);
	if (!user || !name_is_valid(user)) {
		refuse(&e, "invalid user name");
		report(&e, fn, ctx);
		return 1;
	}
	if (len == 0 || len > 65536 || memchr(text, '\0', len)) {
		refuse(&e, "not a google-authenticator file (empty, too big or binary)");
		report(&e, fn, ctx);
		return 1;
	}
	e.rec.params = (struct totp_params){ TOTP_SHA1, 6, 30 };
	e.rec.last_step = -1;
	e.rec.enrolled_at = time(NULL);
	bool totp = false, hotp = false, bad = false;
	unsigned scratch = 0, lineno = 0;
	const char *why = NULL;
	size_t pos = 0;
	while (pos < len && !bad) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t l = nl ? (size_t)(nl - (text + pos)) : len - pos;
		char line[512];
		lineno++;
		if (l >= sizeof(line)) {
			why = "line too long";
			bad = true;
			break;
		}
		memcpy(line, text + pos, l);
		line[l] = '\0';
		pos += l + (nl ? 1 : 0);
		/* cppcheck-suppress knownConditionTrueFalse ; l is 0 for an empty line (cppcheck 2.10 misses it) */
		if (l && line[l - 1] == '\r')
			line[--l] = '\0';
		if (lineno == 1) {
			int n = base32_decode(line, e.rec.secret, sizeof(e.rec.secret));
			if (n < 0) {
				why = "first line is not a base32 secret";
				bad = true;
			} else if (n < TOTP_SECRET_MIN) {
				why = "secret shorter than 80 bits";
				bad = true;
			} else {
				e.rec.secret_len = (size_t)n;
			}
		} else if (line[0] == '"') {
			char opt[32] = "", num[16] = "";
			unsigned a = 0;
			/* the number as text, then checked: %u would wrap 4294967326 to 30 */
			int got = sscanf(line + 1, " %31s %15s", opt, num);
			if (got == 2 && parse_uint(num, &a))
				got = 1;
			if (got >= 1 && !strcmp(opt, "TOTP_AUTH"))
				totp = true;
			else if (got >= 1 && !strcmp(opt, "HOTP_COUNTER"))
				hotp = true;
			else if (got == 2 && !strcmp(opt, "STEP_SIZE")) {
				if (a != 30 && a != 60) {
					why = "STEP_SIZE not supported (only 30 or 60 seconds)";
					bad = true;
				}
				e.rec.params.period = a;
			} else if (got >= 1 && (!strcmp(opt, "RATE_LIMIT") || !strcmp(opt, "WINDOW_SIZE") ||
						 !strcmp(opt, "DISALLOW_REUSE"))) {
				/* replaced by sosafe's lockout, window= and replay guard */
			} else {
				why = "unknown option line";
				bad = true;
			}
		} else if (l == 8 && strspn(line, "0123456789") == 8) {
			scratch++;
		} else if (l == 0 && pos >= len) {
			/* trailing empty line */
		} else {
			why = "malformed line";
			bad = true;
		}
		explicit_bzero(line, sizeof(line));
	}
	if (!bad && hotp)
		why = "event-based HOTP (HOTP_COUNTER) is not supported (only TOTP)", bad = true;
	if (!bad && !totp)
		why = "no TOTP_AUTH line: not a TOTP secret", bad = true;
	if (bad) {
		char buf[96];
		snprintf(buf, sizeof(buf), "line %u: %s", lineno, why);
		refuse(&e, buf);
	} else {
		e.ok = true;
		if (scratch)
			snprintf(e.reason, sizeof(e.reason),
				 "%u scratch code(s) not imported (8 digits is below 50 bits): "
				 "issue recovery codes", scratch);
		else if (e.rec.secret_len < TOTP_SECRET_NEW)
			snprintf(e.reason, sizeof(e.reason), "secret below 160 bits: re-enroll soon");
	}
	report(&e, fn, ctx);
	return 1;
}
