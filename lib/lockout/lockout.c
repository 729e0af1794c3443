#include <config.h>
#include "lockout/lockout.h"

#include <string.h>

void lock_policy_from_conf(struct lock_policy *p, const struct sosafe_config *cfg, bool is_root,
			   bool is_admin)
{
	bool priv = is_root || is_admin;
	p->deny = cfg->deny;
	p->fail_interval = cfg->fail_interval;
	p->unlock_time = priv ? config_root_unlock_time(cfg) : cfg->unlock_time;
	p->max_locks = cfg->max_locks;
	p->escalation_period = cfg->escalation_period;
	p->deny_per_period = cfg->deny_per_period;
	p->exempt = priv && !cfg->even_deny_root;
	p->privileged = priv;
}

int64_t lockout_duration(const struct lock_policy *p, unsigned level)
{
	if (level == 0)
		level = 1;
	/* A privileged account is never locked for ever by escalation, so that
	 * guessing at root cannot lock out the last administrator for good. */
	if (p->unlock_time == 0 && !p->privileged)
		return LOCK_FOREVER;
	if (p->max_locks && level >= p->max_locks && !p->privileged)
		return LOCK_FOREVER;
	int64_t d = p->unlock_time ? p->unlock_time : 600;
	for (unsigned i = 1; i < level && d < LOCK_MAX_SECONDS; i++)
		d *= 2;
	if (p->privileged && d > SOSAFE_DAY && p->unlock_time <= SOSAFE_DAY)
		d = SOSAFE_DAY;
	return d > LOCK_MAX_SECONDS ? LOCK_MAX_SECONDS : d;
}

void lockout_expire(struct tally *t, int64_t now)
{
	if (t->locked_until && t->locked_until != LOCK_FOREVER && now >= t->locked_until) {
		t->locked_until = 0;
		t->nfails = 0;
		t->reset_seq = t->attempts;
		t->lock_refused = 0;
	}
}

/* Drop failures that left the interval. Failures "in the future" (the clock
 * stepped back) are kept: stepping the clock must never forgive a guess. */
static void prune(const struct lock_policy *p, struct tally *t, int64_t now)
{
	unsigned keep = 0;
	for (unsigned i = 0; i < t->nfails; i++)
		if (t->fails[i] > now - (int64_t)p->fail_interval)
			t->fails[keep++] = t->fails[i];
	t->nfails = keep;
}

unsigned lockout_recent_failures(const struct lock_policy *p, const struct tally *t, int64_t now)
{
	if (t->locked_until && (t->locked_until == LOCK_FOREVER || now < t->locked_until))
		return t->nfails;
	unsigned n = 0;
	for (unsigned i = 0; i < t->nfails; i++)
		if (t->fails[i] > now - (int64_t)p->fail_interval)
			n++;
	return n;
}

bool lockout_is_idle(const struct lock_policy *p, const struct tally *t, int64_t now)
{
	if (t->last_success)
		return false;
	if (t->locked_until == LOCK_FOREVER || (t->locked_until && now < t->locked_until))
		return false;
	/* a time "in the future" (clock stepped back) keeps the row */
	for (unsigned i = 0; i < t->nfails; i++)
		if (t->fails[i] > now - (int64_t)p->fail_interval)
			return false;
	if (t->last_lock && (t->last_lock > now || now - t->last_lock < (int64_t)p->escalation_period))
		return false;
	if (t->period_fails &&
	    (t->period_start > now || now - t->period_start < (int64_t)p->escalation_period))
		return false;
	return true;
}

bool lockout_is_locked(const struct lock_policy *p, const struct tally *t, int64_t now)
{
	if (p->exempt || !t->locked_until)
		return false;
	return t->locked_until == LOCK_FOREVER || now < t->locked_until;
}

static void add_failure(struct tally *t, int64_t now)
{
	if (t->nfails == SOSAFE_MAX_DENY) {
		memmove(t->fails, t->fails + 1, sizeof(t->fails[0]) * (SOSAFE_MAX_DENY - 1));
		t->nfails--;
	}
	t->fails[t->nfails++] = now;
}

enum lock_verdict lockout_begin(const struct lock_policy *p, struct tally *t, int64_t now,
				int64_t *seq, bool *locked_now)
{
	*locked_now = false;
	*seq = 0;
	lockout_expire(t, now);
	if (lockout_is_locked(p, t, now)) {
		t->refused++;
		t->lock_refused++;
		return LOCK_DENY_LOCKED;
	}
	prune(p, t, now);
	add_failure(t, now);
	*seq = ++t->attempts;
	/* Long-term budget: failures below `deny` per fail_interval would
	 * otherwise go on for ever (5 every 15 minutes = 175,000 a year). A
	 * clock stepped back never restarts the window. */
	if (now - t->period_start >= (int64_t)p->escalation_period) {
		t->period_start = now;
		t->period_fails = 0;
	}
	t->period_fails++;
	bool over_budget = p->deny_per_period && t->period_fails >= p->deny_per_period;
	if (!p->exempt && over_budget) {
		t->lock_level = t->lock_level + 1;
		t->locked_until = p->privileged ? now + lockout_duration(p, t->lock_level) : LOCK_FOREVER;
		t->last_lock = now;
		*locked_now = true;
	} else if (!p->exempt && t->nfails >= p->deny) {
		bool chained = t->last_lock && now - t->last_lock < (int64_t)p->escalation_period &&
			       now >= t->last_lock;
		unsigned level = chained ? t->lock_level + 1 : 1;
		int64_t d = lockout_duration(p, level);
		t->locked_until = d == LOCK_FOREVER ? LOCK_FOREVER : now + d;
		t->lock_level = level;
		t->last_lock = now;
		*locked_now = true;
	}
	return LOCK_ALLOW;
}

enum lock_verdict lockout_success(const struct lock_policy *p, struct tally *t, int64_t now,
				  int64_t seq)
{
	lockout_expire(t, now);
	bool counted = seq > t->reset_seq && seq <= t->attempts;
	if (!counted && lockout_is_locked(p, t, now)) {
		t->refused++;
		t->lock_refused++;
		return LOCK_DENY_LOCKED;
	}
	if (counted && t->period_fails > 0)
		t->period_fails--; /* it was not a failure after all */
	/* reset_seq is left alone: attempts still in flight when this one
	 * succeeded stay "counted" (they passed preauth within the budget), so
	 * parallel logins of one user are not refused by each other's locks. */
	t->locked_until = 0;
	t->lock_refused = 0;
	t->nfails = 0;
	t->lock_level = 0;
	t->last_success = now;
	return LOCK_ALLOW;
}

void lockout_clear(struct tally *t)
{
	t->nfails = 0;
	t->locked_until = 0;
	t->lock_refused = 0;
	t->lock_level = 0;
	t->reset_seq = t->attempts;
}
