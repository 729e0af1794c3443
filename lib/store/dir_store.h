/* The directory lifecycle's rows in the state store: one dir_user row per
 * published user, uid tombstones, the deletion report and dir_meta
 * counters (next_uid, serial, last_sync). Every SQL statement of the
 * lifecycle is here; lib/directory/ only decides.
 *
 * A struct dir_store lives for one sync or purge: its statements are
 * prepared once and reused for every user of the export (preparing them
 * per user was a fifth of a 100k-user sync). It holds no transaction of
 * its own; the caller brackets the work with store_begin/store_commit.
 * THREAD SAFETY: one dir_store per thread, like its struct store.
 *
 * Functions returning enum store_status record the failure for
 * store_error() (what failed, the store's path, advice). */
#ifndef SOSAFE_DIR_STORE_H
#define SOSAFE_DIR_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

struct dir_store;

/* NULL when out of memory. */
struct dir_store *dir_store_new(struct store *st);
void dir_store_free(struct dir_store *ds);
struct store *dir_store_store(const struct dir_store *ds);

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

enum store_status dir_user_get(struct dir_store *ds, const char *user, struct dir_state *s);
/* The stable id stored for USER into BUF ("" if none or no row). */
enum store_status dir_user_ext_id(struct dir_store *ds, const char *user, char *buf, size_t len);
/* The row holding EXT_ID: its name into NAME, its uid; ST_NOTFOUND if none. */
enum store_status dir_user_by_ext_id(struct dir_store *ds, const char *ext_id, char *name,
				     size_t len, long long *uid);
enum store_status dir_user_insert(struct dir_store *ds, const char *user, long long uid,
				  long long gid, int64_t now, const char *ext_id);
enum store_status dir_user_set_ext_id(struct dir_store *ds, const char *user, const char *ext_id);
enum store_status dir_user_set_gid(struct dir_store *ds, const char *user, long long gid);
enum store_status dir_user_reactivate(struct dir_store *ds, const char *user);
enum store_status dir_user_deactivate(struct dir_store *ds, const char *user, int64_t now,
				      const char *why);

/* Every row, by name. */
enum store_status dir_users_foreach(struct dir_store *ds, dir_row_fn fn, void *ctx);
/* Rows active now (any order). */
enum store_status dir_users_active_foreach(struct dir_store *ds, dir_row_fn fn, void *ctx);
/* Rows deactivated before BEFORE, by name: the ones due for purging. */
enum store_status dir_users_deactivated_before(struct dir_store *ds, int64_t before,
					       dir_row_fn fn, void *ctx);
enum store_status dir_users_active_count(struct dir_store *ds, long long *n);

/* Move every per-user row of every schema part from FROM to TO (rows a
 * table held for TO are dropped first, except lifecycle rows); *ROWS gets
 * how many moved. */
enum store_status dir_user_rename(struct dir_store *ds, const char *from, const char *to,
				  long *rows);

/* True if ID is some row's uid or gid, or a purged user's uid. A read
 * error counts as free: the insert that follows fails on it. */
bool dir_id_taken(struct dir_store *ds, long long id);
bool dir_uid_tombstoned(struct dir_store *ds, long long uid);
enum store_status dir_tombstone_add(struct dir_store *ds, long long uid, const char *user,
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
enum store_status dir_report_add(struct dir_store *ds, const struct deletion_row *row);
enum store_status dir_report_foreach(struct dir_store *ds, deletion_fn fn, void *ctx);

/* dir_meta counters; a missing key (or a read error) gives DFLT. */
long long dir_meta_get(struct dir_store *ds, const char *key, long long dflt);
enum store_status dir_meta_set(struct dir_store *ds, const char *key, long long v);

#endif
