/* Tamper-evident audit trail in the state store.
 *
 * Every record (seq, time, event, user or pseudonym, service, rhost, actor,
 * detail) carries mac = HMAC-SHA256(key, prev_mac || seq || fields), key =
 * state_dir/audit.key (32 random bytes, root-only 0600). A one-row head
 * (first_seq, the mac before it, last_seq, last_mac), itself MACed, lets
 * verify notice deleted records at both ends and survive pruning: pruning
 * moves first_seq forward and appends a chained "audit-prune" checkpoint.
 *
 * audit_append() runs INSIDE the caller's write transaction, so a decision
 * and its record commit together; on failure it logs "audit-error" loudly
 * and the caller rolls back and fails closed.
 *
 * THREAD SAFETY: no function here keeps state between calls. The
 * log_identity (pseudonym on/off and its key) lives in a struct
 * audit_identity that the caller owns, one per PAM handle or sosafectl run:
 * threads with different conf= lines each name users their own way. A store
 * handle and its transaction belong to one thread at a time (store.h). */
#ifndef SOSAFE_AUDIT_H
#define SOSAFE_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "base/conf.h"
#include "base/err.h"
#include "base/log.h"
#include "store/store.h"

#define AUDIT_KEY_FILE "audit.key"
#define AUDIT_KEY_LEN 32
#define AUDIT_MAC_LEN 32
#define AUDIT_PSEUDO_PREFIX "pn:"   /* ':' never occurs in a valid user name */
#define AUDIT_PSEUDO_LEN 20         /* "pn:" + 16 hex + NUL */


/* Read state_dir/audit.key; CREATE makes it (getrandom, 0600, atomic) when
 * missing. Returns 0, or -1 with E. */
int audit_key_load(const char *state_dir, bool create, unsigned char key[AUDIT_KEY_LEN],
		   struct sosafe_err *e);

/* Keyed pseudonym of USER: "pn:" + 16 hex digits of HMAC(key, name). */
void audit_pseudonym(const unsigned char key[AUDIT_KEY_LEN], const char *user,
		     char out[AUDIT_PSEUDO_LEN]);

/* How one PAM handle (or one sosafectl run) names users in log lines and
 * in the user column of new audit records: log_identity of its own
 * configuration. Point log_ctx.identity at .log. */
struct audit_identity {
	struct log_identity log;
	bool have_key;            /* without it names show as "pn:unavailable", never plain */
	unsigned char key[AUDIT_KEY_LEN];
};

/* Set ID from CFG's log_identity; with pseudonyms, load (or create) the
 * key from CFG's state_dir. Call audit_identity_wipe() when done. */
void audit_identity_init(struct audit_identity *id, const struct sosafe_config *cfg);

/* With CTX's log_identity = pseudonym, no name, uid or stable id may appear
 * in a line's or record's text, only in its user field (pseudonymised). */
bool audit_hides_names(const struct log_ctx *ctx);

/* NAME as CTX names users: NAME itself, or its pseudonym written into BUF
 * (LEN >= AUDIT_PSEUDO_LEN), for a second name in a detail text. */
const char *audit_name_shown(const struct log_ctx *ctx, const char *name, char *buf, size_t len);

/* Forget ID, key included (explicit_bzero). */
void audit_identity_wipe(struct audit_identity *id);
#define _cleanup_identity_ __attribute__((cleanup(audit_identity_wipe)))

/* Append one record inside the open write transaction of ST. CTX gives
 * user (a pseudonym if CTX's identity says so), service and rhost; ACTOR is the admin (or NULL for "-"). Returns
 * 0, or -1 after logging "audit-error" (the caller must roll back). */
int audit_append(struct store *st, const struct log_ctx *ctx, const char *event,
		 const char *actor, const char *detail_fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* ---- admin library only (audit_admin.c): sosafectl verifies, prunes and
 * walks the trail; a login only appends. ---- */

/* Check the whole chain. Returns 0 if intact (*COUNT records; WHY sums
 * them up), 1 if not (WHY names the first bad record), -1 on error (WHY
 * says what). */
int audit_verify(struct store *st, const unsigned char key[AUDIT_KEY_LEN], long *count,
		 long long *bad_seq, struct sosafe_err *why);

/* Delete records older than DAYS (clamped to >= 90) inside the open write
 * transaction and append a chained checkpoint. *PRUNED gets the count. */
int audit_prune(struct store *st, const struct log_ctx *ctx, const char *actor, unsigned days,
		int64_t now, long *pruned);

struct audit_record {
	long long seq;
	long long time;
	const char *event, *user, *service, *rhost, *actor, *detail;
};
typedef int (*audit_record_fn)(const struct audit_record *r, void *ctx);
/* Call FN for every record with time >= SINCE, in order. */
int audit_foreach(struct store *st, long long since, audit_record_fn fn, void *ctx);

#endif
