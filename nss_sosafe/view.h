/* A shared, self-refreshing view of one snapshot file (the NSS module's).
 *
 * Lookups take a read lock only while they copy out of the mapping. At most
 * once a second (CLOCK_MONOTONIC_COARSE, a vDSO call: no system call on the
 * hot path) one caller stat()s the path and, if the file was replaced, maps
 * and validates the new one and swaps it in under the write lock; the old
 * mapping is unmapped once no lookup uses it. pthread_atfork handlers keep
 * the locks consistent in a child forked while another thread was inside. */
#ifndef NSS_SOSAFE_VIEW_H
#define NSS_SOSAFE_VIEW_H

#include "snapshot/snapshot.h"

struct snap_view;

/* The module's two views, on files in the compiled-in SOSAFE_SNAPSHOT_DIR. */
extern struct snap_view nss_view_passwd, nss_view_shadow;

/* Current snapshot of V with its read lock held, or NULL with *WHY set
 * (SNAP_MISSING / SNAP_UNSAFE / SNAP_CORRUPT / SNAP_SYSERR) and no lock.
 * *GEN (may be NULL) changes whenever another file is swapped in. */
const struct snap *snap_view_acquire(struct snap_view *v, enum snap_status *why, unsigned *gen);
void snap_view_release(struct snap_view *v);

/* Register the fork handlers now (callers with locks taken before a view's
 * register theirs after this, so that theirs run first at fork). */
void snap_view_atfork_init(void);

/* Re-check the file on the next acquire, whatever the clock says (tests). */
void snap_view_invalidate(struct snap_view *v);

#endif
