#include <config.h>
#include "base/base32.h"

#include <stdbool.h>
#include <string.h>

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

char base32_digit(unsigned v)
{
	return alphabet[v & 31];
}

int base32_encode(const uint8_t *in, size_t len, char *out, size_t outlen)
{
	if (len > (SIZE_MAX - 5) / 8 || outlen < BASE32_ENCODED_SIZE(len))
		return -1;
	size_t o = 0;
	unsigned buf = 0, bits = 0;
	for (size_t i = 0; i < len; i++) {
		buf = (buf << 8) | in[i];
		bits += 8;
		while (bits >= 5) {
			out[o++] = base32_digit(buf >> (bits - 5));
			bits -= 5;
		}
		buf &= (1U << bits) - 1;
	}
	if (bits)
		out[o++] = base32_digit(buf << (5 - bits));
	out[o] = '\0';
	return (int)o;
}

static int value_of(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a';
	if (c >= '2' && c <= '7')
		return c - '2' + 26;
	return -1;
}

int base32_decode(const char *in, uint8_t *out, size_t outlen)
{
	size_t o = 0;
	unsigned buf = 0, bits = 0;
	bool padding = false;
	for (const char *p = in; *p; p++) {
		if (*p == ' ' || *p == '\t' || *p == '-')
			continue;
		if (*p == '=') {
			padding = true;
			continue;
		}
		int v = value_of(*p);
		if (v < 0 || padding)
			return -1;
		buf = (buf << 5) | (unsigned)v;
		bits += 5;
		if (bits >= 8) {
			if (o >= outlen)
				return -1;
			out[o++] = (uint8_t)(buf >> (bits - 8));
			bits -= 8;
			buf &= (1U << bits) - 1;
		}
	}
	/* leftover bits must be zero, and there can be at most 4 of them */
	if (bits >= 5 || buf != 0)
		return -1;
	return (int)o;
}
