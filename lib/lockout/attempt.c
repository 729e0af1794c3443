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

enum store_status attempt_count_code(struct attempt *a, enum lock_verdict *v, int64_t *seq)
{
	*v = LOCK_ALLOW;
	*seq = 0;
	if (!a->code_counted) {
		enum store_status s = store_code_tally_get(a->st, a->user, &a->code);
		if (s != ST_OK && s != ST_NOTFOUND)
			return s;
		a->code_policy = *a->policy;
		a->code_policy.exempt = false;
		a->code_refused_before = a->code.refused;
		a->code_lock_refused_before = a->code.lock_refused;
		a->code_counted = true;
	}
	bool locked_now = false;
	*v = lockout_begin(&a->code_policy, &a->code, a->now, seq, &locked_now);
	a->code_locked_now = a->code_locked_now || locked_now;
	return ST_OK;
}

void attempt_succeed_code(struct attempt *a, int64_t seq)
{
	if (a->code_counted)
		(void)lockout_success(&a->code_policy, &a->code, a->now, seq);
}

/* One tally as the attempt read it and left it, for its records. */
struct tally_change {
	const struct tally *t;
	int64_t refused_before, lock_refused_before;
	bool locked_now;
	const char *what;   /* prefix of the details: "" or "second factor: " */
};

/* The records of C's locks: how many attempts a lock that has now ended
 * refused (when more than its first, recorded on its own, were only
 * counted), and a lock this attempt set that still stands (a right answer
 * on the very attempt that reached `deny` lifts it again). -1 if a record
 * could not be written. */
static int record_locks(const struct attempt *a, const struct tally_change *c)
{
	const struct tally *t = c->t;
	if (c->lock_refused_before > 1 && t->lock_refused == 0 &&
	    audit_append(a->st, a->log, "deny-locked-count", NULL,
			 "%s%lld attempts refused during the lock that ended (the first has its own record)",
			 c->what, (long long)c->lock_refused_before))
		return -1;
	if (c->locked_now && t->locked_until > a->now &&
	    audit_append(a->st, a->log, "lock", NULL, "%slevel %u, %u failures", c->what,
			 t->lock_level, t->nfails))
		return -1;
	return 0;
}

/* C's lock refused this attempt, and it is not the lock's first refusal. */
static bool refusal_already_recorded(const struct tally_change *c)
{
	return c->t->refused > c->refused_before && c->t->lock_refused > 1;
}

enum store_status attempt_commit(struct attempt *a, const char *event, const char *detail_fmt,
				 ...)
{
	const struct tally_change acct = { &a->tally, a->refused_before, a->lock_refused_before,
					   a->locked_now, "" };
	const struct tally_change code = { &a->code, a->code_refused_before,
					   a->code_lock_refused_before, a->code_locked_now,
					   "second factor: " };
	enum store_status s = store_tally_put(a->st, a->user, &a->tally);
	if (s == ST_OK && a->code_counted)
		s = store_code_tally_put(a->st, a->user, &a->code);
	if (s == ST_OK && (record_locks(a, &acct) || (a->code_counted && record_locks(a, &code))))
		a->audit_failed = true;
	if (refusal_already_recorded(&acct) || (a->code_counted && refusal_already_recorded(&code)))
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
