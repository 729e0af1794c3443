/* The queries of the access-review report: one row per account of the host
 * (the local accounts the caller names and the directory's users, nothing
 * else: a name the store saw only in a failed login is no account), lock
 * records from the audit trail, and recorded reviews. */
#ifndef SOSAFE_REPORT_STORE_H
#define SOSAFE_REPORT_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "store/store.h"

struct report_row {
	const char *user;
	bool directory;          /* the directory manages the account */
	int64_t deactivated_at;  /* by the directory; 0 = active */
	int64_t locked_until;
	bool totp;               /* a TOTP secret is enrolled */
	long recovery_left;      /* unused recovery codes */
	int64_t last_success;
	int64_t review_time;     /* 0 = never reviewed */
	const char *reviewer;    /* "" if never reviewed */
};

/* A walk over the report's rows, ordered by user. */
struct report_cursor;

/* Start the walk (inside a read transaction); lock records are counted from
 * LOCKS_SINCE on. */
enum store_status report_open(struct store *st, int64_t locks_since, struct report_cursor **c);
/* Add the local account USER (from the host's passwd file) before the first
 * report_next. A directory user of the same name gets a row of its own. */
enum store_status report_add_local(struct report_cursor *c, const char *user);
/* The next row into *ROW (its strings live until the next call);
 * ST_NOTFOUND after the last one. */
enum store_status report_next(struct report_cursor *c, struct report_row *row);
/* Lock records in the audit trail about USER (by name, or by ALIAS: its
 * pseudonym) since LOCKS_SINCE; -1 if they cannot be read. */
long report_locks(struct report_cursor *c, const char *user, const char *alias);
/* End the walk (NULL is fine). */
void report_close(struct report_cursor *c);

/* Record that BY reviewed USER's access at TIME (replaces an older review). */
enum store_status report_review_put(struct store *st, const char *user, int64_t time,
				    const char *by);

#endif
