/* The keys that seal secrets in the state store (seal.h), read from the
 * file secret_key_file names. One key per line:
 *
 *     key ID BASE64
 *
 * ID is the key's id (8 hex digits derived from the key, so a mistyped key
 * is caught when the file is read), BASE64 its 32 bytes. The first key
 * seals; the others only open rows sealed before a rekey. '#' lines and
 * blank lines are ignored. The file must be a regular file (no symlink)
 * owned by root, mode 0600, in a directory only root may write.
 *
 * A keyring that could not be loaded still exists: it holds no key and
 * the reason, which the store reports when a secret is read or written
 * (commands that touch no secret keep working without the file).
 *
 * THREAD SAFETY: a keyring never changes after it is made, except for its
 * reference count, which is atomic: threads may share one. */
#ifndef SOSAFE_KEYRING_H
#define SOSAFE_KEYRING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

#define KEYRING_KEY_LEN 32
#define KEYRING_ID_LEN 4
#define KEYRING_MAX_KEYS 8
#define KEYRING_FILE_MAX 4096

struct keyring_key {
	uint8_t id[KEYRING_ID_LEN];
	uint8_t key[KEYRING_KEY_LEN];
};

struct keyring;

/* The keyring in PATH; NULL only when out of memory. If the file is
 * missing or unsafe, the keyring is empty and keyring_error() says why. */
struct keyring *keyring_load(const char *path);
/* A keyring with one fresh random key (getrandom); NULL with E. */
struct keyring *keyring_generate(struct sosafe_err *e);
/* A new keyring: a fresh key first, then every key of OLD (a rekey's
 * intermediate state); NULL with E. */
struct keyring *keyring_rotate(const struct keyring *old, struct sosafe_err *e);
/* A new keyring holding only KR's first key; NULL with E. */
struct keyring *keyring_current_only(const struct keyring *kr, struct sosafe_err *e);

struct keyring *keyring_ref(struct keyring *kr);
/* Drop a reference; the last one wipes the keys. NULL is fine. */
void keyring_unref(struct keyring *kr);
static inline void keyring_unrefp(struct keyring **kr) { keyring_unref(*kr); }
#define _cleanup_keyring_ __attribute__((cleanup(keyring_unrefp)))

/* Why KR holds no key (what to do included), or NULL if it holds one. */
const char *keyring_error(const struct keyring *kr);
/* The file KR was read from ("" if made in memory). */
const char *keyring_path(const struct keyring *kr);
unsigned keyring_count(const struct keyring *kr);
/* Key I (0: the one that seals), or NULL. */
const struct keyring_key *keyring_at(const struct keyring *kr, unsigned i);
/* The key with ID, or NULL. */
const struct keyring_key *keyring_find(const struct keyring *kr, const uint8_t id[KEYRING_ID_LEN]);
/* ID as 8 hex digits into OUT. */
void keyring_id_hex(const uint8_t id[KEYRING_ID_LEN], char out[2 * KEYRING_ID_LEN + 1]);

/* Parse the file format from TEXT into a new keyring; NULL with E (which
 * names NAME and the line). */
struct keyring *keyring_parse(const char *text, const char *name, struct sosafe_err *e);

/* Write KR to PATH atomically (a 0600 temporary file in the same
 * directory, fsync, rename, fsync of the directory). 0 or -1 with E. */
int keyring_write(const struct keyring *kr, const char *path, struct sosafe_err *e);

/* 1 if PATH does not exist, 0 if it does, -1 with E if it cannot be told. */
int keyring_file_missing(const char *path, struct sosafe_err *e);

#endif
