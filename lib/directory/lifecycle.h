/* The parts of one sync or purge, shared inside lib/directory/ only:
 * local accounts to stay clear of, the change list, uid allocation,
 * purging, renames, the per-user transitions and publishing. */
#ifndef SOSAFE_DIRECTORY_LIFECYCLE_H
#define SOSAFE_DIRECTORY_LIFECYCLE_H

#include "base/util.h"
#include "directory/directory.h"


/* ---- local_accounts.c --------------------------------------------------- */

/* Names and ids of /etc/passwd or /etc/group, sorted for lookups. */
struct local {
	char **names;
	size_t nnames;
	long long *ids;
	size_t nids;
};
/* A missing file is empty; GROUP reads a group file. */
int local_load(struct local *l, const char *path, bool group, struct sosafe_err *e);
int local_add(struct local *l, const char *name, long long id);
void local_free(struct local *l);
bool local_has_name(const struct local *l, const char *name);
bool local_has_id(const struct local *l, long long id);
int cmp_ll(const void *a, const void *b);
int cmp_str(const void *a, const void *b);

/* ---- export_index.c ----------------------------------------------------- */

/* The export's users by name. */
struct export_index {
	const struct dir_user **v;
	size_t n;
};
int export_index_build(struct export_index *x, const struct directory *d, struct sosafe_err *e);
const struct dir_user *export_find(const struct export_index *x, const char *name);
void export_index_free(struct export_index *x);

/* ---- sync_result.c ------------------------------------------------------ */

/* Append one change; -1 + E when out of memory. */
int sync_note(struct sync_result *r, const char *user, long long uid, const char *what,
	      const char *why, struct sosafe_err *e);
/* Append the rename of FROM to USER (same stable EXT_ID, ROWS records moved). */
int sync_note_rename(struct sync_result *r, const char *user, long long uid, const char *from,
		     const char *ext_id, long rows, struct sosafe_err *e);

/* ---- uid_alloc.c -------------------------------------------------------- */

/* Every uid and gid the export names, sorted. */
struct idset {
	long long *v;
	size_t n;
};
int idset_from_export(struct idset *s, const struct directory *d, struct sosafe_err *e);
void idset_free(struct idset *s);
/* The next uid in uid_min..uid_max no one has, had, or is given by the export. */
int uid_allocate(struct store *st, const struct sosafe_config *cfg, const struct local *lp,
		 const struct local *lg, const struct idset *export_ids, long long *out,
		 struct sosafe_err *e);

/* ---- purge.c ------------------------------------------------------------ */

/* Purge the users deactivated longer than grace_days, forget idle lockout rows. */
int purge_overdue(struct store *st, const struct sosafe_config *cfg, const struct sync_opts *o,
		  struct sync_result *res, struct sosafe_err *e);

/* ---- rename.c ----------------------------------------------------------- */

/* Rename rows by stable id; a rename that cannot be done quarantines its
 * record. */
int apply_renames(struct store *st, struct directory *d, struct sync_result *res,
		  struct sosafe_err *e);

/* ---- transitions.c ------------------------------------------------------ */

/* Quarantine (dir_user.held) the users who would shadow a local account
 * by name, uid or gid; -1 + E only when the store or memory fails. */
int check_against_local(struct store *st, const struct sosafe_config *cfg,
			struct directory *d, const struct local *lp, const struct local *lg,
			int64_t now, struct sosafe_err *e);
/* U's transition; a held U (or one found unsafe here) changes nothing but a
 * deactivation and is noted as "quarantined". */
int apply_user(struct store *st, const struct sosafe_config *cfg, const struct directory *d,
	       struct dir_user *u, const struct local *lp, const struct local *lg,
	       const struct idset *ids, const struct sync_opts *o, struct sync_result *res,
	       struct sosafe_err *e);
int deactivate_absent(struct store *st, const struct directory *d, const struct sync_opts *o,
		      struct sync_result *res, struct sosafe_err *e);

/* ---- publish.c ---------------------------------------------------------- */

/* Bump the serial and write the snapshot of every lifecycle row (D gives
 * the passwd fields and groups, except for quarantined users: PREV, the
 * snapshot before, or the defaults; LG the local groups to avoid),
 * generated at GENERATED_AT; a dry run writes nothing. PREV may be NULL. */
int publish(struct store *st, const struct sosafe_config *cfg, const struct directory *d,
	    const struct directory *prev, const struct local *lg, const struct sync_opts *o,
	    int64_t generated_at, struct sync_result *res, struct sosafe_err *e);

/* ---- snapshot_load.c ---------------------------------------------------- */

/* The published snapshot in DIR as a directory model. */
int snapshot_load(const char *dir, struct directory *d, int64_t *generated_at,
		  struct sosafe_err *e);

#endif
