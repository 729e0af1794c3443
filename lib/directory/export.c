/* A directory export as one model: the format is told by the first
 * byte, the reader fills users and groups, then membership is resolved to
 * names both ways and duplicates (names, ids, stable ids) are refused.
 * Also the name rule and the model's memory. */
#include <config.h>
#include "directory/parse.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_EXPORT (1024L * 1024 * 1024)

int fail_at(struct sosafe_err *e, unsigned line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	err_setv(e, fmt, ap);
	va_end(ap);
	return line ? err_prefix(e, "line %u", line) : -1;
}

bool directory_name_ok(const char *name)
{
	size_t n = strlen(name);
	bool digits = true;
	if (n == 0 || n > 32 || name[0] == '-' || name[0] == '.')
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];
		if (!isascii(c) || !(isalnum(c) || c == '.' || c == '_' || c == '-'))
			return false;
		if (!isdigit(c))
			digits = false;
	}
	return !digits;
}

char *dir_strndup(const char *s, size_t n)
{
	char *p = malloc(n + 1);
	if (p) {
		memcpy(p, s, n);
		p[n] = 0;
	}
	return p;
}

int push_str(char ***arr, size_t *n, const char *s)
{
	char **a = realloc(*arr, (*n + 1) * sizeof(char *));
	if (!a)
		return -1;
	*arr = a;
	if (!(a[*n] = strdup(s)))
		return -1;
	(*n)++;
	return 0;
}

void free_strs(char **a, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(a[i]);
	free(a);
}

void directory_free(struct directory *d)
{
	for (size_t i = 0; i < d->nusers; i++) {
		struct dir_user *u = &d->users[i];
		free(u->name);
		free(u->dn);
		free(u->gecos);
		free(u->home);
		free(u->shell);
		free(u->ext_id);
		free(u->held);
		free_strs(u->groups, u->ngroups);
	}
	for (size_t i = 0; i < d->ngroups; i++) {
		free(d->groups[i].name);
		free(d->groups[i].dn);
		free_strs(d->groups[i].members, d->groups[i].nmembers);
	}
	free(d->users);
	free(d->groups);
	memset(d, 0, sizeof(*d));
}

void lower(char *s)
{
	for (; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

int parse_id(const char *v, long long *out)
{
	char *end;
	if (!isdigit((unsigned char)v[0]))
		return -1;
	errno = 0;
	unsigned long long n = strtoull(v, &end, 10);
	if (errno || *end || n < 1000 || n >= 4294967295ULL || n == 65534)
		return -1;
	*out = (long long)n;
	return 0;
}

/* ---- after parsing: resolve DNs, check duplicates ------------------------- */

/* The group entry of the export with that DN, or NULL. A DN outside the
 * export names no group here: its first RDN ("CN=sosafe-users,OU=Elsewhere")
 * may be any group of the forest, so it is not read as a name. */
static const struct dir_group *group_by_dn(const struct directory *d, const char *dn)
{
	for (size_t i = 0; i < d->ngroups; i++)
		if (d->groups[i].dn && !strcasecmp(d->groups[i].dn, dn))
			return &d->groups[i];
	return NULL;
}

int directory_entitled(const struct directory *d, const struct sosafe_config *cfg,
		       const char **name, struct sosafe_err *e)
{
	*name = cfg->entitled_group;
	if (!d->by_dn)
		return 0;   /* the JSON form names groups, not DNs */
	if (cfg->entitled_group_dn[0]) {
		/* the group entry's name, or the DN itself as memberOf gives it */
		const struct dir_group *g = group_by_dn(d, cfg->entitled_group_dn);
		*name = g ? g->name : cfg->entitled_group_dn;
		return 0;
	}
	for (size_t i = 0; i < d->ngroups; i++)
		if (!strcasecmp(d->groups[i].name, cfg->entitled_group))
			return 0;
	return err_set(e, "entitled_group '%s' is no group entry of the export: membership "
		       "counts only for groups the export holds (export the group too, or "
		       "set entitled_group_dn)", cfg->entitled_group);
}

struct dupkey {
	const char *name;
	long long id;
	unsigned line;
};

static int cmp_dup_name(const void *a, const void *b)
{
	const struct dupkey *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	return c ? c : (x->line > y->line) - (x->line < y->line);
}

static int cmp_dup_id(const void *a, const void *b)
{
	const struct dupkey *x = a, *y = b;
	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return (x->line > y->line) - (x->line < y->line);
}

/* Names and ids of one kind (users or groups) must be unique. */
static int dup_scan(struct dupkey *k, size_t n, const char *what, const char *idname,
		    struct sosafe_err *e)
{
	qsort(k, n, sizeof(*k), cmp_dup_name);
	for (size_t i = 1; i < n; i++)
		if (!strcmp(k[i].name, k[i - 1].name))
			return fail_at(e, k[i].line, "duplicate %s name '%s' (first at line %u)",
				    what, k[i].name, k[i - 1].line);
	qsort(k, n, sizeof(*k), cmp_dup_id);
	for (size_t i = 1; i < n; i++)
		if (k[i].id != DIR_NO_ID && k[i].id == k[i - 1].id)
			return fail_at(e, k[i].line, "duplicate %s %lld ('%s', and '%s' at line %u)",
				    idname, k[i].id, k[i].name, k[i - 1].name, k[i - 1].line);
	return 0;
}

static int check_duplicates(const struct directory *d, struct sosafe_err *e)
{
	size_t n = d->nusers > d->ngroups ? d->nusers : d->ngroups;
	struct dupkey *k = malloc((n + 1) * sizeof(*k));
	if (!k)
		return err_set(e, "out of memory");
	for (size_t i = 0; i < d->nusers; i++)
		k[i] = (struct dupkey){ d->users[i].name, d->users[i].uid, d->users[i].line };
	int r = dup_scan(k, d->nusers, "user", "uid", e);
	if (!r) {
		/* a stable identity names one account */
		size_t m = 0;
		for (size_t i = 0; i < d->nusers; i++)
			if (d->users[i].ext_id)
				k[m++] = (struct dupkey){ d->users[i].ext_id, 0, d->users[i].line };
		qsort(k, m, sizeof(*k), cmp_dup_name);
		for (size_t i = 1; i < m && !r; i++)
			if (!strcmp(k[i].name, k[i - 1].name))
				r = fail_at(e, k[i].line, "two users with the same stable id "
					 "(sosafeStableId %s, first at line %u)", k[i].name, k[i - 1].line);
	}
	if (!r) {
		for (size_t i = 0; i < d->ngroups; i++)
			k[i] = (struct dupkey){ d->groups[i].name, d->groups[i].gid, d->groups[i].line };
		r = dup_scan(k, d->ngroups, "group", "gid", e);
	}
	free(k);
	return r;
}

static int cmp_user_dn(const void *a, const void *b)
{
	return strcasecmp((*(const struct dir_user *const *)a)->dn,
			  (*(const struct dir_user *const *)b)->dn);
}

static int resolve(struct directory *d, bool ldif, struct sosafe_err *e)
{
	if (ldif) {
		for (size_t i = 0; i < d->nusers; i++) {
			struct dir_user *u = &d->users[i];
			/* a DN outside the export stays a DN: never a group name
			 * (names have no '=' or ','), matched only by entitled_group_dn */
			for (size_t k = 0; k < u->ngroups; k++) {
				const struct dir_group *g = group_by_dn(d, u->groups[k]);
				if (!g)
					continue;
				char *n = strdup(g->name);
				if (!n)
					return err_set(e, "out of memory");
				free(u->groups[k]);
				u->groups[k] = n;
			}
		}
		/* member DNs -> user names through a sorted index of user DNs */
		const struct dir_user **byd = malloc((d->nusers + 1) * sizeof(*byd)); /* NOLINT(bugprone-sizeof-expression): an array of pointers, so the element size is sizeof(pointer) */
		size_t nbyd = 0;
		if (!byd)
			return err_set(e, "out of memory");
		for (size_t i = 0; i < d->nusers; i++)
			if (d->users[i].dn)
				byd[nbyd++] = &d->users[i];
		qsort(byd, nbyd, sizeof(*byd), cmp_user_dn); /* NOLINT(bugprone-sizeof-expression): an array of pointers, so the element size is sizeof(pointer) */
		for (size_t g = 0; g < d->ngroups; g++) {
			struct dir_group *gr = &d->groups[g];
			size_t out = 0;
			for (size_t k = 0; k < gr->nmembers; k++) {
				struct dir_user key = { .dn = gr->members[k] };
				const struct dir_user *kp = &key, **hit =
					bsearch(&kp, byd, nbyd, sizeof(*byd), cmp_user_dn); /* NOLINT(bugprone-sizeof-expression): an array of pointers, so the element size is sizeof(pointer) */
				const char *name = hit ? (*hit)->name : NULL;
				char *keep = name ? strdup(name) : NULL;
				free(gr->members[k]);
				if (keep)
					gr->members[out++] = keep;   /* members outside the export drop out */
			}
			gr->nmembers = out;
		}
		free(byd);
	}
	/* duplicates, by sorting (exports of 100k users stay fast) */
	return check_duplicates(d, e);
}

int directory_parse(const char *text, size_t len, struct directory *d, struct sosafe_err *e)
{
	return directory_parse_flags(text, len, d, 0, e);
}

int directory_parse_flags(const char *text, size_t len, struct directory *d, unsigned flags,
			  struct sosafe_err *e)
{
	memset(d, 0, sizeof(*d));
	d->flags = flags;
	size_t i = 0;
	while (i < len && isspace((unsigned char)text[i]))
		i++;
	bool json = i < len && text[i] == '{';
	d->by_dn = !json;
	int r = json ? parse_json(text, len, d, e) : parse_ldif(text, len, d, e);
	if (r == 0)
		r = resolve(d, !json, e);
	if (r)
		directory_free(d);
	return r;
}

int directory_parse_file(const char *path, struct directory *d, struct sosafe_err *e)
{
	memset(d, 0, sizeof(*d));
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_set(e, "%s: %s", path, strerror(errno));
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > MAX_EXPORT) {
		close(fd);
		return err_set(e, "%s: not a regular file of at most 1 GiB", path);
	}
	size_t len = (size_t)st.st_size;
	char *buf = malloc(len + 1);
	if (!buf) {
		close(fd);
		return err_set(e, "out of memory");
	}
	size_t got = 0;
	while (got < len) {
		ssize_t n = read(fd, buf + got, len - got);
		if (n <= 0) {
			int why = n < 0 ? errno : EIO;
			free(buf);
			close(fd);
			return err_set(e, "%s: read: %s", path, strerror(why));
		}
		got += (size_t)n;
	}
	close(fd);
	buf[len] = 0;
	int r = directory_parse(buf, len, d, e);
	free(buf);
	if (r)
		err_prefix(e, "%s", path);
	return r;
}
