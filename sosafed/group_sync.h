/* Group commit: the workers commit without an fsync (synchronous=NORMAL)
 * and, before any reply leaves, wait here until an fsync of the store's
 * write-ahead log that started after their commit has finished. Several
 * concurrent logins share one fsync, and no fsync is made while SQLite's
 * write lock is held, so one slow disk flush does not serialise every
 * writer. The promise stays: a verdict is written only once its attempt is
 * on disk (a power loss before that loses an attempt whose result nobody
 * was told).
 *
 * THREAD SAFETY: called by every worker; one group per process (a daemon
 * serves one state directory). */
#ifndef SOSAFED_GROUP_SYNC_H
#define SOSAFED_GROUP_SYNC_H

/* Wait until everything committed to the store in STATE_DIR before this
 * call is durable. Returns 0, or -1 when the flush failed (then nothing
 * may be promised: refuse). */
int group_sync(const char *state_dir);

#endif
