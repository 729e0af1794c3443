/* One admin action as a unit: open a write transaction, make the change,
 * claim the four-eyes request it carries out (when `approve` runs it),
 * append its audit record, commit. If the claim or the record fails,
 * everything is rolled back: no change without its record (fail closed).
 * The claim follows the change so that a change with nothing to do logs no
 * approval; `approve` then settles the request as one that changed nothing.
 *
 *     struct action a = { .event = "reset-otp", .user = user, .change = revoke_secret,
 *                         .ctx = &rows, .refused = "reset-otp not done, ..." };
 *     enum action_result r = action_run(cli, st, &a);
 *     if (r != ACTION_DONE)
 *             return action_exit(r);
 */
#ifndef SOSAFECTL_ACTION_H
#define SOSAFECTL_ACTION_H

#include <stdbool.h>

#include "cli.h"

struct action {
	const char *event;     /* audit event (unused with RECORD) */
	const char *user;      /* the user it concerns, or NULL */
	/* The change, inside the transaction: ST_OK, ST_NOTFOUND if there
	 * is nothing to change (then nothing is claimed or recorded), or a
	 * store error. It may fill DETAIL. NULL: the record is the action. */
	enum store_status (*change)(struct store *st, struct action *a);
	/* The action's own audit record, written after the claim instead of
	 * EVENT and DETAIL (e.g. the checkpoint of a prune): 0, or -1 to refuse.
	 * NULL: EVENT and DETAIL. */
	int (*record)(struct store *st, struct action *a);
	void *ctx;             /* for CHANGE and RECORD */
	char detail[900];      /* text of the audit record */
	const char *refused;   /* printed when the claim or the audit record fails, or NULL */
	const char *store_note;/* appended to a store error message, or NULL */
	bool fail_closed;      /* a store error is a refusal too (REFUSED message) */
};

enum action_result {
	ACTION_DONE,           /* changed, recorded, committed */
	ACTION_UNCHANGED,      /* CHANGE found nothing to do; rolled back */
	ACTION_REFUSED,        /* claim or record failed; rolled back, message printed */
	ACTION_STORE_ERROR,    /* the store failed; rolled back, message printed */
};

/* Run A in ST (opened for writing) as described above. */
enum action_result action_run(struct cli *cli, struct store *st, struct action *a);

/* The exit code for R: EXIT_OK, EXIT_OK, EXIT_FAIL, EXIT_STORE. */
int action_exit(enum action_result r);

/* The parts of an action, for a change whose transaction another module
 * runs (the directory sync calls them from its in-transaction hook).
 * Inside ST's open write transaction: when `approve` runs the action,
 * mark its request done (fails if no longer pending). No-op otherwise.
 * 0, or -1: the caller rolls back. */
int action_claim(struct cli *cli, struct store *st);

/* Inside ST's open write transaction: claim (as above) and append the
 * action's audit record. 0, or -1: the caller rolls back. */
int action_audit(struct cli *cli, struct store *st, const char *user, const char *event,
		 const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Log EVENT (notice, "DETAIL (by ADMIN)") and append its audit record in
 * ST's open transaction. 0, or -1: the caller rolls back. */
int action_record(struct cli *cli, struct store *st, const char *user, const char *event,
		  const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Log a refusal (warning) and append its record in a transaction of its
 * own, best effort: the refusal stands whether or not the store is there. */
void action_record_refusal(struct cli *cli, const char *user, const char *event, const char *fmt,
			   ...) __attribute__((format(printf, 4, 5)));

/* Append the audit record of an action that could not share a transaction
 * with it (restore replaces the store file) or that was refused before it
 * began, in a transaction of its own; prints and logs loudly on failure.
 * 0 or -1. */
int action_record_after(struct cli *cli, const char *user, const char *event, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
