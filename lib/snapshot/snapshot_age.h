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

/* Log the level (from SNAP_AGE_HALF on) through LOG, once per snapshot and
 * level in this process (a daemon calling it at every account phase logs
 * each threshold once; thread-safe); returns the level. */
enum snap_age snap_age_warn(const struct log_ctx *log, int64_t generated_at, int64_t now,
			    unsigned max_age);

#endif
