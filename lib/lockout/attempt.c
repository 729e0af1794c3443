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

enum store_status attempt_commit(struct attempt *a, const char *event, const char *detail_fmt,
				 ...)
{
	enum store_status s = store_tally_put(a->st, a->user, &a->tally);
	/* a lock this attempt set and that still stands (a right answer on the
	 * very attempt that reached `deny` lifts it again) */
	if (s == ST_OK && a->locked_now && a->tally.locked_until > a->now &&
	    audit_append(a->st, a->log, "lock", NULL, "level %u, %u failures", a->tally.lock_level,
			 a->tally.nfails))
		a->audit_failed = true;
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
