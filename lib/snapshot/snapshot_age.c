/* Warnings before the snapshot expires (see snapshot_age.h). */
#include <config.h>
#include "snapshot/snapshot_age.h"

#include <stdbool.h>
#include <stdio.h>

#include "snapshot/snapshot.h"

enum snap_age snap_age_level(int64_t generated_at, int64_t now, unsigned max_age)
{
	int64_t age = now - generated_at;
	if (age > (int64_t)max_age)
		return SNAP_AGE_STALE;
	if (age * 10 >= (int64_t)max_age * 9)
		return SNAP_AGE_LATE;
	if (age * 2 >= (int64_t)max_age)
		return SNAP_AGE_HALF;
	return SNAP_AGE_FRESH;
}

int snap_age_read(const char *state_dir, int64_t *generated_at, struct sosafe_err *e)
{
	char path[4096];
	struct snap s;
	snprintf(path, sizeof(path), "%s/%s", state_dir, SNAP_PASSWD_FILE);
	enum snap_status r = snap_open(&s, path, SNAP_KIND_PASSWD, e);
	if (r == SNAP_MISSING)
		return 1;
	if (r != SNAP_OK)
		return -1;
	*generated_at = s.hdr.generated_at;
	snap_close(&s);
	return 0;
}

/* True the first time MEMO sees KEY or a higher one (a newer snapshot or a
 * higher level of the same). */
static bool first_time(struct snap_age_memo *memo, int64_t key)
{
	int64_t prev = __atomic_load_n(&memo->warned, __ATOMIC_RELAXED);
	do {
		if (prev >= key)
			return false;
	} while (!__atomic_compare_exchange_n(&memo->warned, &prev, key, false, __ATOMIC_RELAXED,
					      __ATOMIC_RELAXED));
	return true;
}

enum snap_age snap_age_warn(const struct log_ctx *log, struct snap_age_memo *memo,
			    int64_t generated_at, int64_t now, unsigned max_age)
{
	enum snap_age level = snap_age_level(generated_at, now, max_age);
	if (level == SNAP_AGE_FRESH)
		return level;
	if (memo && !first_time(memo, generated_at * 4 + (int64_t)level))
		return level;
	int64_t age = now - generated_at;
	long long pct = max_age ? (long long)(age * 100 / (int64_t)max_age) : 100;
	if (level == SNAP_AGE_STALE)
		log_event(LOG_ERR, log, "snapshot-stale",
			  "directory snapshot is %lld s old (max_snapshot_age %u s): directory "
			  "users are refused until a sync succeeds", (long long)age, max_age);
	else
		log_event(level == SNAP_AGE_LATE ? LOG_ERR : LOG_WARNING, log, "snapshot-aging",
			  "directory snapshot is %lld s old, %lld %% of max_snapshot_age (%u s): "
			  "directory users are refused in %lld s unless a sync succeeds",
			  (long long)age, pct, max_age, (long long)((int64_t)max_age - age));
	return level;
}
