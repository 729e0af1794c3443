/* The keyring's insides, shared by keyring.c (memory) and keyring_file.c
 * (the file): nothing outside those two includes this header. */
#ifndef SOSAFE_KEYRING_INT_H
#define SOSAFE_KEYRING_INT_H

#include <limits.h>
#include <stdatomic.h>

#include "store/keyring.h"

struct keyring {
	atomic_int refs;
	unsigned n;
	struct keyring_key k[KEYRING_MAX_KEYS];
	char path[PATH_MAX];
	char err[SOSAFE_ERR_MAX];   /* why n is 0 */
};

/* An empty keyring with one reference; NULL when out of memory. */
struct keyring *keyring_alloc(void);
/* Append KEY (a duplicate or a ninth key is refused); 0 or -1 with E. */
int keyring_add(struct keyring *kr, const uint8_t key[KEYRING_KEY_LEN], struct sosafe_err *e);
/* KR in the file format into BUF; the length, or -1 if LEN is too small. */
int keyring_format(const struct keyring *kr, char *buf, size_t len);

#endif
