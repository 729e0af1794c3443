/* The directory lifecycle's rows in the state store: one dir_user row per
 * published user, uid tombstones, the deletion report and dir_meta
 * counters (next_uid, serial, last_sync). Every SQL statement of the
 * lifecycle is here; lib/directory/ only decides.
 *
 * The statements come from the store's per-connection cache, so a sync
 * prepares each once for all the users of the export (preparing them per
 * user was a fifth of a 100k-user sync). Nothing here opens a transaction:
 * the caller brackets the work with store_begin/store_commit.
 * THREAD SAFETY: that of the struct store (one thread at a time).
 *
 * Functions returning enum store_status record the failure for
 * store_error() (what failed, the store's path, advice). */
#ifndef SOSAFE_DIR_STORE_H
#define SOSAFE_DIR_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

/* Lifecycle row of a user. */
struct dir_state {
	long long uid;
	int64_t first_seen, deactivated_at;
};

/* One dir_user row as a foreach sees it (strings valid during the call). */
struct dir_row {
	const char *user;
	long long uid, gid;
	int64_t first_seen, deactivated_at;
	const char *reason;
};
/* Non-zero from FN stops the walk (the walk still returns ST_OK). */
typedef int (*dir_row_fn)(const struct dir_row *row, void *ctx);

enum store_status dir_user_get(struct store *st, const char *user, struct dir_state *s);
/* The stable id stored for USER into BUF ("" if none or no row). */
enum store_status dir_user_ext_id(struct store *st, const char *user, char *buf, size_t len);
/* The row holding EXT_ID: its name into NAME, its uid; ST_NOTFOUND if none. */
enum store_status dir_user_by_ext_id(struct store *st, const char *ext_id, char *name,
				     size_t len, long long *uid);
enum store_status dir_user_insert(struct store *st, const char *user, long long uid,
				  long long gid, int64_t now, const char *ext_id);
enum store_status dir_user_set_ext_id(struct store *st, const char *user, const char *ext_id);
enum store_status dir_user_set_gid(struct store *st, const char *user, long long gid);
enum store_status dir_user_reactivate(struct store *st, const char *user);
enum store_status dir_user_deactivate(struct store *st, const char *user, int64_t now,
				      const char *why);

/* Every row, by name. */
enum store_status dir_users_foreach(struct store *st, dir_row_fn fn, void *ctx);
/* Rows active now (any order). */
enum store_status dir_users_active_foreach(struct store *st, dir_row_fn fn, void *ctx);
/* Rows deactivated before BEFORE, by name: the ones due for purging. */
enum store_status dir_users_deactivated_before(struct store *st, int64_t before,
					       dir_row_fn fn, void *ctx);
enum store_status dir_users_active_count(struct store *st, long long *n);

/* Move every per-user row of every schema part from FROM to TO (rows a
 * table held for TO are dropped first, except lifecycle rows); *ROWS gets
 * how many moved. */
enum store_status dir_user_rename(struct store *st, const char *from, const char *to,
				  long *rows);

/* True if ID is some row's uid or gid, or a purged user's uid. A read
 * error counts as free: the insert that follows fails on it. */
bool dir_id_taken(struct store *st, long long id);
bool dir_uid_tombstoned(struct store *st, long long uid);
enum store_status dir_tombstone_add(struct store *st, long long uid, const char *user,
				    int64_t now);

/* Deletion report rows, oldest first. */
struct deletion_row {
	long long id;
	char user[257];
	long long uid;
	int64_t deactivated_at, purged_at;
	long long records;
	char rule[256];
	char admin[128];
};
typedef int (*deletion_fn)(const struct deletion_row *row, void *ctx);
/* ROW->id is ignored (assigned by the store). */
enum store_status dir_report_add(struct store *st, const struct deletion_row *row);
enum store_status dir_report_foreach(struct store *st, deletion_fn fn, void *ctx);

/* dir_meta counters; a missing key (or a read error) gives DFLT. */
long long dir_meta_get(struct store *st, const char *key, long long dflt);
enum store_status dir_meta_set(struct store *st, const char *key, long long v);

#endif
