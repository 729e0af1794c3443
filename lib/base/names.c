#include "base/names.h"

#include <stdio.h>
#include <string.h>

/* Length of the UTF-8 sequence starting at S, or 0 if it is not well formed
 * (overlongs, surrogates and code points above U+10FFFF are refused). */
static size_t utf8_seq_len(const unsigned char *s)
{
	unsigned c = s[0];
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		return (s[1] & 0xc0) == 0x80 ? 2 : 0;
	if (c >= 0xe0 && c <= 0xef) {
		if ((s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80)
			return 0;
		if (c == 0xe0 && s[1] < 0xa0)
			return 0; /* overlong */
		if (c == 0xed && s[1] >= 0xa0)
			return 0; /* surrogate */
		return 3;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		if ((s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 || (s[3] & 0xc0) != 0x80)
			return 0;
		if (c == 0xf0 && s[1] < 0x90)
			return 0;
		if (c == 0xf4 && s[1] >= 0x90)
			return 0;
		return 4;
	}
	return 0;
}

bool name_is_valid(const char *name)
{
	if (!name || !*name)
		return false;
	size_t len = strnlen(name, SOSAFE_NAME_MAX + 1);
	if (len > SOSAFE_NAME_MAX)
		return false;
	if (!strcmp(name, ".") || !strcmp(name, ".."))
		return false;
	const unsigned char *p = (const unsigned char *)name;
	while (*p) {
		if (*p < 0x20 || *p == 0x7f || *p == '/' || *p == '\\' || *p == ':')
			return false;
		size_t n = utf8_seq_len(p);
		if (n == 0)
			return false;
		p += n;
	}
	return true;
}

void name_for_log(const char *name, char *out, size_t outlen)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;
	if (outlen == 0)
		return;
	if (!name) {
		snprintf(out, outlen, "-");
		return;
	}
	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		char buf[5];
		size_t n;
		if (*p < 0x20 || *p == 0x7f || *p == ' ' || *p == '"' || *p == '\\' || *p == '=') {
			buf[0] = '\\';
			buf[1] = 'x';
			buf[2] = hex[*p >> 4];
			buf[3] = hex[*p & 15];
			n = 4;
		} else {
			buf[0] = (char)*p;
			n = 1;
		}
		if (o + n + 4 > outlen) { /* keep room for "..." and NUL */
			if (outlen >= 4) {
				memcpy(out + (o < outlen - 4 ? o : outlen - 4), "...", 3);
				o = (o < outlen - 4 ? o : outlen - 4) + 3;
			}
			break;
		}
		memcpy(out + o, buf, n);
		o += n;
	}
	out[o < outlen ? o : outlen - 1] = '\0';
}
