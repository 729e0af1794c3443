#include <config.h>
#include "lockout/attempt.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "audit/audit.h"
#include "store/lockout_store.h"

enum store_status attempt_begin(struct attempt *a, struct store *st,
				const struct lock_policy *policy, const struct log_ctx *log,
				const char *user, int64_t now)
{
	memset(a, 0, sizeof(*a));
	a->st = st;
	a->policy = policy;
	a->log = log;
	a->user = user;
	a->now = now;
	enum store_status s = store_begin(st);
	if (s != ST_OK)
		return s;
	s = store_tally_get(st, user, &a->tally);   /* ST_NOTFOUND: a zeroed tally */
	if (s == ST_NOTFOUND)
		return ST_OK;
	if (s != ST_OK)
		store_rollback(st);
	a->refused_before = a->tally.refused;
	a->lock_refused_before = a->tally.lock_refused;
	return s;
}

enum lock_verdict attempt_count(struct attempt *a, int64_t *seq)
{
	bool locked_now = false;
	*seq = 0;
	enum lock_verdict v = lockout_begin(a->policy, &a->tally, a->now, seq, &locked_now);
	a->locked_now = a->locked_now || locked_now;
	return v;
}

enum lock_verdict attempt_succeed(struct attempt *a, int64_t seq)
{
	return lockout_success(a->policy, &a->tally, a->now, seq);
}

int64_t attempt_refusals_unrecorded(const struct tally *t)
{
	return t->lock_refused > 1 ? t->lock_refused - 1 : 0;
}

/* The lock that was in force when the attempt began has ended, and some
 * of its refusals were only counted: record how many were refused in all. */
static bool lock_ended_with_count(const struct attempt *a)
{
	return a->lock_refused_before > 1 && a->tally.lock_refused == 0;
}

/* This attempt was refused for the lock, and is not the lock's first. */
static bool refusal_already_recorded(const struct attempt *a)
{
	return a->tally.refused > a->refused_before && a->tally.lock_refused > 1;
}

enum store_status attempt_commit(struct attempt *a, const char *event, const char *detail_fmt,
				 ...)
{
	enum store_status s = store_tally_put(a->st, a->user, &a->tally);
	if (s == ST_OK && lock_ended_with_count(a) &&
	    audit_append(a->st, a->log, "deny-locked-count", NULL,
			 "%lld attempts refused during the lock that ended (the first has its own record)",
			 (long long)a->lock_refused_before))
		a->audit_failed = true;
	/* a lock this attempt set and that still stands (a right answer on the
	 * very attempt that reached `deny` lifts it again) */
	if (s == ST_OK && a->locked_now && a->tally.locked_until > a->now &&
	    audit_append(a->st, a->log, "lock", NULL, "level %u, %u failures", a->tally.lock_level,
			 a->tally.nfails))
		a->audit_failed = true;
	if (refusal_already_recorded(a))
		event = NULL;
	if (s == ST_OK && !a->audit_failed && event) {
		char detail[512];
		va_list ap;
		va_start(ap, detail_fmt);
		vsnprintf(detail, sizeof(detail), detail_fmt, ap);
		va_end(ap);
		if (audit_append(a->st, a->log, event, NULL, "%s", detail))
			a->audit_failed = true;
	}
	if (a->audit_failed)
		s = ST_ERROR;
	if (s == ST_OK)
		s = store_commit(a->st);
	if (s != ST_OK)
		store_rollback(a->st);
	return s;
}

void attempt_abort(struct attempt *a)
{
	store_rollback(a->st);
}
