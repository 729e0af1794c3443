/* Group membership as the directory nests it: a user is a member of
 * their direct groups, of their AD primary group (primaryGroupID, left
 * out of memberOf) and of every group those are nested in, resolved from
 * the groups' own memberOf so it works against any server that fills
 * memberOf (AD, or slapd's memberof overlay). */
#include <config.h>
#include "pull_parts.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define NEST_MAX 32          /* nesting depth followed for memberOf */

void nests_free(struct nests *ns)
{
	for (size_t i = 0; i < ns->n; i++) {
		free(ns->v[i].dn);
		for (size_t k = 0; k < ns->v[i].nparents; k++)
			free(ns->v[i].parents[k]);
		free(ns->v[i].parents);
	}
	free(ns->v);
	for (size_t i = 0; i < ns->nrids; i++)
		free(ns->rids[i].dn);
	free(ns->rids);
	memset(ns, 0, sizeof(*ns));
}

static const struct nest *nest_find(const struct nests *ns, const char *dn)
{
	for (size_t i = 0; i < ns->n; i++)
		if (!strcasecmp(ns->v[i].dn, dn))
			return &ns->v[i];
	return NULL;
}

static bool dnlist_has(const struct dnlist *l, const char *dn)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcasecmp(l->v[i], dn))
			return true;
	return false;
}

static int dnlist_add(struct dnlist *l, const char *dn)
{
	if (dnlist_has(l, dn))
		return 0;
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 8;
		char **v = realloc(l->v, cap * sizeof(*v));
		if (!v)
			return -1;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n] = strdup(dn);
	return l->v[l->n] ? (l->n++, 0) : -1;
}

void dnlist_free(struct dnlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

/* The RID of a domain account's binary objectSid (S-1-5-21-a-b-c-RID);
 * false for anything else (BUILTIN groups are S-1-5-32-RID). */
static bool domain_rid(const struct berval *sid, uint32_t *rid)
{
	const unsigned char *p = (const unsigned char *)sid->bv_val;
	if (sid->bv_len != 8 + 4 * 5 || p[0] != 1 || p[1] != 5 || p[2] || p[3] || p[4] || p[5] ||
	    p[6] || p[7] != 5 || p[8] != 21 || p[9] || p[10] || p[11])
		return false;
	p += 8 + 4 * 4;
	*rid = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
	return true;
}

/* AD leaves a user's primary group (primaryGroupID, the group's RID) out
 * of memberOf and of the group's member: its DN, if the group was pulled. */
const char *primary_group(const struct nests *ns, LDAP *ld, LDAPMessage *e)
{
	struct berval **v = ldap_get_values_len(ld, e, "primaryGroupID");
	const char *dn = NULL;
	if (v && v[0] && v[0]->bv_len > 0 && v[0]->bv_len < 11) {
		char buf[12];
		memcpy(buf, v[0]->bv_val, v[0]->bv_len);
		buf[v[0]->bv_len] = 0;
		char *end;
		errno = 0;
		unsigned long rid = strtoul(buf, &end, 10);
		for (size_t i = 0; !errno && !*end && i < ns->nrids && !dn; i++)
			if (ns->rids[i].rid == rid)
				dn = ns->rids[i].dn;
	}
	ldap_value_free_len(v);
	return dn;
}

/* The user's direct groups (and PRIMARY, if any) plus every group they are
 * nested in (resolved here from the groups' own memberOf, so it works
 * against any server that fills memberOf, AD or slapd's memberof overlay). */
int expand_groups(const struct nests *ns, struct berval **direct, const char *primary,
			 struct dnlist *out)
{
	if (primary && dnlist_add(out, primary))
		return -1;
	for (size_t i = 0; direct && direct[i]; i++) {
		char *dn = strndup(direct[i]->bv_val, direct[i]->bv_len);
		int r = dn ? dnlist_add(out, dn) : -1;
		free(dn);
		if (r)
			return -1;
	}
	size_t from = 0;
	for (int depth = 0; depth < NEST_MAX && from < out->n; depth++) {
		size_t to = out->n;
		for (size_t i = from; i < to; i++) {
			const struct nest *g = nest_find(ns, out->v[i]);
			for (size_t k = 0; g && k < g->nparents; k++)
				if (dnlist_add(out, g->parents[k]))
					return -1;
		}
		from = to;
	}
	return 0;
}

/* Group pass: remember the group's RID (binary objectSid, not written out) */
int note_rid(struct nests *ns, const char *dn, struct berval **vals)
{
	uint32_t rid;
	if (!vals || !vals[0] || !domain_rid(vals[0], &rid))
		return 0;
	struct rid_dn *r = realloc(ns->rids, (ns->nrids + 1) * sizeof(*r));
	if (!r)
		return -1;
	ns->rids = r;
	r[ns->nrids].rid = rid;
	r[ns->nrids].dn = strdup(dn);
	return r[ns->nrids].dn ? (ns->nrids++, 0) : -1;
}

int record_nesting(struct nests *ns, const char *dn, struct berval **vals)
{
	if (!vals || !vals[0])
		return 0;
	struct nest *v = realloc(ns->v, (ns->n + 1) * sizeof(*v));
	if (!v)
		return -1;
	ns->v = v;
	struct nest *g = &v[ns->n];
	memset(g, 0, sizeof(*g));
	struct dnlist l = { 0 };
	int ret = 0;
	for (size_t i = 0; vals[i] && !ret; i++) {
		char *p = strndup(vals[i]->bv_val, vals[i]->bv_len);
		ret = p ? dnlist_add(&l, p) : -1;
		free(p);
	}
	g->dn = strdup(dn);
	g->parents = l.v;
	g->nparents = l.n;
	ns->n++;
	return ret || !g->dn ? -1 : 0;
}
