/* Recovery codes: 16 base32 characters shown as XXXX-XXXX-XXXX-XXXX.
 * The first group is a public id that names the stored hash to check (so a
 * typed code costs one hash, not N); the other 12 characters are 60 random
 * bits. Only a yescrypt hash of the whole code is stored. */
#ifndef SOSAFE_RECOVERY_H
#define SOSAFE_RECOVERY_H
#include <stdbool.h>
#include <stddef.h>

#include "otp/otp_answer.h"

#define RECOVERY_HASH_MAX 256
#define RECOVERY_DEFAULT_COUNT 10
#define RECOVERY_MAX_COUNT 100

struct recovery_code {
	char shown[RECOVERY_SHOWN_LEN + 1];   /* XXXX-XXXX-XXXX-XXXX, printed once */
	char id[RECOVERY_ID_LEN + 1];
	char hash[RECOVERY_HASH_MAX];
};

/* A new code from getrandom() and its yescrypt hash. Returns 0 or -1. */
int recovery_generate(struct recovery_code *c);

/* CODE is a normalized answer (16 characters, see otp_answer.h). Copies its
 * id into ID. */
void recovery_id_of(const char *code, char id[RECOVERY_ID_LEN + 1]);

/* True if CODE hashes to HASH (constant-time comparison). With HASH NULL
 * the same work is done against a dummy and false is returned, so that a
 * missing code takes as long as a wrong one. */
bool recovery_check(const char *code, const char *hash);

#endif
