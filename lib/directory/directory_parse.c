/* Parsing a directory export: LDIF (RFC 2849, as ldapsearch prints Active
 * Directory entries) and a simple JSON form. Everything is checked at the
 * edge; an error names the line, and nothing is half-applied. */
#include <config.h>
#include "directory/directory.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/util.h"

#define MAX_EXPORT (1024L * 1024 * 1024)

static int fail(char *err, size_t errlen, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int fail(char *err, size_t errlen, unsigned line, const char *fmt, ...)
{
	char msg[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line)
		snprintf(err, errlen, "line %u: %s", line, msg);
	else
		snprintf(err, errlen, "%s", msg);
	return -1;
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

static char *xstrndup(const char *s, size_t n)
{
	char *p = malloc(n + 1);
	if (p) {
		memcpy(p, s, n);
		p[n] = 0;
	}
	return p;
}

static int push_str(char ***arr, size_t *n, const char *s)
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

static void free_strs(char **a, size_t n)
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

static void lower(char *s)
{
	for (; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

/* Decimal id: 1000..4294967294, never 65534 (nobody). */
static int parse_id(const char *v, long long *out)
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

/* ---- LDIF --------------------------------------------------------------- */

static int b64val(int c)
{
	if (c >= 'A' && c <= 'Z') return c - 'A';
	if (c >= 'a' && c <= 'z') return c - 'a' + 26;
	if (c >= '0' && c <= '9') return c - '0' + 52;
	if (c == '+') return 62;
	if (c == '/') return 63;
	return -1;
}

/* Decode base64 into a new NUL-terminated string; refuses embedded NULs. */
static char *b64_decode(const char *s, size_t n)
{
	char *out = malloc(n / 4 * 3 + 4);
	size_t o = 0;
	unsigned acc = 0;
	int bits = 0, pad = 0;
	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '=') {
			pad++;
			continue;
		}
		int v = b64val((unsigned char)s[i]);
		if (v < 0 || pad) {
			free(out);
			return NULL;
		}
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (char)((acc >> bits) & 0xff);
		}
	}
	if (pad > 2 || memchr(out, 0, o)) {
		free(out);
		return NULL;
	}
	out[o] = 0;
	return out;
}

struct ldif_entry {
	unsigned line;
	char *dn;
	bool is_user, is_group, is_computer;
	char *sam, *uid, *gid, *uac, *expires, *display, *cn, *home, *shell, *gecos, *ext_id;
	unsigned sam_line, uid_line, gid_line, uac_line, exp_line, ext_line;
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
	free_strs(e->member_of, e->nmember_of);
	free_strs(e->member, e->nmember);
	memset(e, 0, sizeof(*e));
}

/* Set a single-valued attribute once. */
static int set_once(char **slot, unsigned *lslot, char *v, unsigned line, const char *attr,
		    char *err, size_t errlen)
{
	if (*slot) {
		free(v);
		return fail(err, errlen, line, "%s given twice in one entry", attr);
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

static int add_entry(struct directory *d, struct ldif_entry *e, char *err, size_t errlen)
{
	if (!e->dn) {
		if (e->sam)
			return fail(err, errlen, e->line, "entry without dn");
		return 0;   /* "search:"/"result:" trailers and the like */
	}
	if (e->is_computer || !(e->is_user || e->is_group))
		return 0;
	if (!e->sam)
		return fail(err, errlen, e->line, "entry %s has no sAMAccountName", e->dn);
	lower(e->sam);
	/* AD's own groups ("Domain Users") have names no Unix group may have:
	 * they are kept for membership, and published only if they are safe */
	if (e->is_user && !directory_name_ok(e->sam) && (d->flags & DIR_PARSE_SKIP_UNSAFE)) {
		if (!d->skipped_unsafe++)
			d->skipped_line = e->sam_line;
		return 0;
	}
	if (e->is_user && !directory_name_ok(e->sam))
		return fail(err, errlen, e->sam_line,
			    "sAMAccountName is not a safe Unix name (1-32 of A-Z a-z 0-9 . _ -, "
			    "not starting with - or ., not all digits)");
	long long uid = DIR_NO_ID, gid = DIR_NO_ID;
	if (e->uid && parse_id(e->uid, &uid))
		return fail(err, errlen, e->uid_line, "uidNumber must be 1000..4294967294 (not 65534)");
	if (e->gid && parse_id(e->gid, &gid))
		return fail(err, errlen, e->gid_line, "gidNumber must be 1000..4294967294 (not 65534)");
	if (e->is_group) {
		if (!e->sam[0])
			return fail(err, errlen, e->sam_line, "group %s has an empty sAMAccountName",
				    e->dn);
		struct dir_group *g = realloc(d->groups, (d->ngroups + 1) * sizeof(*g));
		if (!g)
			return fail(err, errlen, 0, "out of memory");
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
		return fail(err, errlen, 0, "out of memory");
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
			return fail(err, errlen, e->uac_line, "userAccountControl is not a number");
		u->disabled = (v & 0x2) != 0;
	}
	if (e->expires && parse_filetime(e->expires, &u->expires))
		return fail(err, errlen, e->exp_line, "accountExpires is not a number");
	const char *gecos = e->gecos ? e->gecos : e->display ? e->display : e->cn;
	if (gecos && (strchr(gecos, ':') || strchr(gecos, '\n')))
		gecos = NULL;   /* never break the passwd line format */
	u->gecos = strdup(gecos ? gecos : "");
	u->home = e->home ? e->home : NULL;
	e->home = NULL;
	u->shell = e->shell ? e->shell : NULL;
	e->shell = NULL;
	if (e->ext_id && (!e->ext_id[0] || strlen(e->ext_id) > 200))
		return fail(err, errlen, e->ext_line, "sosafeStableId must be 1..200 bytes");
	u->ext_id = e->ext_id;
	e->ext_id = NULL;
	u->groups = e->member_of;
	u->ngroups = e->nmember_of;
	e->member_of = NULL;
	e->nmember_of = 0;
	if (!u->gecos)
		return fail(err, errlen, 0, "out of memory");
	return 0;
}

static bool attr_is(const char *a, size_t n, const char *want)
{
	return strlen(want) == n && !strncasecmp(a, want, n);
}

static int ldif_attr(struct ldif_entry *e, const char *a, size_t an, char *v, unsigned line,
		     char *err, size_t errlen)
{
	if (attr_is(a, an, "dn")) {
		if (e->dn) {
			free(v);
			return fail(err, errlen, line, "second dn in one entry (missing blank line?)");
		}
		e->dn = v;
		e->line = line;
		return 0;
	}
	if (!e->dn && !attr_is(a, an, "version") && !attr_is(a, an, "search") &&
	    !attr_is(a, an, "result") && !attr_is(a, an, "ref") && !attr_is(a, an, "control")) {
		free(v);
		return fail(err, errlen, line, "attribute before the entry's dn");
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
#define ONE(name, slot, lslot) \
	if (attr_is(a, an, name)) return set_once(&e->slot, lslot, v, line, name, err, errlen)
	ONE("sAMAccountName", sam, &e->sam_line);
	ONE("uidNumber", uid, &e->uid_line);
	ONE("gidNumber", gid, &e->gid_line);
	ONE("userAccountControl", uac, &e->uac_line);
	ONE("accountExpires", expires, &e->exp_line);
	ONE("displayName", display, NULL);
	ONE("cn", cn, NULL);
	ONE("unixHomeDirectory", home, NULL);
	ONE("loginShell", shell, NULL);
	ONE("gecos", gecos, NULL);
	ONE("sosafeStableId", ext_id, &e->ext_line);
#undef ONE
	int r = 0;
	if (attr_is(a, an, "memberOf"))
		r = push_str(&e->member_of, &e->nmember_of, v);
	else if (attr_is(a, an, "member"))
		r = push_str(&e->member, &e->nmember, v);
	free(v);
	return r ? fail(err, errlen, 0, "out of memory") : 0;
}

/* One logical (unfolded) line. */
static int ldif_line(struct directory *d, struct ldif_entry *e, char *l, size_t n, unsigned line,
		     char *err, size_t errlen)
{
	if (n == 0)
		return 0;
	if (l[0] == '#')
		return 0;
	char *colon = memchr(l, ':', n);
	if (!colon || colon == l)
		return fail(err, errlen, line, "not an 'attribute: value' line");
	size_t an = (size_t)(colon - l);
	char *semi = memchr(l, ';', an);
	if (semi) {
		/* attribute options: ";binary" and language tags are harmless; a
		 * ";range=" means AD cut a long member list short */
		if (strncasecmp(semi, ";range=", 7) == 0 ||
		    (memchr(semi, '=', (size_t)(colon - semi)) != NULL))
			return fail(err, errlen, line,
				    "ranged attribute: the directory returned only part of a long "
				    "list; export with a tool that follows ranges");
		an = (size_t)(semi - l);
	}
	for (size_t i = 0; i < an; i++)
		if (!isalnum((unsigned char)l[i]) && l[i] != '-')
			return fail(err, errlen, line, "bad attribute name");
	char *p = colon + 1, *end = l + n, *v;
	if (p < end && *p == ':') {
		p++;
		while (p < end && *p == ' ')
			p++;
		v = b64_decode(p, (size_t)(end - p));
		if (!v)
			return fail(err, errlen, line, "bad base64 value (or a value with a NUL byte)");
	} else if (p < end && *p == '<') {
		return fail(err, errlen, line, "URL values (attr:< ...) are not read");
	} else {
		while (p < end && *p == ' ')
			p++;
		v = xstrndup(p, (size_t)(end - p));
		if (!v)
			return fail(err, errlen, 0, "out of memory");
	}
	for (char *c = v; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f) {
			free(v);
			return fail(err, errlen, line, "control character in a value");
		}
	(void)d;
	return ldif_attr(e, l, an, v, line, err, errlen);
}

static int parse_ldif(const char *text, size_t len, struct directory *d, char *err, size_t errlen)
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
			fail(err, errlen, line, "NUL byte");
			goto out;
		}
		if (n && p[0] == ' ') {
			if (!have) {
				fail(err, errlen, line, "continuation line without a line to continue");
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
				if (ldif_line(d, &e, logical, llen, lline, err, errlen))
					goto out;
				have = false;
			}
			if (n == 0) {
				if (add_entry(d, &e, err, errlen))
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
		if (ldif_line(d, &e, logical, llen, lline, err, errlen))
			goto out;
	}
	if (add_entry(d, &e, err, errlen))
		goto out;
	rc = 0;
	goto out;
oom:
	fail(err, errlen, 0, "out of memory");
out:
	entry_clear(&e);
	free(logical);
	return rc;
}

/* ---- JSON (docs/directory-json.md) ---------------------------------------- */

enum jtype { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };
struct jval {
	enum jtype t;
	unsigned line;
	bool b;
	long long num;
	bool num_ok;        /* an integer that fits */
	char *s;
	struct jval *items; /* arrays and objects (objects: keys in keys[]) */
	char **keys;
	size_t n;
};

struct jp {
	const char *p, *end;
	unsigned line;
	int depth;
	char *err;
	size_t errlen;
};

/* NOLINTNEXTLINE(misc-no-recursion): depth of the tree, at most 17 (jcontainer refuses nesting > 16) */
static void jfree(struct jval *v)
{
	free(v->s);
	for (size_t i = 0; i < v->n; i++) {
		jfree(&v->items[i]);
		if (v->keys)
			free(v->keys[i]);
	}
	free(v->items);
	free(v->keys);
}

static void jws(struct jp *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r')) {
		if (*j->p == '\n')
			j->line++;
		j->p++;
	}
}

static int jerr(struct jp *j, const char *what)
{
	return fail(j->err, j->errlen, j->line, "JSON: %s", what);
}

static void put_utf8(char *o, size_t *k, unsigned cp)
{
	if (cp < 0x80) {
		o[(*k)++] = (char)cp;
	} else if (cp < 0x800) {
		o[(*k)++] = (char)(0xc0 | cp >> 6);
		o[(*k)++] = (char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		o[(*k)++] = (char)(0xe0 | cp >> 12);
		o[(*k)++] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[(*k)++] = (char)(0x80 | (cp & 0x3f));
	} else {
		o[(*k)++] = (char)(0xf0 | cp >> 18);
		o[(*k)++] = (char)(0x80 | ((cp >> 12) & 0x3f));
		o[(*k)++] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[(*k)++] = (char)(0x80 | (cp & 0x3f));
	}
}

static int hex4(const char *p, unsigned *out)
{
	unsigned v = 0;
	for (int i = 0; i < 4; i++) {
		int c = (unsigned char)p[i];
		v <<= 4;
		if (isdigit(c)) v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f') v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F') v |= (unsigned)(c - 'A' + 10);
		else return -1;
	}
	*out = v;
	return 0;
}

static int jstring(struct jp *j, char **out)
{
	j->p++;   /* opening quote */
	const char *start = j->p;
	size_t max = 0;
	while (j->p < j->end && *j->p != '"') {
		if (*j->p == '\\')
			j->p++;
		j->p++;
		max++;
	}
	if (j->p >= j->end)
		return jerr(j, "unterminated string");
	char *o = malloc((size_t)(j->p - start) * 2 + 8);
	size_t k = 0;
	if (!o)
		return jerr(j, "out of memory");
	for (const char *q = start; q < j->p; q++) {
		unsigned char c = (unsigned char)*q;
		if (c < 0x20) {
			free(o);
			return jerr(j, "control character in a string");
		}
		if (c != '\\') {
			o[k++] = (char)c;
			continue;
		}
		q++;
		switch (*q) {
		case '"': o[k++] = '"'; break;
		case '\\': o[k++] = '\\'; break;
		case '/': o[k++] = '/'; break;
		case 'b': o[k++] = '\b'; break;
		case 'f': o[k++] = '\f'; break;
		case 'n': o[k++] = '\n'; break;
		case 'r': o[k++] = '\r'; break;
		case 't': o[k++] = '\t'; break;
		case 'u': {
			unsigned cp, lo;
			if (j->p - q < 5 || hex4(q + 1, &cp)) {
				free(o);
				return jerr(j, "bad \\u escape");
			}
			q += 4;
			if (cp >= 0xd800 && cp < 0xdc00) {
				if (j->p - q < 7 || q[1] != '\\' || q[2] != 'u' || hex4(q + 3, &lo) ||
				    lo < 0xdc00 || lo > 0xdfff) {
					free(o);
					return jerr(j, "bad surrogate pair");
				}
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				q += 6;
			} else if (cp >= 0xdc00 && cp < 0xe000) {
				free(o);
				return jerr(j, "bad surrogate pair");
			}
			if (cp == 0) {
				free(o);
				return jerr(j, "NUL in a string");
			}
			put_utf8(o, &k, cp);
			break;
		}
		default:
			free(o);
			return jerr(j, "bad escape");
		}
	}
	(void)max;
	o[k] = 0;
	j->p++;   /* closing quote */
	*out = o;
	return 0;
}

static int jvalue(struct jp *j, struct jval *v);

/* NOLINTNEXTLINE(misc-no-recursion): bounded, j->depth > 16 is refused before any child is parsed */
static int jcontainer(struct jp *j, struct jval *v, bool obj)
{
	char close = obj ? '}' : ']';
	j->p++;
	if (++j->depth > 16)
		return jerr(j, "nested too deeply");
	jws(j);
	if (j->p < j->end && *j->p == close) {
		j->p++;
		j->depth--;
		return 0;
	}
	for (;;) {
		char *key = NULL;
		jws(j);
		if (obj) {
			if (j->p >= j->end || *j->p != '"')
				return jerr(j, "expected a key");
			if (jstring(j, &key))
				return -1;
			jws(j);
			if (j->p >= j->end || *j->p != ':') {
				free(key);
				return jerr(j, "expected ':'");
			}
			j->p++;
		}
		struct jval *ni = realloc(v->items, (v->n + 1) * sizeof(*ni));
		char **nk = obj ? realloc(v->keys, (v->n + 1) * sizeof(*nk)) : NULL;
		if (!ni || (obj && !nk)) {
			free(key);
			if (ni)
				v->items = ni;
			if (nk) /* realloc freed the old keys: keep the new block, never lose it */
				v->keys = nk;
			return jerr(j, "out of memory");
		}
		v->items = ni;
		if (obj) {
			v->keys = nk;
			v->keys[v->n] = key;
		}
		memset(&v->items[v->n], 0, sizeof(*ni));
		v->n++;
		if (jvalue(j, &v->items[v->n - 1]))
			return -1;
		jws(j);
		if (j->p < j->end && *j->p == ',') {
			j->p++;
			continue;
		}
		if (j->p < j->end && *j->p == close) {
			j->p++;
			j->depth--;
			return 0;
		}
		return jerr(j, obj ? "expected ',' or '}'" : "expected ',' or ']'");
	}
}

/* NOLINTNEXTLINE(misc-no-recursion): recurses only through jcontainer, which bounds the depth at 16 */
static int jvalue(struct jp *j, struct jval *v)
{
	jws(j);
	v->line = j->line;
	if (j->p >= j->end)
		return jerr(j, "unexpected end");
	char c = *j->p;
	if (c == '{') {
		v->t = J_OBJ;
		return jcontainer(j, v, true);
	}
	if (c == '[') {
		v->t = J_ARR;
		return jcontainer(j, v, false);
	}
	if (c == '"') {
		v->t = J_STR;
		return jstring(j, &v->s);
	}
	static const struct { const char *w; enum jtype t; bool b; } words[] = {
		{ "true", J_BOOL, true }, { "false", J_BOOL, false }, { "null", J_NULL, false },
	};
	for (size_t i = 0; i < ARRAY_SIZE(words); i++) {
		size_t n = strlen(words[i].w);
		if ((size_t)(j->end - j->p) >= n && !memcmp(j->p, words[i].w, n)) {
			v->t = words[i].t;
			v->b = words[i].b;
			j->p += n;
			return 0;
		}
	}
	if (c == '-' || isdigit((unsigned char)c)) {
		const char *s = j->p;
		while (j->p < j->end && (isdigit((unsigned char)*j->p) || strchr("+-.eE", *j->p)))
			j->p++;
		char tmp[32];
		size_t n = (size_t)(j->p - s);
		v->t = J_NUM;
		if (n < sizeof(tmp)) {
			memcpy(tmp, s, n);
			tmp[n] = 0;
			char *end;
			errno = 0;
			long long x = strtoll(tmp, &end, 10);
			v->num_ok = !errno && !*end;
			v->num = x;
		}
		return 0;
	}
	return jerr(j, "unexpected character");
}

static const struct jval *jget(const struct jval *o, const char *key)
{
	for (size_t i = 0; i < o->n; i++)
		if (!strcmp(o->keys[i], key))
			return &o->items[i];
	return NULL;
}

static int json_strs(const struct jval *a, char ***out, size_t *n, char *err, size_t errlen,
		     const char *what)
{
	if (!a)
		return 0;
	if (a->t != J_ARR)
		return fail(err, errlen, a->line, "JSON: %s must be an array of names", what);
	for (size_t i = 0; i < a->n; i++) {
		if (a->items[i].t != J_STR)
			return fail(err, errlen, a->items[i].line, "JSON: %s must hold strings", what);
		char *s = strdup(a->items[i].s);
		if (!s)
			return fail(err, errlen, 0, "out of memory");
		lower(s);
		int r = push_str(out, n, s);
		free(s);
		if (r)
			return fail(err, errlen, 0, "out of memory");
	}
	return 0;
}

static int json_id(const struct jval *v, long long *out, char *err, size_t errlen, const char *what)
{
	*out = DIR_NO_ID;
	if (!v || v->t == J_NULL)
		return 0;
	char buf[32];
	if (v->t != J_NUM || !v->num_ok)
		return fail(err, errlen, v->line, "JSON: %s must be an integer", what);
	snprintf(buf, sizeof(buf), "%lld", v->num);
	if (parse_id(buf, out))
		return fail(err, errlen, v->line, "JSON: %s must be 1000..4294967294 (not 65534)", what);
	return 0;
}

static int json_optstr(const struct jval *o, const char *key, char **out, char *err, size_t errlen)
{
	const struct jval *v = jget(o, key);
	*out = NULL;
	if (!v || v->t == J_NULL)
		return 0;
	if (v->t != J_STR)
		return fail(err, errlen, v->line, "JSON: %s must be a string", key);
	for (const char *c = v->s; *c; c++)
		if (*c == ':' || *c == '\n')
			return fail(err, errlen, v->line, "JSON: %s contains ':' or a newline", key);
	if (!(*out = strdup(v->s)))
		return fail(err, errlen, 0, "out of memory");
	return 0;
}

static int json_name(const struct jval *o, char **out, char *err, size_t errlen)
{
	const struct jval *v = jget(o, "name");
	if (!v || v->t != J_STR)
		return fail(err, errlen, o->line, "JSON: entry without a \"name\" string");
	if (!(*out = strdup(v->s)))
		return fail(err, errlen, 0, "out of memory");
	lower(*out);
	if (!directory_name_ok(*out))
		return fail(err, errlen, v->line,
			    "JSON: name is not a safe Unix name (1-32 of A-Z a-z 0-9 . _ -, "
			    "not starting with - or ., not all digits)");
	return 0;
}

static int parse_json(const char *text, size_t len, struct directory *d, char *err, size_t errlen)
{
	struct jp j = { text, text + len, 1, 0, err, errlen };
	struct jval root = { 0 };
	int rc = -1;
	if (jvalue(&j, &root))
		goto out;
	jws(&j);
	if (j.p != j.end) {
		jerr(&j, "text after the document");
		goto out;
	}
	if (root.t != J_OBJ) {
		fail(err, errlen, 1, "JSON: the document must be an object");
		goto out;
	}
	const struct jval *users = jget(&root, "users"), *groups = jget(&root, "groups");
	if (!users || users->t != J_ARR) {
		fail(err, errlen, root.line, "JSON: \"users\" array missing");
		goto out;
	}
	if (groups && groups->t != J_ARR) {
		fail(err, errlen, groups->line, "JSON: \"groups\" must be an array");
		goto out;
	}
	d->users = calloc(users->n + 1, sizeof(*d->users));
	d->groups = calloc((groups ? groups->n : 0) + 1, sizeof(*d->groups));
	if (!d->users || !d->groups) {
		fail(err, errlen, 0, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < users->n; i++) {
		const struct jval *o = &users->items[i];
		struct dir_user *u = &d->users[d->nusers++];
		u->line = o->line;
		if (o->t != J_OBJ) {
			fail(err, errlen, o->line, "JSON: users[] must hold objects");
			goto out;
		}
		if (json_name(o, &u->name, err, errlen) ||
		    json_id(jget(o, "uid"), &u->uid, err, errlen, "uid") ||
		    json_id(jget(o, "gid"), &u->gid, err, errlen, "gid") ||
		    json_optstr(o, "gecos", &u->gecos, err, errlen) ||
		    json_optstr(o, "home", &u->home, err, errlen) ||
		    json_optstr(o, "shell", &u->shell, err, errlen) ||
		    json_strs(jget(o, "groups"), &u->groups, &u->ngroups, err, errlen, "groups"))
			goto out;
		if (!u->gecos && !(u->gecos = strdup(""))) {
			fail(err, errlen, 0, "out of memory");
			goto out;
		}
		const struct jval *en = jget(o, "enabled"), *ex = jget(o, "expires");
		if (en && en->t != J_BOOL) {
			fail(err, errlen, en->line, "JSON: enabled must be true or false");
			goto out;
		}
		u->disabled = en && !en->b;
		if (ex && ex->t != J_NULL) {
			if (ex->t != J_NUM || !ex->num_ok || ex->num < 0) {
				fail(err, errlen, ex->line, "JSON: expires must be unix time (0 = never)");
				goto out;
			}
			u->expires = ex->num;
		}
	}
	for (size_t i = 0; groups && i < groups->n; i++) {
		const struct jval *o = &groups->items[i];
		struct dir_group *g = &d->groups[d->ngroups++];
		g->line = o->line;
		if (o->t != J_OBJ) {
			fail(err, errlen, o->line, "JSON: groups[] must hold objects");
			goto out;
		}
		if (json_name(o, &g->name, err, errlen) ||
		    json_id(jget(o, "gid"), &g->gid, err, errlen, "gid") ||
		    json_strs(jget(o, "members"), &g->members, &g->nmembers, err, errlen, "members"))
			goto out;
	}
	rc = 0;
out:
	jfree(&root);
	return rc;
}

/* ---- after parsing: resolve DNs, check duplicates ------------------------- */

/* Group name for a memberOf DN: the group entry with that DN, else the
 * value of the first RDN ("CN=sosafe-users,OU=..." -> "sosafe-users"). */
static char *group_name_for_dn(const struct directory *d, const char *dn)
{
	for (size_t i = 0; i < d->ngroups; i++)
		if (d->groups[i].dn && !strcasecmp(d->groups[i].dn, dn))
			return strdup(d->groups[i].name);
	const char *eq = strchr(dn, '=');
	if (!eq)
		return strdup(dn);
	const char *s = eq + 1, *e = s;
	while (*e && *e != ',') {
		if (*e == '\\' && e[1])
			e++;
		e++;
	}
	char *n = xstrndup(s, (size_t)(e - s));
	if (n)
		lower(n);
	return n;
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
		    char *err, size_t errlen)
{
	qsort(k, n, sizeof(*k), cmp_dup_name);
	for (size_t i = 1; i < n; i++)
		if (!strcmp(k[i].name, k[i - 1].name))
			return fail(err, errlen, k[i].line, "duplicate %s name '%s' (first at line %u)",
				    what, k[i].name, k[i - 1].line);
	qsort(k, n, sizeof(*k), cmp_dup_id);
	for (size_t i = 1; i < n; i++)
		if (k[i].id != DIR_NO_ID && k[i].id == k[i - 1].id)
			return fail(err, errlen, k[i].line, "duplicate %s %lld ('%s', and '%s' at line %u)",
				    idname, k[i].id, k[i].name, k[i - 1].name, k[i - 1].line);
	return 0;
}

static int check_duplicates(const struct directory *d, char *err, size_t errlen)
{
	size_t n = d->nusers > d->ngroups ? d->nusers : d->ngroups;
	struct dupkey *k = malloc((n + 1) * sizeof(*k));
	if (!k)
		return fail(err, errlen, 0, "out of memory");
	for (size_t i = 0; i < d->nusers; i++)
		k[i] = (struct dupkey){ d->users[i].name, d->users[i].uid, d->users[i].line };
	int r = dup_scan(k, d->nusers, "user", "uid", err, errlen);
	if (!r) {
		/* a stable identity names one account */
		size_t m = 0;
		for (size_t i = 0; i < d->nusers; i++)
			if (d->users[i].ext_id)
				k[m++] = (struct dupkey){ d->users[i].ext_id, 0, d->users[i].line };
		qsort(k, m, sizeof(*k), cmp_dup_name);
		for (size_t i = 1; i < m && !r; i++)
			if (!strcmp(k[i].name, k[i - 1].name))
				r = fail(err, errlen, k[i].line, "two users with the same stable id "
					 "(sosafeStableId %s, first at line %u)", k[i].name, k[i - 1].line);
	}
	if (!r) {
		for (size_t i = 0; i < d->ngroups; i++)
			k[i] = (struct dupkey){ d->groups[i].name, d->groups[i].gid, d->groups[i].line };
		r = dup_scan(k, d->ngroups, "group", "gid", err, errlen);
	}
	free(k);
	return r;
}

static int cmp_user_dn(const void *a, const void *b)
{
	return strcasecmp((*(const struct dir_user *const *)a)->dn,
			  (*(const struct dir_user *const *)b)->dn);
}

static int resolve(struct directory *d, bool ldif, char *err, size_t errlen)
{
	if (ldif) {
		for (size_t i = 0; i < d->nusers; i++) {
			struct dir_user *u = &d->users[i];
			for (size_t k = 0; k < u->ngroups; k++) {
				char *n = group_name_for_dn(d, u->groups[k]);
				if (!n)
					return fail(err, errlen, 0, "out of memory");
				free(u->groups[k]);
				u->groups[k] = n;
			}
		}
		/* member DNs -> user names through a sorted index of user DNs */
		const struct dir_user **byd = malloc((d->nusers + 1) * sizeof(*byd)); /* NOLINT(bugprone-sizeof-expression): an array of pointers, so the element size is sizeof(pointer) */
		size_t nbyd = 0;
		if (!byd)
			return fail(err, errlen, 0, "out of memory");
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
	return check_duplicates(d, err, errlen);
}

int directory_parse(const char *text, size_t len, struct directory *d, char *err, size_t errlen)
{
	return directory_parse_flags(text, len, d, 0, err, errlen);
}

int directory_parse_flags(const char *text, size_t len, struct directory *d, unsigned flags,
			  char *err, size_t errlen)
{
	memset(d, 0, sizeof(*d));
	d->flags = flags;
	size_t i = 0;
	while (i < len && isspace((unsigned char)text[i]))
		i++;
	bool json = i < len && text[i] == '{';
	int r = json ? parse_json(text, len, d, err, errlen) : parse_ldif(text, len, d, err, errlen);
	if (r == 0)
		r = resolve(d, !json, err, errlen);
	if (r)
		directory_free(d);
	return r;
}

int directory_parse_file(const char *path, struct directory *d, char *err, size_t errlen)
{
	memset(d, 0, sizeof(*d));
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fail(err, errlen, 0, "%s: %s", path, strerror(errno));
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > MAX_EXPORT) {
		close(fd);
		return fail(err, errlen, 0, "%s: not a regular file of at most 1 GiB", path);
	}
	size_t len = (size_t)st.st_size;
	char *buf = malloc(len + 1);
	if (!buf) {
		close(fd);
		return fail(err, errlen, 0, "out of memory");
	}
	size_t got = 0;
	while (got < len) {
		ssize_t n = read(fd, buf + got, len - got);
		if (n <= 0) {
			int e = n < 0 ? errno : EIO;
			free(buf);
			close(fd);
			return fail(err, errlen, 0, "%s: read: %s", path, strerror(e));
		}
		got += (size_t)n;
	}
	close(fd);
	buf[len] = 0;
	char why[450];
	int r = directory_parse(buf, len, d, why, sizeof(why));
	free(buf);
	if (r)
		fail(err, errlen, 0, "%s: %s", path, why);
	return r;
}

bool directory_user_active(const struct directory *d, const struct dir_user *u,
			   const char *entitled, int64_t now, const char **why)
{
	if (u->disabled) {
		*why = "disabled in the directory";
		return false;
	}
	if (u->expires && u->expires <= now) {
		*why = "account expired in the directory";
		return false;
	}
	if (!entitled || !*entitled) {
		*why = "no entitled_group configured";
		return false;
	}
	for (size_t k = 0; k < u->ngroups; k++)
		if (!strcasecmp(u->groups[k], entitled))
			return true;
	for (size_t g = 0; g < d->ngroups; g++) {
		if (strcasecmp(d->groups[g].name, entitled))
			continue;
		for (size_t k = 0; k < d->groups[g].nmembers; k++)
			if (!strcmp(d->groups[g].members[k], u->name))
				return true;
	}
	*why = "not a member of the entitled group";
	return false;
}
