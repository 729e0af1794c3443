/* The attribute map (ldap_attr_*): which attributes of the server's
 * entries stand for the name, ids, gecos, home, shell, stable id and
 * membership, each a list tried in order; and the attributes a search
 * asks for. */
#include <config.h>
#include "pull_parts.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "base/util.h"

static bool attr_name_ok(const char *a)
{
	if (!*a || strlen(a) > 64)
		return false;
	for (; *a; a++)
		if (!(isalnum((unsigned char)*a) || *a == '-' || *a == ';' || *a == '.'))
			return false;
	return true;
}

/* Split a comma-separated list of attribute names into L (copies in M). */
static int split_list(struct attrmap *m, size_t *used, const char *key, const char *val,
		      struct attrlist *l, bool required, struct sosafe_err *e)
{
	l->n = 0;
	size_t len = strlen(val);
	if (*used + len + 1 > sizeof(m->buf))
		return err_set(e, "%s: too long", key);
	char *copy = m->buf + *used;
	memcpy(copy, val, len + 1);
	*used += len + 1;
	char *save = NULL;
	for (char *t = strtok_r(copy, ", \t", &save); t; t = strtok_r(NULL, ", \t", &save)) {
		if (!attr_name_ok(t))
			return err_set(e, "%s: '%s' is not an attribute name", key, t);
		if (l->n == LIST_MAX)
			return err_set(e, "%s: at most %d attributes", key, LIST_MAX);
		l->v[l->n++] = t;
	}
	if (required && !l->n)
		return err_set(e, "%s may not be empty", key);
	return 0;
}

static void req_add(const char **req, size_t cap, const struct attrlist *l)
{
	size_t n = 0;
	while (req[n])
		n++;
	for (size_t i = 0; i < l->n && n + 1 < cap; i++) {
		bool have = false;
		for (size_t k = 0; k < n && !have; k++)
			have = !strcasecmp(req[k], l->v[i]);
		if (!have)
			req[n++] = l->v[i];
	}
	req[n] = NULL;
}

int map_build(const struct sosafe_config *cfg, struct attrmap *m, struct sosafe_err *e)
{
	memset(m, 0, sizeof(*m));
	size_t used = 0;
	if (split_list(m, &used, "ldap_attr_name", cfg->ldap_attr_name, &m->name, true, e) ||
	    split_list(m, &used, "ldap_attr_group_name", cfg->ldap_attr_group_name, &m->gname, true, e) ||
	    split_list(m, &used, "ldap_attr_uid", cfg->ldap_attr_uid, &m->uid, false, e) ||
	    split_list(m, &used, "ldap_attr_gid", cfg->ldap_attr_gid, &m->gid, false, e) ||
	    split_list(m, &used, "ldap_attr_gecos", cfg->ldap_attr_gecos, &m->gecos, false, e) ||
	    split_list(m, &used, "ldap_attr_home", cfg->ldap_attr_home, &m->home, false, e) ||
	    split_list(m, &used, "ldap_attr_shell", cfg->ldap_attr_shell, &m->shell, false, e) ||
	    split_list(m, &used, "ldap_attr_id", cfg->ldap_attr_id, &m->id, false, e) ||
	    split_list(m, &used, "ldap_attr_member_of", cfg->ldap_attr_member_of, &m->member_of,
		       false, e) ||
	    split_list(m, &used, "ldap_attr_member", cfg->ldap_attr_member, &m->member, false, e))
		return -1;
	/* AD: primaryGroupID of users, objectSid of groups (their RID) */
	static const struct attrlist ad = { { "objectClass", "userAccountControl", "accountExpires",
					      "primaryGroupID" }, 4 };
	static const struct attrlist oc = { { "objectClass", "objectSid" }, 2 };
	const struct attrlist *u[] = { &ad, &m->name, &m->uid, &m->gid, &m->gecos, &m->home,
				       &m->shell, &m->id, &m->member_of };
	for (size_t i = 0; i < ARRAY_SIZE(u); i++)
		req_add(m->user_req, ARRAY_SIZE(m->user_req), u[i]);
	const struct attrlist *g[] = { &oc, &m->gname, &m->gid, &m->member, &m->member_of };
	for (size_t i = 0; i < ARRAY_SIZE(g); i++)
		req_add(m->group_req, ARRAY_SIZE(m->group_req), g[i]);
	return 0;
}

struct berval **first_of(LDAP *ld, LDAPMessage *e, const struct attrlist *l, const char **which)
{
	for (size_t i = 0; i < l->n; i++) {
		struct berval **v = ldap_get_values_len(ld, e, l->v[i]);
		if (v && v[0]) {
			if (which)
				*which = l->v[i];
			return v;
		}
		ldap_value_free_len(v);
	}
	return NULL;
}
