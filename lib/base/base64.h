/* Base64 (RFC 4648 alphabet A-Za-z0-9+/, '=' padding): the SCRV1 answers of
 * OpenVPN's static challenge and LDIF "attr:: value" lines. */
#ifndef SOSAFE_BASE64_H
#define SOSAFE_BASE64_H
#include <stddef.h>

/* By default the input is whole groups of four, '=' only as the last one
 * or two characters. */
enum {
	/* any length, up to two '=' at the end (LDIF as directories write it) */
	BASE64_LOOSE = 1 << 0,
	/* refuse a result with a NUL byte (it is used as a C string) */
	BASE64_TEXT = 1 << 1,
};

/* Decode LEN bytes of IN into a malloc'd buffer with a terminating NUL;
 * *OUTLEN = bytes decoded. NULL if IN is not base64 in the form FLAGS ask
 * for, or out of memory. The buffer may hold a secret: the caller wipes it. */
char *base64_decode(const char *in, size_t len, unsigned flags, size_t *outlen);

#endif
