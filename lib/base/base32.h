/* Base32 (RFC 4648, upper-case alphabet A-Z2-7), the encoding of TOTP
 * secrets in otpauth:// URIs and in ~/.google_authenticator. */
#ifndef SOSAFE_BASE32_H
#define SOSAFE_BASE32_H
#include <stddef.h>
#include <stdint.h>

/* Encoded length (without padding) of N bytes, plus the NUL. */
#define BASE32_ENCODED_SIZE(n) (((n) * 8 + 4) / 5 + 1)

/* The digit for the low five bits of V. */
char base32_digit(unsigned v);

/* Encode LEN bytes of IN into OUT (size OUTLEN >= BASE32_ENCODED_SIZE(LEN)),
 * upper case, no '=' padding. Returns the length written or -1. */
int base32_encode(const uint8_t *in, size_t len, char *out, size_t outlen);

/* Decode IN (case-insensitive; spaces and trailing '=' padding ignored) into
 * OUT (size OUTLEN). Returns the number of bytes, or -1 if IN has a
 * character outside the alphabet, non-zero trailing bits, padding in the
 * middle, or does not fit. */
int base32_decode(const char *in, uint8_t *out, size_t outlen);

#endif
