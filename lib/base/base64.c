#include <config.h>
#include "base/base64.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static int value_of(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

char *base64_decode(const char *in, size_t len, unsigned flags, size_t *outlen)
{
	bool loose = flags & BASE64_LOOSE;
	*outlen = 0;
	if (!loose && len % 4)
		return NULL;
	/* four characters give at most three bytes, a partial group two */
	size_t size = len / 4 * 3 + 3;
	char *out = malloc(size);
	if (!out)
		return NULL;
	size_t o = 0;
	unsigned acc = 0, bits = 0, pad = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];
		if (c == '=') {
			if (!loose && i + 2 < len)
				goto bad;
			pad++;
			continue;
		}
		int v = value_of(c);
		if (v < 0 || pad)
			goto bad;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (char)(acc >> bits);
			acc &= (1U << bits) - 1;
		}
	}
	if (pad > 2 || ((flags & BASE64_TEXT) && memchr(out, 0, o)))
		goto bad;
	out[o] = '\0';
	*outlen = o;
	return out;
bad:
	explicit_bzero(out, size);
	free(out);
	return NULL;
}
