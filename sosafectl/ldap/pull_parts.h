/* The parts of a live pull, shared inside sosafectl/ldap/ only. A pull
 * reads the groups (recording their nesting and AD RIDs), optionally the
 * DNs matching ldap_disabled_filter, then the users, writing every entry
 * as LDIF into memory under the attribute names directory_parse() reads. */
#ifndef SOSAFE_LDAP_PULL_PARTS_H
#define SOSAFE_LDAP_PULL_PARTS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include <ldap.h>

#include "ldap_pull.h"

#define PASSWORD_MAX 1024

/* ---- credentials.c: the bind password file, the client key -------------- */

int read_password(const char *path, char *pw, size_t pwlen, struct sosafe_err *e);
int check_key_file(const struct sosafe_config *cfg, struct sosafe_err *e);

/* ---- connect.c: TLS, bind, failover -------------------------------------- */

/* libldap's reason for RC, with the server's diagnostic if any. */
void ldap_reason(LDAP *ld, int rc, char *buf, size_t len);
/* The first ldap_uri that connects and binds with PW, or NULL + E. */
LDAP *connect_any(const struct sosafe_config *cfg, const char *pw, struct ldap_pull_info *info,
		  struct sosafe_err *e);

/* ---- attrmap.c: ldap_attr_* ---------------------------------------------- */

#define LIST_MAX 8           /* attributes in one comma-separated map entry */

struct attrlist {
	const char *v[LIST_MAX];
	size_t n;
};

struct attrmap {
	char buf[1024];                  /* the split copies live here */
	struct attrlist name, gname, uid, gid, gecos, home, shell, id, member_of, member;
	const char *user_req[64];        /* attributes asked for, NULL-terminated */
	const char *group_req[32];
};

int map_build(const struct sosafe_config *cfg, struct attrmap *m, struct sosafe_err *e);
/* The first attribute of L the entry has, with its values (free with
 * ldap_value_free_len), or NULL; *WHICH names it. */
struct berval **first_of(LDAP *ld, LDAPMessage *e, const struct attrlist *l, const char **which);

/* ---- nesting.c: group nesting and AD primary groups ----------------------- */

/* A group's DN and the DNs of the groups it is a member of. */
struct nest {
	char *dn;
	char **parents;
	size_t nparents;
};
/* AD: a group's RID (last part of its objectSid), for primaryGroupID */
struct rid_dn {
	uint32_t rid;
	char *dn;
};
struct nests {
	struct nest *v;
	size_t n;
	struct rid_dn *rids;
	size_t nrids;
};
/* A set of DNs, compared case-insensitively, in insertion order. */
struct dnlist {
	char **v;
	size_t n, cap;
};

void nests_free(struct nests *ns);
void dnlist_free(struct dnlist *l);
/* Group pass: remember DN's parents (its memberOf values) and its RID. */
int record_nesting(struct nests *ns, const char *dn, struct berval **member_of);
int note_rid(struct nests *ns, const char *dn, struct berval **object_sid);
/* The DN of the user's primary group (primaryGroupID), if it was pulled. */
const char *primary_group(const struct nests *ns, LDAP *ld, LDAPMessage *e);
/* The user's direct groups (and PRIMARY) plus every group they are nested in. */
int expand_groups(const struct nests *ns, struct berval **direct, const char *primary,
		  struct dnlist *out);

/* ---- search.c: paged searches, disabled DNs, progress ---------------------- */

/* DNs of the users matching ldap_disabled_filter, sorted on first lookup. */
struct dnset {
	char **v;
	size_t n, cap;
	bool sorted;
};
bool dnset_has(struct dnset *s, const char *dn);
void dnset_free(struct dnset *s);

struct progress {
	bool on;
	size_t groups, users, pages;
	long long estimate;       /* server's size estimate for the current search, 0 unknown */
	time_t last;
};
void progress_show(struct progress *p, bool final);

struct search_ctx {
	FILE *out;
	struct nests *ns;
	const struct attrmap *m;
	struct dnset *disabled;
	struct dnset *collect;  /* disabled pass: DNs only */
	bool groups;            /* group pass: record nesting */
	size_t entries;
	struct progress *prog;
	bool oom;               /* a line could not be written */
};

/* One subtree search under ldap_base, pages of ldap_page_size, every entry
 * through entry_write(). */
int search_paged(LDAP *ld, const struct sosafe_config *cfg, const char *filter,
		 const char *const *attrs, struct search_ctx *c, size_t *pages,
		 struct sosafe_err *e);

/* ---- entry_ldif.c --------------------------------------------------------- */

/* One entry as LDIF (or, for the disabled pass, its DN collected):
 * 0, -1 out of memory, -2 a malformed stable id. */
int entry_write(LDAP *ld, LDAPMessage *e, struct search_ctx *c);

#endif
