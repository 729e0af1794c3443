/* A directory export (Active Directory LDIF as ldapsearch prints it, or the
 * JSON form described in sosafectl(8)) and the user lifecycle that
 * `sosafectl sync` and `sosafectl purge` drive. */
#ifndef SOSAFE_DIRECTORY_H
#define SOSAFE_DIRECTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "base/conf.h"
#include "base/err.h"
#include "store/dir_store.h"
#include "store/store.h"

#define DIR_NO_ID (-1LL)

struct dir_user {
	char *name;           /* sAMAccountName */
	char *dn;             /* LDIF only */
	long long uid, gid;   /* DIR_NO_ID: allocate */
	char *gecos, *home, *shell;
	char *ext_id;         /* stable identity (sosafeStableId: objectSid,
	                       * objectGUID or entryUUID as ldap_pull writes
	                       * it); NULL if the directory gives none */
	bool disabled;        /* userAccountControl bit 0x2 */
	int64_t expires;      /* unix time; 0 = never */
	char **groups;        /* group names (memberOf resolved to the export's group
	                       * entries; a DN outside the export stays a DN) */
	size_t ngroups;
	unsigned line;        /* where the entry starts in the export */
	char *held;           /* why this record is quarantined (left out of the
	                       * sync, its row and snapshot entry unchanged);
	                       * NULL for a usable record */
};

struct dir_group {
	char *name;
	char *dn;
	long long gid;        /* DIR_NO_ID: allocate */
	char **members;       /* user names (member:, resolved) */
	size_t nmembers;
	unsigned line;
};

struct directory {
	struct dir_user *users;
	size_t nusers;
	struct dir_group *groups;
	size_t ngroups;
	unsigned flags;           /* DIR_PARSE_* the parse ran with */
	bool by_dn;               /* LDIF: memberOf named groups by DN */
	size_t skipped_unsafe;    /* users left out for their name (DIR_PARSE_SKIP_UNSAFE) */
	unsigned skipped_line;    /* line of the first of them */
};

/* A live pull reads every account of the domain: one trust account
 * ("CORP$") or "Svc Backup" must not stop the sync for everyone. With this
 * flag such users are left out (counted, never published: they could not
 * log in by that name anyway) instead of refusing the whole export. */
#define DIR_PARSE_SKIP_UNSAFE 0x1u

/* Parse an export; the format is told by the first non-blank byte ('{' is
 * JSON, anything else LDIF). Membership is resolved to names both ways
 * (memberOf of users and member of groups). Names are checked, duplicates
 * (case-insensitive, as AD compares them) refused. On error returns -1 and
 * E names the line and what is wrong. */
int directory_parse(const char *text, size_t len, struct directory *d, struct sosafe_err *e);
int directory_parse_flags(const char *text, size_t len, struct directory *d, unsigned flags,
			  struct sosafe_err *e);
int directory_parse_file(const char *path, struct directory *d, struct sosafe_err *e);
void directory_free(struct directory *d);

/* A name acceptable as a Unix user or group name from a directory: 1..32
 * bytes of [A-Za-z0-9._-], not starting with '-', not all digits. */
bool directory_name_ok(const char *name);

/* The stable identity "attr:value" from a raw attribute value: objectSid
 * as S-1-..., objectGUID as text, other text as it is (binary in hex).
 * -1 when malformed or longer than LEN. */
int directory_stable_id(const char *attr, const void *value, size_t n, char *out, size_t len);

/* The entitled group as the export D names it, for directory_user_active.
 * An LDIF export (or a live pull) names groups by DN. With
 * cfg->entitled_group_dn set, that DN decides (the group entry's name, or
 * the DN as memberOf lists it when the export lacks the entry). Else the
 * name entitled_group must be a group entry of the export: a memberOf DN
 * outside the export stays a DN, so a group merely named like the entitled
 * one elsewhere in the forest entitles nobody. -1 + E when the export
 * lacks the group. */
int directory_entitled(const struct directory *d, const struct sosafe_config *cfg,
		       const char **name, struct sosafe_err *e);

/* True if the user is enabled, not expired at NOW and in ENTITLED. */
bool directory_user_active(const struct directory *d, const struct dir_user *u,
			   const char *entitled, int64_t now, const char **why);

/* ---- lifecycle ---------------------------------------------------------- */

struct sync_result;
struct sync_opts {
	int64_t now;                /* injected clock */
	bool dry_run;
	const char *passwd_path;    /* local accounts to avoid (default /etc/passwd) */
	const char *group_path;     /* default /etc/group */
	const char *admin;          /* who runs it, for the deletion report */
	/* Called inside the store transaction once the changes are known and
	 * before the snapshot is written (never for a dry run); non-zero rolls
	 * everything back. sosafectl writes the audit records here. */
	int (*in_tx)(struct store *st, const struct sync_result *res, void *ctx);
	void *in_tx_ctx;
};

struct sync_change {
	char *user;
	long long uid;
	const char *what;           /* "new", "deactivated", "reactivated", "purged",
	                             * "renamed", "quarantined" */
	char *why;
	/* renamed: the old name, and WHY without any name or stable id (for
	 * lines under log_identity = pseudonym); NULL for other changes, whose
	 * WHY names nobody */
	char *from;
	char *why_anon;
};

struct sync_result {
	size_t active, deactivated, published, groups;
	struct sync_change *changes;
	size_t nchanges;
	uint64_t serial;
	long idle_pruned;   /* idle lockout rows forgotten (names that never logged in) */
};
void sync_result_free(struct sync_result *r);

/* Apply the export D at opts->now: purge users deactivated longer than
 * grace_days, update the lifecycle rows, allocate ids, write the snapshot
 * into cfg->state_dir (unless dry_run). A user record that cannot be
 * applied without harm (bad home or shell, a local account's name or id,
 * a purged user's uid, a changed uid) is quarantined: its dir_user.held
 * says why, a "quarantined" change is noted, its row and snapshot entry
 * stay as they were (a deactivation still applies), the rest is published.
 * Only a bad whole (no user, no entitled group) refuses. All or nothing:
 * on error the store is rolled back and the old snapshot stays. Returns 0
 * or -1 + E. */
int directory_sync(struct store *st, const struct sosafe_config *cfg, struct directory *d,
		   const struct sync_opts *opts, struct sync_result *res, struct sosafe_err *e);

/* Purge without an export: users deactivated longer than grace_days are
 * deleted from the store (with a deletion report) and from the snapshot. */
int directory_purge(struct store *st, const struct sosafe_config *cfg, const struct sync_opts *opts,
		    struct sync_result *res, struct sosafe_err *e);

/* The lifecycle rows themselves (a user's state, tombstones, the deletion
 * report) are read with store/dir_store.h. */

/* Tell nscd (if it runs) to drop its passwd and group caches. */
void directory_invalidate_nscd(void);

#endif
