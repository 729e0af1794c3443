/* The state store: per-user failures, locks, secrets and lifecycle data.
 * Embedded default: one SQLite file (WAL) in state_dir, root-only.
 *
 * Every operation that decides (count, lock, accept a code) runs inside one
 * IMMEDIATE transaction, so N processes and N threads count exactly. All
 * callers go through the headers of lib/store/, which speak of users,
 * tallies and records, never of SQL, so a network store for gateway fleets
 * can be added behind the same interface:
 *   store.h          the connection, transactions, administration
 *   lockout_store.h  tally rows        otp_store.h     TOTP secrets, codes
 *   audit_store.h    the audit trail   report_store.h  the access review
 * Each repository file also holds its feature's schema part, listed in
 * store_schema.c; store_sql.h is the SQL toolkit they share.
 *
 * THREAD SAFETY: the module keeps no global state; each struct store is
 * one connection (SQLite opened without its own mutex) and must be used by
 * one thread at a time, reference count included: the PAM module keeps one
 * per PAM handle, and a host serialises the calls on a handle. Threads that
 * share the file each open their own; the transactions keep them exact. */
#ifndef SOSAFE_STORE_H
#define SOSAFE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

#define STORE_FILE "state.db"

enum store_status {
	ST_OK = 0,
	ST_NOTFOUND,   /* no row for this user: not an error */
	ST_MISSING,    /* the store or its directory does not exist */
	ST_PERM,       /* unsafe owner/mode or permission denied */
	ST_CORRUPT,    /* not a database, or damaged */
	ST_BUSY,       /* lock not obtained within store_timeout_ms */
	ST_FULL,       /* disk or quota full */
	ST_READONLY,   /* read-only file system or file */
	ST_IO,         /* I/O error */
	ST_SCHEMA,     /* schema newer than this program */
	ST_NOMEM,
	ST_ERROR,      /* anything else */
	ST_UNREACHABLE, /* the database server cannot be reached in time */
	ST_KEY,        /* a sealed secret cannot be opened or sealed: key file missing or wrong */
};

enum store_flags {
	STORE_CREATE = 1,   /* create directory, file and schema (sosafectl init) */
	STORE_RDONLY = 2,   /* read-only access (status, report) */
	STORE_SYNC_NORMAL = 4, /* synchronous=NORMAL: commits are not fsynced (store_sync_commits=no) */
};

struct store;
struct sqlite3;
struct keyring;

/* Where the store lives. SQLite: one file in state_dir, for one host.
 * PostgreSQL: one database shared by a fleet, reached over TLS with the
 * libpq connection string in a root-only file. */
enum store_backend { STORE_BACKEND_SQLITE, STORE_BACKEND_POSTGRESQL };
struct store_target {
	enum store_backend backend;
	const char *state_dir;         /* SQLite: the directory of state.db */
	const char *pg_conninfo_file;  /* PostgreSQL: root 0600 file, one connection string */
	bool pg_insecure;              /* accept a connection without verified TLS >= 1.2 */
	unsigned timeout_ms;           /* lock waits, and each statement */
	unsigned connect_timeout_ms;   /* PostgreSQL: connecting, TLS handshake included */
};

/* Schema parts: each feature keeps its own list of migration steps and its
 * per-user tables (every one has a "user" column), so purge and per-user
 * restore can handle all of them. */
struct schema_part {
	const char *name;
	const char *const *steps;
	unsigned nsteps;
	const char *const *user_tables;
	unsigned nuser_tables;
	/* The same tables in PostgreSQL's dialect (versioned on their own:
	 * a shared store starts at the current layout). */
	const char *const *pg_steps;
	unsigned pg_nsteps;
};
extern const struct schema_part *const store_schema_parts[];
extern const unsigned store_schema_nparts;

/* Open the store in STATE_DIR. On failure returns the status and puts a
 * message saying what is wrong and what to do into E; *OUT is NULL. */
enum store_status store_open(struct store **out, const char *state_dir, unsigned flags,
			     unsigned timeout_ms, struct sosafe_err *e);
struct sosafe_config;
/* The store CFG names (store, state_dir, pg_* keys); T points into CFG. */
void store_target_from_config(struct store_target *t, const struct sosafe_config *cfg);

/* Open the store T names (store_open is the SQLite case). */
enum store_status store_open_target(struct store **out, const struct store_target *t,
				    unsigned flags, struct sosafe_err *e);
/* The identity of T that store_reusable() compares (state_dir or the
 * conninfo file). */
const char *store_target_ident(const struct store_target *t);
/* "sqlite" or "postgresql". */
const char *store_backend_name(const struct store *st);
/* True if ST is the SQLite file of one host (backup, restore, WAL flushes
 * apply); false for the shared database. */
bool store_is_local(const struct store *st);

/* True if ST is a shared store reached without verified TLS (pg_insecure
 * = yes): callers warn at every use. */
bool store_insecure(const struct store *st);

/* Drop a reference; the last one closes the store. */
void store_close(struct store *st);
/* Take another reference (a PAM handle keeps its store across steps). */
struct store *store_ref(struct store *st);
/* True if ST was opened by this process (not inherited over fork), on
 * IDENT (store_target_ident: the state_dir of a SQLite store), and is not
 * inside a transaction. */
bool store_reusable(const struct store *st, const char *ident);

/* Rows written through this handle since it was opened (a write since an
 * earlier call shows as a different number). */
long long store_total_changes(const struct store *st);
static inline void store_closep(struct store **st) { if (*st) store_close(*st); }
#define _cleanup_store_ __attribute__((cleanup(store_closep)))

/* The keys that seal and open secrets (store/keyring.h): ST takes a
 * reference to KR (NULL drops it) and gives it up when closed. */
void store_set_keyring(struct store *st, struct keyring *kr);
struct keyring *store_keyring(const struct store *st);

/* Last error of ST, with advice for the admin. */
const char *store_error(const struct store *st);
/* The same error in the store's own words, without path and advice, for a
 * message that names the operation itself. */
const char *store_cause(const struct store *st);
const char *store_path(const struct store *st);
/* The host's state_dir (audit.key, snapshots), whichever the backend. */
const char *store_state_dir(const struct store *st);
const char *store_status_name(enum store_status s);

/* Transactions: begin() takes the write lock up front (BEGIN IMMEDIATE). */
enum store_status store_begin(struct store *st);
enum store_status store_begin_read(struct store *st);
enum store_status store_commit(struct store *st);
void store_rollback(struct store *st);

/* Administration, in the admin library (sosafectl only). */

/* Delete every per-user row of USER in every schema part; *ROWS gets the count. */
enum store_status store_delete_user(struct store *st, const char *user, long *rows);

/* Call FN once for every user name any per-user table of any schema part
 * holds (sorted); FN returns non-zero to stop. */
typedef int (*store_user_fn)(const char *user, void *ctx);
enum store_status store_foreach_user(struct store *st, store_user_fn fn, void *ctx);

/* Copying one store into another (sosafectl store migrate), inside the
 * caller's transactions: does TO hold any per-user row of USER; copy every
 * per-user row of USER; copy the retired uids (tombstones) and the
 * deletion reports. */
enum store_status store_user_present(struct store *st, const char *user, bool *present);
enum store_status store_copy_user(struct store *from, struct store *to, const char *user,
				  long *rows);
enum store_status store_copy_lifecycle(struct store *from, struct store *to, long *tombstones,
				       long *reports);

/* Online backup to DEST (created 0600, must not exist). */
enum store_status store_backup(struct store *st, const char *dest);
/* Check a backup file (integrity and schema) without touching the store. */
enum store_status store_verify_file(const char *path, struct sosafe_err *e);
/* Replace the whole store with BACKUP, or only USER's rows if USER != NULL. */
enum store_status store_restore(struct store *st, const char *backup, const char *user,
				long *rows);

/* Integrity check of the live store ("ok" or the first problem in E). */
enum store_status store_check(struct store *st, struct sosafe_err *e);

#endif
