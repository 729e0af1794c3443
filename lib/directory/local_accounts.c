/* The local accounts a directory user must not shadow: /etc/passwd and
 * /etc/group read as files (not through NSS, which would show our own
 * users back to us). */
#include <config.h>
#include "directory/lifecycle.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;
	return x < y ? -1 : x > y;
}

int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void local_free(struct local *l)
{
	for (size_t i = 0; i < l->nnames; i++)
		free(l->names[i]);
	free(l->names);
	free(l->ids);
	memset(l, 0, sizeof(*l));
}

int local_add(struct local *l, const char *name, long long id)
{
	char **n = realloc(l->names, (l->nnames + 1) * sizeof(*n));
	long long *i = realloc(l->ids, (l->nids + 1) * sizeof(*i));
	if (n)
		l->names = n;
	if (i)
		l->ids = i;
	if (!n || !i || !(l->names[l->nnames] = strdup(name)))
		return -1;
	l->nnames++;
	l->ids[l->nids++] = id;
	return 0;
}

int local_load(struct local *l, const char *path, bool group, struct sosafe_err *e)
{
	memset(l, 0, sizeof(*l));
	FILE *f = fopen(path, "re");
	if (!f) {
		if (errno == ENOENT)
			return 0;
		return err_set(e, "%s: %s", path, strerror(errno));
	}
	int rc = 0;
	if (group) {
		struct group *g;
		while ((g = fgetgrent(f)))
			if (local_add(l, g->gr_name, g->gr_gid)) {
				rc = -1;
				break;
			}
	} else {
		struct passwd *p;
		while ((p = fgetpwent(f)))
			if (local_add(l, p->pw_name, p->pw_uid)) {
				rc = -1;
				break;
			}
	}
	fclose(f);
	if (rc)
		return err_set(e, "out of memory");
	if (l->nnames) /* qsort/bsearch must not get a NULL base, even with 0 members */
		qsort(l->names, l->nnames, sizeof(char *), cmp_str);
	if (l->nids)
		qsort(l->ids, l->nids, sizeof(long long), cmp_ll);
	return 0;
}

bool local_has_name(const struct local *l, const char *name)
{
	return l->nnames && bsearch(&name, l->names, l->nnames, sizeof(char *), cmp_str) != NULL;
}

bool local_has_id(const struct local *l, long long id)
{
	return l->nids && bsearch(&id, l->ids, l->nids, sizeof(long long), cmp_ll) != NULL;
}
