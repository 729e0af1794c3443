/* How close the directory snapshot is to max_snapshot_age, after which the
 * account phase refuses every directory user: the admin must hear of a
 * broken sync before the users do. */
#ifndef SOSAFE_SNAPSHOT_AGE_H
#define SOSAFE_SNAPSHOT_AGE_H

#include <stdint.h>

#include "base/err.h"
#include "base/log.h"

enum snap_age {
	SNAP_AGE_FRESH,   /* below 50 % of max_snapshot_age */
	SNAP_AGE_HALF,    /* 50 % or more: warned at LOG_WARNING */
	SNAP_AGE_LATE,    /* 90 % or more: LOG_ERR, `sosafectl check` fails */
	SNAP_AGE_STALE,   /* past max_snapshot_age: directory users are refused */
};

/* The level of a snapshot generated at GENERATED_AT, seen at NOW. */
enum snap_age snap_age_level(int64_t generated_at, int64_t now, unsigned max_age);

/* When the snapshot in STATE_DIR was generated: 0 and *GENERATED_AT; 1 when
 * there is none (no directory sync on this host); -1 + E when unreadable. */
int snap_age_read(const char *state_dir, int64_t *generated_at, struct sosafe_err *e);

/* What was warned of already: a long-running caller (the daemon) keeps
 * one, zeroed, for its lifetime; the module keeps no writable global. */
struct snap_age_memo {
	int64_t warned;   /* generated_at * 4 + level of the last warning */
};

/* Log the level (from SNAP_AGE_HALF on) through LOG and return it. With a
 * MEMO each snapshot and level is logged once (an account phase calling it
 * at every login logs each threshold once; thread-safe); with NULL, every
 * call logs (a one-shot sosafectl). */
enum snap_age snap_age_warn(const struct log_ctx *log, struct snap_age_memo *memo,
			    int64_t generated_at, int64_t now, unsigned max_age);

#endif
