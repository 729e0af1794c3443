/* Uid allocation: numbers in uid_min..uid_max that no local account,
 * no lifecycle row (as uid or as gid), no purged user and no id named by
 * the export holds. A uid is never handed out twice. */
#include <config.h>
#include "directory/lifecycle.h"

#include <stdlib.h>

int idset_from_export(struct idset *s, const struct directory *d, struct sosafe_err *e)
{
	s->n = 0;
	s->v = malloc((2 * d->nusers + d->ngroups + 1) * sizeof(long long));
	if (!s->v)
		return err_set(e, "out of memory");
	for (size_t i = 0; i < d->nusers; i++) {
		if (d->users[i].uid != DIR_NO_ID)
			s->v[s->n++] = d->users[i].uid;
		if (d->users[i].gid != DIR_NO_ID)
			s->v[s->n++] = d->users[i].gid;
	}
	for (size_t i = 0; i < d->ngroups; i++)
		if (d->groups[i].gid != DIR_NO_ID)
			s->v[s->n++] = d->groups[i].gid;
	qsort(s->v, s->n, sizeof(long long), cmp_ll);
	return 0;
}

void idset_free(struct idset *s)
{
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

static bool idset_has(const struct idset *s, long long id)
{
	return s->n && bsearch(&id, s->v, s->n, sizeof(long long), cmp_ll) != NULL;
}

int uid_allocate(struct store *st, const struct sosafe_config *cfg, const struct local *lp,
		 const struct local *lg, const struct idset *export_ids, long long *out,
		 struct sosafe_err *e)
{
	long long next = dir_meta_get(st, "next_uid", cfg->uid_min);
	if (next < cfg->uid_min)
		next = cfg->uid_min;
	for (; next <= (long long)cfg->uid_max; next++) {
		if (local_has_id(lp, next) || local_has_id(lg, next) || idset_has(export_ids, next) ||
		    dir_id_taken(st, next))
			continue;
		*out = next;
		if (dir_meta_set(st, "next_uid", next + 1) != ST_OK)
			return err_set(e, "%s", store_error(st));
		return 0;
	}
	return err_set(e, "uid range %u..%u is used up (uids are never reused); widen uid_max",
		       cfg->uid_min, cfg->uid_max);
}
