/* The daemon's copy of secret_key_file: read once, read again when the
 * file changes (identity, size or times), like the configuration. */
#ifndef SOSAFED_KEYRING_CACHE_H
#define SOSAFED_KEYRING_CACHE_H

#include "store/keyring.h"

/* The keyring of PATH (a new reference: keyring_unref it), never NULL
 * unless out of memory; an unusable file gives an empty keyring that
 * says why (keyring.h), and is read again at the next call.
 * THREAD SAFETY: callable from every worker. */
struct keyring *keyring_cached(const char *path);

#endif
