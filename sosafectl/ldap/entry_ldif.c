/* One directory entry as LDIF under the canonical (AD) attribute names
 * that directory_parse() reads, whatever the attribute map says: a pull
 * is then checked exactly like an export file. */
#include <config.h>
#include "pull_parts.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "directory/directory.h"

/* "attr: value" when the value is plain printable ASCII (the common case:
 * no decoding needed), else "attr:: base64"; one fwrite per line. */
static void put_b64(struct search_ctx *c, const char *attr, const char *v, size_t n)
{
	static const char tab[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *p = (const unsigned char *)v;
	bool plain = n > 0 && n < 4096 && p[0] != ' ' && p[0] != ':' && p[0] != '<' &&
		     p[n - 1] != ' ';
	for (size_t i = 0; i < n && plain; i++)
		plain = p[i] >= 0x20 && p[i] < 0x7f;
	size_t alen = strlen(attr);
	size_t need = alen + 4 + (plain ? n : 4 * ((n + 2) / 3)) + 1;
	char stackbuf[2048];
	char *buf = need <= sizeof(stackbuf) ? stackbuf : malloc(need);
	if (!buf) {
		c->oom = true;       /* entry_write() fails the pull */
		return;
	}
	/* an LDIF line ending in '\n', not a C string: no NUL wanted */
	memcpy(buf, attr, alen); // NOLINT(bugprone-not-null-terminated-result)
	size_t o = alen;
	if (plain) {
		buf[o++] = ':';
		buf[o++] = ' ';
		memcpy(buf + o, v, n);
		o += n;
	} else {
		buf[o++] = ':';
		buf[o++] = ':';
		buf[o++] = ' ';
		size_t i = 0;
		for (; i + 2 < n; i += 3) {
			unsigned x = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8 | p[i + 2];
			buf[o++] = tab[x >> 18];
			buf[o++] = tab[(x >> 12) & 63];
			buf[o++] = tab[(x >> 6) & 63];
			buf[o++] = tab[x & 63];
		}
		if (i < n) {
			unsigned x = (unsigned)p[i] << 16 | (i + 1 < n ? (unsigned)p[i + 1] << 8 : 0);
			buf[o++] = tab[x >> 18];
			buf[o++] = tab[(x >> 12) & 63];
			if (i + 1 < n)
				buf[o++] = tab[(x >> 6) & 63];
			else
				buf[o++] = '=';
			buf[o++] = '=';
		}
	}
	buf[o++] = '\n';
	fwrite(buf, 1, o, c->out);
	if (buf != stackbuf)
		free(buf);
}

static void put_first(struct search_ctx *c, const char *canon, struct berval **v)
{
	if (v && v[0])
		put_b64(c, canon, v[0]->bv_val, v[0]->bv_len);
}

int entry_write(LDAP *ld, LDAPMessage *e, struct search_ctx *c)
{
	char *dn = ldap_get_dn(ld, e);
	if (!dn)
		return -1;
	if (c->collect) {
		if (c->collect->n == c->collect->cap) {
			size_t cap = c->collect->cap ? 2 * c->collect->cap : 64;
			char **v = realloc(c->collect->v, cap * sizeof(*v));
			if (!v) {
				ldap_memfree(dn);
				return -1;
			}
			c->collect->v = v;
			c->collect->cap = cap;
		}
		c->collect->v[c->collect->n++] = dn;
		c->entries++;
		return 0;
	}
	const struct attrmap *m = c->m;
	FILE *f = c->out;
	int ret = 0;
	put_b64(c, "dn", dn, strlen(dn));
	struct berval **v = ldap_get_values_len(ld, e, "objectClass");
	for (size_t i = 0; v && v[i]; i++)
		put_b64(c, "objectClass", v[i]->bv_val, v[i]->bv_len);
	ldap_value_free_len(v);
	/* the search it came from says what it is (groupOfNames, posixAccount...) */
	fprintf(f, "objectClass: %s\n", c->groups ? "group" : "user");
	v = first_of(ld, e, c->groups ? &m->gname : &m->name, NULL);
	put_first(c, "sAMAccountName", v);
	ldap_value_free_len(v);
	v = first_of(ld, e, &m->gid, NULL);
	put_first(c, "gidNumber", v);
	ldap_value_free_len(v);
	struct berval **mo = first_of(ld, e, &m->member_of, NULL);
	if (c->groups) {
		v = first_of(ld, e, &m->member, NULL);
		for (size_t i = 0; v && v[i]; i++)
			put_b64(c, "member", v[i]->bv_val, v[i]->bv_len);
		ldap_value_free_len(v);
		ret = record_nesting(c->ns, dn, mo);
		v = ldap_get_values_len(ld, e, "objectSid");
		if (!ret)
			ret = note_rid(c->ns, dn, v);
		ldap_value_free_len(v);
	} else {
		static const struct {
			size_t off;
			const char *canon;
		} one[] = {
			{ offsetof(struct attrmap, uid), "uidNumber" },
			{ offsetof(struct attrmap, gecos), "gecos" },
			{ offsetof(struct attrmap, home), "unixHomeDirectory" },
			{ offsetof(struct attrmap, shell), "loginShell" },
		};
		for (size_t k = 0; k < ARRAY_SIZE(one); k++) {
			v = first_of(ld, e, (const struct attrlist *)((const char *)m + one[k].off), NULL);
			put_first(c, one[k].canon, v);
			ldap_value_free_len(v);
		}
		v = ldap_get_values_len(ld, e, "accountExpires");
		put_first(c, "accountExpires", v);
		ldap_value_free_len(v);
		v = ldap_get_values_len(ld, e, "userAccountControl");
		if (c->disabled && dnset_has(c->disabled, dn)) {
			unsigned long uac = 514;
			if (v && v[0]) {
				char num[32];
				snprintf(num, sizeof(num), "%.*s", (int)v[0]->bv_len, v[0]->bv_val);
				uac = strtoul(num, NULL, 10) | 2;
			}
			fprintf(f, "userAccountControl: %lu\n", uac);
		} else {
			put_first(c, "userAccountControl", v);
		}
		ldap_value_free_len(v);
		const char *which = NULL;
		v = first_of(ld, e, &m->id, &which);
		if (v) {
			char id[300];
			if (directory_stable_id(which, v[0]->bv_val, v[0]->bv_len, id, sizeof(id)) == 0)
				fprintf(f, "sosafeStableId: %s\n", id);
			else
				ret = 1;
		}
		ldap_value_free_len(v);
		struct dnlist l = { 0 };
		if (ret == 0 && expand_groups(c->ns, mo, primary_group(c->ns, ld, e), &l))
			ret = -1;
		for (size_t i = 0; i < l.n && ret == 0; i++)
			put_b64(c, "memberOf", l.v[i], strlen(l.v[i]));
		dnlist_free(&l);
	}
	ldap_value_free_len(mo);
	fputc('\n', f);
	if (ret == 1)
		ret = -2;
	else if (ret == 0 && c->oom)
		ret = -1;
	ldap_memfree(dn);
	c->entries++;
	if (c->prog) {
		if (c->groups)
			c->prog->groups++;
		else
			c->prog->users++;
	}
	return ret;
}

/* One subtree search, Simple Paged Results of cfg->ldap_page_size. */
