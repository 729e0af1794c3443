/* Secrets sealed at rest: AES-256-GCM under a key of the keyring, so that
 * a copy of the store (a dump, a backup, a stolen disk) holds no usable
 * secret without the key file. A sealed value is
 *
 *     'S' 0x01 | key id (4) | nonce (12, getrandom) | ciphertext | tag (16)
 *
 * and its associated data binds it to its place: a fixed label, the
 * table, the column and the user name. A value copied to another user or
 * another column, sealed under an unknown key or changed in any byte does
 * not open. The tag is compared in constant time.
 *
 * THREAD SAFETY: no state; the keyring is only read. */
#ifndef SOSAFE_SEAL_H
#define SOSAFE_SEAL_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "store/keyring.h"

#define SEAL_HEAD_LEN 6
#define SEAL_NONCE_LEN 12
#define SEAL_TAG_LEN 16
#define SEAL_OVERHEAD (SEAL_HEAD_LEN + SEAL_NONCE_LEN + SEAL_TAG_LEN)
#define SEAL_MAX_PLAIN 256

/* Where a sealed value lives: it opens only there. */
struct seal_place {
	const char *table;
	const char *column;
	const char *user;
};

enum seal_result {
	SEAL_OK = 0,
	SEAL_NOKEY,     /* the keyring is empty, or lacks the value's key */
	SEAL_BAD,       /* not a sealed value, or altered, or not of this place */
	SEAL_ERROR,     /* bad arguments, no randomness */
};

/* Seal LEN bytes of PLAIN (at most SEAL_MAX_PLAIN) for AT under KR's first
 * key into OUT (room for LEN + SEAL_OVERHEAD); *OUTLEN its length. */
enum seal_result seal_value(const struct keyring *kr, const struct seal_place *at,
			    const uint8_t *plain, size_t len, uint8_t *out, size_t cap,
			    size_t *outlen, struct sosafe_err *e);

/* Open the sealed LEN bytes of IN for AT into OUT (CAP bytes; wipe it
 * after use); *OUTLEN the plaintext's length. OUT is wiped on failure. */
enum seal_result seal_open(const struct keyring *kr, const struct seal_place *at,
			   const uint8_t *in, size_t len, uint8_t *out, size_t cap,
			   size_t *outlen, struct sosafe_err *e);

#endif
