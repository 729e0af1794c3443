/* Secret columns of the state store, sealed with the store's keyring
 * (seal.h, store_set_keyring). Used by the repository files that hold a
 * secret (otp.secret today); all functions work inside the caller's
 * transaction.
 *
 * Plaintext or sealed is never guessed from a value's bytes. A store that
 * held secrets before sealing existed gets the meta key SECRET_PLAIN_MARK
 * from a schema step, written in the same upgrade that first sees it, so
 * every secret in such a store is plaintext and no sealed one can be
 * there yet. While the mark stands, values are read as plaintext and no
 * secret is written (`sosafectl init` seals them all and removes the mark
 * in one transaction). Without the mark every value must open: a
 * plaintext row slipped into a sealed store is refused, not trusted. */
#ifndef SOSAFE_SECRET_STORE_H
#define SOSAFE_SECRET_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/seal.h"
#include "store/store.h"

#define SECRET_PLAIN_MARK "secrets.plaintext"

/* The secret columns, for init and rekey: every one is (user, COLUMN) of
 * TABLE, one row per user. */
extern const struct seal_place secret_columns[];
extern const unsigned secret_ncolumns;

/* Seal LEN bytes of PLAIN for AT into OUT (CAP bytes); *OUTLEN its length.
 * ST_KEY without a usable key; ST_SCHEMA while the store still holds
 * plaintext secrets (run: sosafectl init). */
enum store_status secret_seal(struct store *st, const struct seal_place *at,
			      const uint8_t *plain, size_t len, uint8_t *out, size_t cap,
			      size_t *outlen);

/* The secret stored as IN (LEN bytes) for AT into OUT (CAP bytes; the
 * caller wipes it); *OUTLEN its length. ST_KEY if the key is missing,
 * ST_CORRUPT if the value does not open (altered or moved). */
enum store_status secret_open(struct store *st, const struct seal_place *at,
			      const uint8_t *in, size_t len, uint8_t *out, size_t cap,
			      size_t *outlen);

/* Does ST still hold plaintext secrets (the mark)? */
enum store_status secret_plaintext(struct store *st, bool *plain);

/* ---- admin library only (secret_store_admin.c) ---- */

/* Seal every secret again under the keyring's first key, opening plaintext
 * (while the mark stands) or any key of the keyring; removes the mark.
 * *ROWS gets the number of values written. */
enum store_status secret_reseal_all(struct store *st, long *rows);

/* A user is renamed FROM -> TO: seal its secrets again for TO (before the
 * rows move to the new name). Nothing to do for plaintext stores. */
enum store_status secret_rebind(struct store *st, const char *from, const char *to);

#endif
