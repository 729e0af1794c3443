/* Paged subtree searches (Simple Paged Results of ldap_page_size), the
 * set of disabled DNs, and the progress line on a terminal. */
#include <config.h>
#include "pull_parts.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int cmp_dn(const void *a, const void *b)
{
	return strcasecmp(*(char *const *)a, *(char *const *)b);
}

bool dnset_has(struct dnset *s, const char *dn)
{
	if (!s->n)
		return false;
	if (!s->sorted) {
		qsort(s->v, s->n, sizeof(char *), cmp_dn);
		s->sorted = true;
	}
	return bsearch(&dn, s->v, s->n, sizeof(char *), cmp_dn) != NULL;
}

void dnset_free(struct dnset *s)
{
	for (size_t i = 0; i < s->n; i++)
		ldap_memfree(s->v[i]);
	free(s->v);
	memset(s, 0, sizeof(*s));
}

void progress_show(struct progress *p, bool final)
{
	if (!p->on)
		return;
	time_t now = time(NULL);
	if (!final && p->pages > 1 && now == p->last)
		return;
	p->last = now;
	char bar[32] = "";
	if (p->estimate > 0) {
		long long done = (long long)p->users;
		int fill = done >= p->estimate ? 20 : (int)(20 * done / p->estimate);
		memset(bar, '#', (size_t)fill);
		memset(bar + fill, '-', (size_t)(20 - fill));
		bar[20] = 0;
	}
	fprintf(stderr, "\r\033[Ksync: %zu group(s), %zu user(s), %zu page(s)%s%s%s", p->groups,
		p->users, p->pages, bar[0] ? " [" : "", bar, bar[0] ? "]" : "");
	if (final)
		fputs("\r\033[K", stderr);
	fflush(stderr);
}

int search_paged(LDAP *ld, const struct sosafe_config *cfg, const char *filter,
			const char *const *attrs, struct search_ctx *c, size_t *pages, struct sosafe_err *e)
{
	struct berval *cookie = NULL;
	struct timeval tv = { .tv_sec = cfg->ldap_timeout };
	char why[512];
	do {
		LDAPControl *pc = NULL;
		int rc = ldap_create_page_control(ld, (ber_int_t)cfg->ldap_page_size, cookie, 1, &pc);
		ber_bvfree(cookie);
		cookie = NULL;
		if (rc != LDAP_SUCCESS)
			return err_set(e, "cannot build the paged results control");
		LDAPControl *sctrls[] = { pc, NULL };
		LDAPMessage *res = NULL;
		rc = ldap_search_ext_s(ld, cfg->ldap_base, LDAP_SCOPE_SUBTREE, filter,
				       (char **)attrs, 0, sctrls, NULL, &tv, 0, &res);
		ldap_control_free(pc);
		if (rc != LDAP_SUCCESS) {
			ldap_reason(ld, rc, why, sizeof(why));
			ldap_msgfree(res);
			return err_set(e, "search %s under %s: %s", filter, cfg->ldap_base, why);
		}
		(*pages)++;
		for (LDAPMessage *m = ldap_first_entry(ld, res); m; m = ldap_next_entry(ld, m)) {
			int r = entry_write(ld, m, c);
			if (r == -1) {
				ldap_msgfree(res);
				return err_set(e, "out of memory");
			}
			if (r == -2) {
				ldap_msgfree(res);
				return err_set(e, "an entry under %s has a malformed stable id "
					    "(ldap_attr_id)", cfg->ldap_base);
			}
		}
		int code = 0;
		LDAPControl **rctrls = NULL;
		rc = ldap_parse_result(ld, res, &code, NULL, NULL, NULL, &rctrls, 1);
		if (rc != LDAP_SUCCESS || code != LDAP_SUCCESS) {
			ldap_controls_free(rctrls);
			return err_set(e, "search %s: %s", filter,
				    ldap_err2string(rc != LDAP_SUCCESS ? rc : code));
		}
		LDAPControl *rc_page = ldap_control_find(LDAP_CONTROL_PAGEDRESULTS, rctrls, NULL);
		if (rc_page) {
			ber_int_t estimate = 0;
			struct berval ck = { 0, NULL };
			if (ldap_parse_pageresponse_control(ld, rc_page, &estimate, &ck) == LDAP_SUCCESS &&
			    ck.bv_len > 0)
				cookie = ber_bvdup(&ck);
			ber_memfree(ck.bv_val);
			if (c->prog && !c->groups && !c->collect)
				c->prog->estimate = estimate;
		}
		ldap_controls_free(rctrls);
		if (c->prog && !c->collect) {
			c->prog->pages++;
			progress_show(c->prog, false);
		}
	} while (cookie);
	return 0;
}
