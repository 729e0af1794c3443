/* The LDIF reader (RFC 2849, as ldapsearch prints Active Directory
 * entries, and as the live pull writes them): entries of objectClass
 * user/person/posixAccount and group/posixGroup, with AD semantics
 * (userAccountControl, accountExpires, memberOf). Everything is checked
 * at the edge; an error names the line. */
#include <config.h>
#include "directory/parse.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/base64.h"
#include "base/util.h"

struct ldif_entry {
	unsigned line;
	char *dn;
	bool is_user, is_group, is_computer;
	char *sam, *uid, *gid, *uac, *expires, *display, *cn, *home, *shell, *gecos, *ext_id;
	char *sid, *guid, *uuid;   /* stable ids read from the entry itself */
	unsigned sam_line, uid_line, gid_line, uac_line, exp_line, ext_line, home_line, shell_line;
	unsigned id_line;          /* a malformed objectSid or objectGUID (0: none) */
	char **member_of;
	size_t nmember_of;
	char **member;
	size_t nmember;
};

static void entry_clear(struct ldif_entry *e)
{
	free(e->dn);
	free(e->sam);
	free(e->uid);
	free(e->gid);
	free(e->uac);
	free(e->expires);
	free(e->display);
	free(e->cn);
	free(e->home);
	free(e->shell);
	free(e->gecos);
	free(e->ext_id);
	free(e->sid);
	free(e->guid);
	free(e->uuid);
	free_strs(e->member_of, e->nmember_of);
	free_strs(e->member, e->nmember);
	memset(e, 0, sizeof(*e));
}

/* Set a single-valued attribute once. */
static int set_once(char **slot, unsigned *lslot, char *v, unsigned line, const char *attr,
		    struct sosafe_err *err)
{
	if (*slot) {
		free(v);
		return fail_at(err, line, "%s given twice in one entry", attr);
	}
	*slot = v;
	if (lslot)
		*lslot = line;
	return 0;
}

/* Windows FILETIME (100 ns since 1601) to unix time; 0 = never. */
static int parse_filetime(const char *v, int64_t *out)
{
	char *end;
	errno = 0;
	if (v[0] == '-' && !strcmp(v, "-1")) {    /* some tools print "never" as -1 */
		*out = 0;
		return 0;
	}
	if (!isdigit((unsigned char)v[0]))
		return -1;
	unsigned long long n = strtoull(v, &end, 10);
	if (errno || *end)
		return -1;
	if (n == 0 || n >= 0x7FFFFFFFFFFFFFFFULL) {
		*out = 0;
		return 0;
	}
	long long t = (long long)(n / 10000000ULL) - 11644473600LL;
	*out = t <= 0 ? 1 : t;   /* a date before 1970 is simply "passed" */
	return 0;
}

static int add_entry(struct directory *d, struct ldif_entry *e, struct sosafe_err *err)
{
	if (!e->dn) {
		if (e->sam)
			return fail_at(err, e->line, "entry without dn");
		return 0;   /* "search:"/"result:" trailers and the like */
	}
	if (e->is_computer || !(e->is_user || e->is_group))
		return 0;
	if (!e->sam)
		return fail_at(err, e->line, "entry %s has no sAMAccountName", e->dn);
	lower(e->sam);
	/* AD's own groups ("Domain Users") have names no Unix group may have:
	 * they are kept for membership, and published only if they are safe */
	if (e->is_user && !directory_name_ok(e->sam) && (d->flags & DIR_PARSE_SKIP_UNSAFE)) {
		if (!d->skipped_unsafe++)
			d->skipped_line = e->sam_line;
		return 0;
	}
	if (e->is_user && !directory_name_ok(e->sam))
		return fail_at(err, e->sam_line,
			    "sAMAccountName is not a safe Unix name (1-32 of A-Z a-z 0-9 . _ -, "
			    "not starting with - or ., not all digits)");
	long long uid = DIR_NO_ID, gid = DIR_NO_ID;
	if (e->uid && parse_id(e->uid, &uid))
		return fail_at(err, e->uid_line, "uidNumber must be 1000..4294967294 (not 65534)");
	if (e->gid && parse_id(e->gid, &gid))
		return fail_at(err, e->gid_line, "gidNumber must be 1000..4294967294 (not 65534)");
	if (e->is_group) {
		if (!e->sam[0])
			return fail_at(err, e->sam_line, "group %s has an empty sAMAccountName",
				    e->dn);
		struct dir_group *g = realloc(d->groups, (d->ngroups + 1) * sizeof(*g));
		if (!g)
			return err_set(err, "out of memory");
		d->groups = g;
		g = &g[d->ngroups++];
		memset(g, 0, sizeof(*g));
		g->name = e->sam;
		e->sam = NULL;
		g->dn = e->dn;
		e->dn = NULL;
		g->gid = gid;
		g->line = e->line;
		/* members stay DNs until resolve() */
		g->members = e->member;
		g->nmembers = e->nmember;
		e->member = NULL;
		e->nmember = 0;
		return 0;
	}
	struct dir_user *u = realloc(d->users, (d->nusers + 1) * sizeof(*u));
	if (!u)
		return err_set(err, "out of memory");
	d->users = u;
	u = &u[d->nusers++];
	memset(u, 0, sizeof(*u));
	u->line = e->line;
	u->name = e->sam;
	e->sam = NULL;
	u->dn = e->dn;
	e->dn = NULL;
	u->uid = uid;
	u->gid = gid;
	if (e->uac) {
		char *end;
		errno = 0;
		unsigned long v = strtoul(e->uac, &end, 10);
		if (errno || *end || !isdigit((unsigned char)e->uac[0]))
			return fail_at(err, e->uac_line, "userAccountControl is not a number");
		u->disabled = (v & 0x2) != 0;
	}
	if (e->expires && parse_filetime(e->expires, &u->expires))
		return fail_at(err, e->exp_line, "accountExpires is not a number");
	const char *gecos = e->gecos ? e->gecos : e->display ? e->display : e->cn;
	u->gecos = strdup(gecos ? gecos : "");
	if (u->gecos)
		field_neutralise(u->gecos);
	char *home = e->home, *shell = e->shell;
	e->home = e->shell = NULL;
	if (user_field(u, "unixHomeDirectory", &u->home, home, e->home_line, err) ||
	    user_field(u, "loginShell", &u->shell, shell, e->shell_line, err))
		return -1;
	if (e->ext_id && (!e->ext_id[0] || strlen(e->ext_id) > 200))
		return fail_at(err, e->ext_line, "sosafeStableId must be 1..200 bytes");
	/* what the live pull writes wins; else the entry's own objectSid,
	 * objectGUID or entryUUID, in the order of ldap_attr_id's default */
	char **id = e->ext_id ? &e->ext_id : e->sid ? &e->sid : e->guid ? &e->guid : &e->uuid;
	u->ext_id = *id;
	*id = NULL;
	if (e->id_line && !u->ext_id &&
	    directory_hold(u, err, "line %u: objectSid, objectGUID or entryUUID is malformed (no "
			   "stable identity)", e->id_line))
		return -1;
	u->groups = e->member_of;
	u->ngroups = e->nmember_of;
	e->member_of = NULL;
	e->nmember_of = 0;
	if (!u->gecos)
		return err_set(err, "out of memory");
	return 0;
}

static bool attr_is(const char *a, size_t n, const char *want)
{
	return strlen(want) == n && !strncasecmp(a, want, n);
}

static int ldif_attr(struct ldif_entry *e, const char *a, size_t an, char *v, unsigned line,
		     struct sosafe_err *err)
{
	if (attr_is(a, an, "dn")) {
		if (e->dn) {
			free(v);
			return fail_at(err, line, "second dn in one entry (missing blank line?)");
		}
		e->dn = v;
		e->line = line;
		return 0;
	}
	if (!e->dn && !attr_is(a, an, "version") && !attr_is(a, an, "search") &&
	    !attr_is(a, an, "result") && !attr_is(a, an, "ref") && !attr_is(a, an, "control")) {
		free(v);
		return fail_at(err, line, "attribute before the entry's dn");
	}
	if (attr_is(a, an, "objectClass")) {
		if (!strcasecmp(v, "user") || !strcasecmp(v, "person") ||
		    !strcasecmp(v, "posixAccount"))
			e->is_user = true;
		else if (!strcasecmp(v, "group") || !strcasecmp(v, "posixGroup"))
			e->is_group = true;
		else if (!strcasecmp(v, "computer"))
			e->is_computer = true;
		free(v);
		return 0;
	}
	if (attr_is(a, an, "entryUUID")) {
		char id[256];
		bool ok = directory_stable_id("entryUUID", v, strlen(v), id, sizeof(id)) == 0;
		free(v);
		if (!ok) {
			e->id_line = e->id_line ? e->id_line : line;
			return 0;
		}
		if (!(v = strdup(id)))
			return err_set(err, "out of memory");
		return set_once(&e->uuid, NULL, v, line, "entryUUID", err);
	}
#define ONE(name, slot, lslot) \
	if (attr_is(a, an, name)) return set_once(&e->slot, lslot, v, line, name, err)
	ONE("sAMAccountName", sam, &e->sam_line);
	ONE("uidNumber", uid, &e->uid_line);
	ONE("gidNumber", gid, &e->gid_line);
	ONE("userAccountControl", uac, &e->uac_line);
	ONE("accountExpires", expires, &e->exp_line);
	ONE("displayName", display, NULL);
	ONE("cn", cn, NULL);
	ONE("unixHomeDirectory", home, &e->home_line);
	ONE("loginShell", shell, &e->shell_line);
	ONE("gecos", gecos, NULL);
	ONE("sosafeStableId", ext_id, &e->ext_line);
#undef ONE
	int r = 0;
	if (attr_is(a, an, "memberOf"))
		r = push_str(&e->member_of, &e->nmember_of, v);
	else if (attr_is(a, an, "member"))
		r = push_str(&e->member, &e->nmember, v);
	free(v);
	return r ? err_set(err, "out of memory") : 0;
}

/* What the reader does with an attribute's value. */
enum attr_kind {
	ATTR_IGNORED,   /* not read: binary or not, its value is skipped */
	ATTR_BINARY,    /* objectSid, objectGUID: a stable identity */
	ATTR_FIELD,     /* a passwd field (full name, home, shell): checked by field */
	ATTR_TEXT,      /* names, DNs, numbers: a control character refuses the export */
};

static enum attr_kind attr_kind(const char *a, size_t an)
{
	static const char *const text[] = {
		"dn", "objectClass", "sAMAccountName", "uidNumber", "gidNumber",
		"userAccountControl", "accountExpires", "sosafeStableId", "entryUUID",
		"memberOf", "member", "version", "search", "result", "ref", "control",
	};
	static const char *const field[] = {
		"displayName", "cn", "gecos", "unixHomeDirectory", "loginShell",
	};
	if (attr_is(a, an, "objectSid") || attr_is(a, an, "objectGUID"))
		return ATTR_BINARY;
	for (size_t i = 0; i < ARRAY_SIZE(field); i++)
		if (attr_is(a, an, field[i]))
			return ATTR_FIELD;
	for (size_t i = 0; i < ARRAY_SIZE(text); i++)
		if (attr_is(a, an, text[i]))
			return ATTR_TEXT;
	return ATTR_IGNORED;
}

/* objectSid or objectGUID as the live pull writes it (S-1-5-21-..., a GUID
 * in text); a malformed one is remembered and quarantines a user entry. */
static int binary_id(struct ldif_entry *e, const char *a, size_t an, char *v, size_t vlen,
		     unsigned line, struct sosafe_err *err)
{
	bool sid = attr_is(a, an, "objectSid");
	char id[256];
	int r = directory_stable_id(sid ? "objectSid" : "objectGUID", v, vlen, id, sizeof(id));
	free(v);
	if (!e->dn)
		return fail_at(err, line, "attribute before the entry's dn");
	if (r) {
		if (!e->id_line)
			e->id_line = line;
		return 0;
	}
	char *copy = strdup(id);
	if (!copy)
		return err_set(err, "out of memory");
	return set_once(sid ? &e->sid : &e->guid, NULL, copy, line, sid ? "objectSid" : "objectGUID",
			err);
}

/* One logical (unfolded) line. */
static int ldif_line(struct directory *d, struct ldif_entry *e, char *l, size_t n, unsigned line,
		     struct sosafe_err *err)
{
	if (n == 0)
		return 0;
	if (l[0] == '#')
		return 0;
	char *colon = memchr(l, ':', n);
	if (!colon || colon == l)
		return fail_at(err, line, "not an 'attribute: value' line");
	size_t an = (size_t)(colon - l);
	char *semi = memchr(l, ';', an);
	if (semi) {
		/* attribute options: ";binary" and language tags are harmless; a
		 * ";range=" means AD cut a long member list short */
		if (strncasecmp(semi, ";range=", 7) == 0 ||
		    (memchr(semi, '=', (size_t)(colon - semi)) != NULL))
			return fail_at(err, line,
				    "ranged attribute: the directory returned only part of a long "
				    "list; export with a tool that follows ranges");
		an = (size_t)(semi - l);
	}
	for (size_t i = 0; i < an; i++)
		if (!isalnum((unsigned char)l[i]) && l[i] != '-')
			return fail_at(err, line, "bad attribute name");
	enum attr_kind kind = attr_kind(l, an);
	if (kind == ATTR_IGNORED)   /* thumbnailPhoto, userCertificate, ...: never decoded */
		return e->dn ? 0 : fail_at(err, line, "attribute before the entry's dn");
	char *p = colon + 1, *end = l + n, *v;
	size_t vlen;
	if (p < end && *p == ':') {
		p++;
		while (p < end && *p == ' ')
			p++;
		unsigned flags = BASE64_LOOSE | (kind == ATTR_TEXT ? BASE64_TEXT : 0);
		v = base64_decode(p, (size_t)(end - p), flags, &vlen);
		if (!v)
			return fail_at(err, line, "bad base64 value (or a value with a NUL byte)");
	} else if (p < end && *p == '<') {
		return fail_at(err, line, "URL values (attr:< ...) are not read");
	} else {
		while (p < end && *p == ' ')
			p++;
		vlen = (size_t)(end - p);
		v = dir_strndup(p, vlen);
		if (!v)
			return err_set(err, "out of memory");
	}
	(void)d;
	if (kind == ATTR_BINARY)
		return binary_id(e, l, an, v, vlen, line, err);
	/* a NUL inside a shown field or a path must not cut the value short
	 * and hide what follows: it becomes a control byte, which fields.c
	 * neutralises or quarantines */
	for (size_t i = 0; i < vlen; i++)
		if (!v[i])
			v[i] = '\x01';
	if (kind == ATTR_TEXT)
		for (char *c = v; *c; c++)
			if ((unsigned char)*c < 0x20 || *c == 0x7f) {
				free(v);
				return fail_at(err, line, "control character in a value");
			}
	return ldif_attr(e, l, an, v, line, err);
}

int parse_ldif(const char *text, size_t len, struct directory *d, struct sosafe_err *err)
{
	struct ldif_entry e = { 0 };
	char *logical = NULL;
	size_t llen = 0, lcap = 0;
	unsigned lline = 0, line = 0;
	bool have = false;
	int rc = -1;
	const char *p = text, *end = text + len;

	while (p <= end) {
		const char *nl = p < end ? memchr(p, '\n', (size_t)(end - p)) : NULL;
		const char *le = nl ? nl : end;
		bool last = !nl;
		line++;
		size_t n = (size_t)(le - p);
		if (n && p[n - 1] == '\r')
			n--;
		if (memchr(p, 0, n)) {
			fail_at(err, line, "NUL byte");
			goto out;
		}
		if (n && p[0] == ' ') {
			if (!have) {
				fail_at(err, line, "continuation line without a line to continue");
				goto out;
			}
			if (llen + n > lcap) {
				lcap = (llen + n) * 2;
				char *nb = realloc(logical, lcap + 1);
				if (!nb)
					goto oom;
				logical = nb;
			}
			memcpy(logical + llen, p + 1, n - 1);
			llen += n - 1;
		} else {
			if (have) {
				logical[llen] = 0;
				if (ldif_line(d, &e, logical, llen, lline, err))
					goto out;
				have = false;
			}
			if (n == 0) {
				if (add_entry(d, &e, err))
					goto out;
				entry_clear(&e);
			} else {
				if (!logical || n + 1 > lcap) {
					lcap = n * 2 + 16;
					char *nb = realloc(logical, lcap + 1);
					if (!nb)
						goto oom;
					logical = nb;
				}
				/* n > 0 here (n == 0 ends the entry above) and logical is set by the realloc */
				/* cppcheck-suppress nullPointerRedundantCheck ; !logical above means: allocate now */
				memcpy(logical, p, n);
				llen = n;
				lline = line;
				have = true;
			}
		}
		if (last)
			break;
		p = nl + 1;
	}
	if (have) {
		logical[llen] = 0;
		if (ldif_line(d, &e, logical, llen, lline, err))
			goto out;
	}
	if (add_entry(d, &e, err))
		goto out;
	rc = 0;
	goto out;
oom:
	err_set(err, "out of memory");
out:
	entry_clear(&e);
	free(logical);
	return rc;
}
