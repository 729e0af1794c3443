/* The export's users sorted by name, for the lookups of one sync (100k
 * users: a linear search per row made publishing quadratic). */
#include <config.h>
#include "directory/lifecycle.h"

#include <stdlib.h>
#include <string.h>

static int cmp_user_name(const void *a, const void *b)
{
	return strcmp((*(const struct dir_user *const *)a)->name,
		      (*(const struct dir_user *const *)b)->name);
}

int export_index_build(struct export_index *x, const struct directory *d, struct sosafe_err *e)
{
	x->n = 0;
	x->v = malloc((d->nusers + 1) * sizeof(*x->v)); /* NOLINT(bugprone-sizeof-expression): an array of pointers, so the element size is sizeof(pointer) */
	if (!x->v)
		return err_set(e, "out of memory");
	for (size_t i = 0; i < d->nusers; i++)
		x->v[x->n++] = &d->users[i];
	qsort(x->v, x->n, sizeof(*x->v), cmp_user_name); /* NOLINT(bugprone-sizeof-expression): an array of pointers, so the element size is sizeof(pointer) */
	return 0;
}

const struct dir_user *export_find(const struct export_index *x, const char *name)
{
	struct dir_user key = { .name = (char *)name };
	const struct dir_user *kp = &key;
	if (!x->n)
		return NULL;
	const struct dir_user *const *r = bsearch(&kp, x->v, x->n, sizeof(*x->v), cmp_user_name); /* NOLINT(bugprone-sizeof-expression): an array of pointers, so the element size is sizeof(pointer) */
	return r ? *r : NULL;
}

void export_index_free(struct export_index *x)
{
	free(x->v);
	x->v = NULL;
	x->n = 0;
}
