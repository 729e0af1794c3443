/* `sosafectl sync` from a live directory. The entries are written as LDIF
 * (every value base64) into memory and handed to directory_parse(), so a
 * pull is checked exactly like an export file: same names rule, same AD
 * semantics (userAccountControl, accountExpires, memberOf), same refusals. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ctype.h>
#include <stddef.h>
#include <time.h>

#include <ldap.h>

#include "ldap_source.h"
#include "base/util.h"

#define TLS_PRIORITY "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"
#define PASSWORD_MAX 1024
#define NEST_MAX 32          /* nesting depth followed for memberOf */

/* ---- bind password ------------------------------------------------------ */

static int read_password(const char *path, char *pw, size_t pwlen, struct sosafe_err *e)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return err_set(e, "ldap_bind_password_file %s: %s", path, strerror(errno));
	struct stat sb;
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return err_set(e, "ldap_bind_password_file %s: not a regular file", path);
	}
	if (sb.st_uid != 0 && sb.st_uid != geteuid()) {
		close(fd);
		return err_set(e, "ldap_bind_password_file %s: must be owned by root", path);
	}
	if (sb.st_mode & 077) {
		close(fd);
		return err_set(e, "ldap_bind_password_file %s: readable by group or others "
			    "(mode %03o); chmod 600 it", path, (unsigned)(sb.st_mode & 0777));
	}
	size_t got = 0;
	for (;;) {
		ssize_t n = read(fd, pw + got, pwlen - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int why = errno;
			close(fd);
			explicit_bzero(pw, pwlen);
			return err_set(e, "ldap_bind_password_file %s: %s", path, strerror(why));
		}
		if (n == 0)
			break;
		got += (size_t)n;
		if (got == pwlen - 1) {
			close(fd);
			explicit_bzero(pw, pwlen);
			return err_set(e, "ldap_bind_password_file %s: longer than %d bytes",
				    path, PASSWORD_MAX - 1);
		}
	}
	close(fd);
	pw[got] = 0;
	while (got && (pw[got - 1] == '\n' || pw[got - 1] == '\r'))
		pw[--got] = 0;
	if (!got)
		return err_set(e, "ldap_bind_password_file %s: empty", path);
	return 0;
}

/* The client key of SASL EXTERNAL: a regular file of root's (or the
 * caller's) that nobody else may read. */
static int check_key_file(const struct sosafe_config *cfg, struct sosafe_err *e)
{
	if (!cfg->ldap_tls_cert[0] || !cfg->ldap_tls_key[0])
		return err_set(e, "ldap_tls_cert and ldap_tls_key go together");
	int fd = open(cfg->ldap_tls_key, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return err_set(e, "ldap_tls_key %s: %s", cfg->ldap_tls_key, strerror(errno));
	struct stat sb;
	int r = fstat(fd, &sb);
	close(fd);
	if (r < 0 || !S_ISREG(sb.st_mode))
		return err_set(e, "ldap_tls_key %s: not a regular file", cfg->ldap_tls_key);
	if (sb.st_uid != 0 && sb.st_uid != geteuid())
		return err_set(e, "ldap_tls_key %s: must be owned by root", cfg->ldap_tls_key);
	if (sb.st_mode & 077)
		return err_set(e, "ldap_tls_key %s: readable by group or others (mode %03o); "
			    "chmod 600 it", cfg->ldap_tls_key, (unsigned)(sb.st_mode & 0777));
	if (access(cfg->ldap_tls_cert, R_OK))
		return err_set(e, "ldap_tls_cert %s: %s", cfg->ldap_tls_cert, strerror(errno));
	return 0;
}

/* ---- connection --------------------------------------------------------- */

static void ldap_reason(LDAP *ld, int rc, char *buf, size_t len)
{
	char *diag = NULL;
	ldap_get_option(ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &diag);
	snprintf(buf, len, "%s%s%s%s", ldap_err2string(rc), diag && *diag ? " (" : "",
		 diag && *diag ? diag : "", diag && *diag ? ")" : "");
	if (diag)
		ldap_memfree(diag);
}

/* "TLS1.2" (GnuTLS), "TLSv1.2" (OpenSSL): only 1.2 and 1.3 pass. */
static bool tls_version_ok(const char *v)
{
	if (strncmp(v, "TLS", 3))
		return false;
	v += 3;
	if (*v == 'v')
		v++;
	return !strcmp(v, "1.2") || !strcmp(v, "1.3");
}

static int set_tls_options(LDAP *ld, const struct sosafe_config *cfg, struct sosafe_err *e)
{
	int demand = LDAP_OPT_X_TLS_DEMAND;
	int min = LDAP_OPT_X_TLS_PROTOCOL_TLS1_2;
	int zero = 0;
	if (ldap_set_option(ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &demand) != LDAP_OPT_SUCCESS)
		return err_set(e, "cannot require a verified certificate");
	if (cfg->ldap_ca_file[0] &&
	    ldap_set_option(ld, LDAP_OPT_X_TLS_CACERTFILE, cfg->ldap_ca_file) != LDAP_OPT_SUCCESS)
		return err_set(e, "cannot use ldap_ca_file %s", cfg->ldap_ca_file);
	if (ldap_set_option(ld, LDAP_OPT_X_TLS_PROTOCOL_MIN, &min) != LDAP_OPT_SUCCESS)
		return err_set(e, "cannot set the TLS 1.2 minimum");
	/* GnuTLS builds of libldap may ignore PROTOCOL_MIN: the priority
	 * string is what really restricts the versions offered */
	if (ldap_set_option(ld, LDAP_OPT_X_TLS_CIPHER_SUITE, TLS_PRIORITY) != LDAP_OPT_SUCCESS)
		return err_set(e, "cannot set the TLS priority string");
	if (cfg->ldap_tls_cert[0] &&
	    (ldap_set_option(ld, LDAP_OPT_X_TLS_CERTFILE, cfg->ldap_tls_cert) != LDAP_OPT_SUCCESS ||
	     ldap_set_option(ld, LDAP_OPT_X_TLS_KEYFILE, cfg->ldap_tls_key) != LDAP_OPT_SUCCESS))
		return err_set(e, "cannot use ldap_tls_cert / ldap_tls_key");
	if (ldap_set_option(ld, LDAP_OPT_X_TLS_NEWCTX, &zero) != LDAP_OPT_SUCCESS)
		return err_set(e, "cannot create the TLS context (bad ldap_ca_file?)");
	return 0;
}

/* Connect and bind to one URI. Returns the handle or NULL + ERR. */
static LDAP *connect_one(const struct sosafe_config *cfg, const char *uri, const char *pw,
			 struct ldap_pull_info *info, struct sosafe_err *e)
{
	bool ldaps = !strncasecmp(uri, "ldaps://", 8);
	bool plain = !strncasecmp(uri, "ldap://", 7);
	if (!ldaps && !plain) {
		err_set(e, "only ldap:// and ldaps:// URIs are supported");
		return NULL;
	}
	bool tls = ldaps || cfg->ldap_starttls;
	bool external = cfg->ldap_sasl_mech[0] != 0;
	if (!tls && external) {
		err_set(e, "ldap_sasl_mech = EXTERNAL needs TLS (ldaps:// or ldap_starttls)");
		return NULL;
	}
	if (!tls && !cfg->ldap_insecure) {
		err_set(e, "plain LDAP refused: use ldaps://, ldap_starttls = yes, or (for "
		     "tests only) ldap_insecure = yes");
		return NULL;
	}
	LDAP *ld = NULL;
	int rc = ldap_initialize(&ld, uri);
	if (rc != LDAP_SUCCESS) {
		err_set(e, "bad URI: %s", ldap_err2string(rc));
		return NULL;
	}
	int v3 = LDAP_VERSION3;
	struct timeval tv = { .tv_sec = cfg->ldap_timeout };
	int tl = (int)cfg->ldap_timeout;
	if (ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &v3) != LDAP_OPT_SUCCESS ||
	    ldap_set_option(ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF) != LDAP_OPT_SUCCESS ||
	    ldap_set_option(ld, LDAP_OPT_NETWORK_TIMEOUT, &tv) != LDAP_OPT_SUCCESS ||
	    ldap_set_option(ld, LDAP_OPT_TIMEOUT, &tv) != LDAP_OPT_SUCCESS ||
	    ldap_set_option(ld, LDAP_OPT_TIMELIMIT, &tl) != LDAP_OPT_SUCCESS) {
		err_set(e, "cannot set connection options");
		goto bad;
	}
	if (tls && set_tls_options(ld, cfg, e))
		goto bad;
	char why[512];
	if (plain && cfg->ldap_starttls) {
		rc = ldap_start_tls_s(ld, NULL, NULL);
		if (rc != LDAP_SUCCESS) {
			ldap_reason(ld, rc, why, sizeof(why));
			err_set(e, "StartTLS failed: %s", why);
			goto bad;
		}
	}
	struct berval cred = { 0, NULL };
	if (cfg->ldap_bind_dn[0]) {
		cred.bv_val = (char *)pw;
		cred.bv_len = strlen(pw);
	}
	if (external) { /* the identity is the client certificate's, mapped by the server */
		struct berval empty = { 0, (char *)"" };   /* empty initial response */
		rc = ldap_sasl_bind_s(ld, NULL, "EXTERNAL", &empty, NULL, NULL, NULL);
	} else {
		rc = ldap_sasl_bind_s(ld, cfg->ldap_bind_dn[0] ? cfg->ldap_bind_dn : NULL,
				      LDAP_SASL_SIMPLE, &cred, NULL, NULL, NULL);
	}
	if (rc != LDAP_SUCCESS) {
		ldap_reason(ld, rc, why, sizeof(why));
		err_set(e, "bind failed: %s", why);
		goto bad;
	}
	info->tls[0] = 0;
	if (tls) {
		/* check what the session really negotiated, whatever the library
		 * made of the options above */
		char *ver = NULL;
		if (ldap_get_option(ld, LDAP_OPT_X_TLS_VERSION, &ver) != LDAP_OPT_SUCCESS || !ver) {
			err_set(e, "cannot tell the negotiated TLS version: refused");
			goto bad;
		}
		snprintf(info->tls, sizeof(info->tls), "%s", ver);
		ldap_memfree(ver);
		if (!tls_version_ok(info->tls)) {
			err_set(e, "server negotiated %s: TLS 1.2 or later required", info->tls);
			goto bad;
		}
	}
	info->insecure = !tls;
	snprintf(info->uri, sizeof(info->uri), "%s", uri);
	return ld;
bad:
	ldap_unbind_ext_s(ld, NULL, NULL);
	return NULL;
}

/* libldap bounds connect() by LDAP_OPT_NETWORK_TIMEOUT and each operation
 * by its timeout, but not the TLS handshake of ldaps://: a server that
 * accepts the connection and then says nothing would hold the sync forever.
 * A watchdog ends the process instead (nothing is written before the pull
 * has finished, so the old snapshot stays). */
static void watchdog(int sig)
{
	static const char msg[] = "sosafectl: directory pull failed, snapshot unchanged: the server "
				  "did not answer within ldap_timeout (connect, TLS or bind)\n";
	(void)sig;
	ssize_t r = write(STDERR_FILENO, msg, sizeof(msg) - 1);
	(void)r;
	_exit(1);
}

/* ---- LDIF in memory ------------------------------------------------------ */

static bool put_oom;

/* "attr: value" when the value is plain printable ASCII (the common case:
 * no decoding needed), else "attr:: base64"; one fwrite per line. */
static void put_b64(FILE *f, const char *attr, const char *v, size_t n)
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
		put_oom = true;      /* ldap_pull() fails the pull */
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
	fwrite(buf, 1, o, f);
	if (buf != stackbuf)
		free(buf);
}

/* A group's DN and the DNs of the groups it is a member of. */
struct nest {
	char *dn;
	char **parents;
	size_t nparents;
};
/* AD: a group's RID (last part of its objectSid), for primaryGroupID */
struct rid_dn {
	uint32_t rid;
	char *dn;
};
struct nests {
	struct nest *v;
	size_t n;
	struct rid_dn *rids;
	size_t nrids;
};

static void nests_free(struct nests *ns)
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

struct dnlist {
	char **v;
	size_t n, cap;
};

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

static void dnlist_free(struct dnlist *l)
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
static const char *primary_group(const struct nests *ns, LDAP *ld, LDAPMessage *e)
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
static int expand_groups(const struct nests *ns, struct berval **direct, const char *primary,
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
static int note_rid(struct nests *ns, const char *dn, struct berval **vals)
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

/* ---- attribute map ------------------------------------------------------- */

#define LIST_MAX 8           /* attributes in one comma-separated map entry */

struct attrlist {
	char *v[LIST_MAX];
	size_t n;
};

struct attrmap {
	char buf[1024];                  /* the split copies live here */
	struct attrlist name, gname, uid, gid, gecos, home, shell, id, member_of, member;
	const char *user_req[64];        /* attributes asked for, NULL-terminated */
	const char *group_req[32];
};

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

static int map_build(const struct sosafe_config *cfg, struct attrmap *m, struct sosafe_err *e)
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

/* The first attribute of L the entry has, with its values (free with
 * ldap_value_free_len), or NULL. */
static struct berval **first_of(LDAP *ld, LDAPMessage *e, const struct attrlist *l,
				const char **which)
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

/* ---- stable identity ------------------------------------------------------ */

/* objectSid (binary) as S-1-5-21-...; 0 or -1 when malformed. */
static int format_sid(const unsigned char *p, size_t n, char *out, size_t len)
{
	if (n < 8 || p[0] != 1 || p[1] > 15 || n != 8 + 4 * (size_t)p[1])
		return -1;
	unsigned long long auth = 0;
	for (int i = 2; i < 8; i++)
		auth = auth << 8 | p[i];
	int w = snprintf(out, len, "S-1-%llu", auth);
	for (unsigned i = 0; i < p[1] && w > 0 && (size_t)w < len; i++) {
		const unsigned char *s = p + 8 + 4 * i;
		unsigned long v = (unsigned long)s[0] | (unsigned long)s[1] << 8 |
				  (unsigned long)s[2] << 16 | (unsigned long)s[3] << 24;
		w += snprintf(out + w, len - (size_t)w, "-%lu", v);
	}
	return w > 0 && (size_t)w < len ? 0 : -1;
}

/* objectGUID (16 bytes, the first three fields little-endian) as text. */
static int format_guid(const unsigned char *p, size_t n, char *out, size_t len)
{
	if (n != 16)
		return -1;
	snprintf(out, len, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 p[3], p[2], p[1], p[0], p[5], p[4], p[7], p[6], p[8], p[9], p[10], p[11], p[12],
		 p[13], p[14], p[15]);
	return 0;
}

/* "ATTR:VALUE": the attribute named, so that changing ldap_attr_id re-keys
 * the rows instead of looking like other accounts. Binary values that are
 * neither a SID nor a GUID are written in hex. */
static int stable_id(const char *attr, const struct berval *v, char *out, size_t len)
{
	char val[200];
	const unsigned char *p = (const unsigned char *)v->bv_val;
	if (!strcasecmp(attr, "objectSid")) {
		if (format_sid(p, v->bv_len, val, sizeof(val)))
			return -1;
	} else if (!strcasecmp(attr, "objectGUID")) {
		if (format_guid(p, v->bv_len, val, sizeof(val)))
			return -1;
	} else {
		bool text = v->bv_len > 0 && v->bv_len < sizeof(val);
		for (size_t i = 0; i < v->bv_len && text; i++)
			text = p[i] > 0x20 && p[i] < 0x7f;
		if (text) {
			memcpy(val, p, v->bv_len);
			val[v->bv_len] = 0;
		} else if (v->bv_len > 0 && 2 * v->bv_len < sizeof(val)) {
			for (size_t i = 0; i < v->bv_len; i++)
				snprintf(val + 2 * i, 3, "%02x", p[i]);
		} else {
			return -1;
		}
	}
	char lower[70];
	size_t i = 0;
	for (; attr[i] && i + 1 < sizeof(lower); i++)
		lower[i] = (char)tolower((unsigned char)attr[i]);
	lower[i] = 0;
	int w = snprintf(out, len, "%s:%s", lower, val);
	return w > 0 && (size_t)w < len ? 0 : -1;
}

/* ---- disabled users (ldap_disabled_filter) -------------------------------- */

struct dnset {
	char **v;
	size_t n, cap;
	bool sorted;
};

static int cmp_dn(const void *a, const void *b)
{
	return strcasecmp(*(char *const *)a, *(char *const *)b);
}

static bool dnset_has(struct dnset *s, const char *dn)
{
	if (!s->n)
		return false;
	if (!s->sorted) {
		qsort(s->v, s->n, sizeof(char *), cmp_dn);
		s->sorted = true;
	}
	return bsearch(&dn, s->v, s->n, sizeof(char *), cmp_dn) != NULL;
}

static void dnset_free(struct dnset *s)
{
	for (size_t i = 0; i < s->n; i++)
		ldap_memfree(s->v[i]);
	free(s->v);
	memset(s, 0, sizeof(*s));
}

/* ---- progress on a terminal --------------------------------------------- */

struct progress {
	bool on;
	size_t groups, users, pages;
	long long estimate;       /* server's size estimate for the current search, 0 unknown */
	time_t last;
};

static void progress_show(struct progress *p, bool final)
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

/* ---- LDIF in memory ------------------------------------------------------ */

struct search_ctx {
	FILE *out;
	struct nests *ns;
	const struct attrmap *m;
	struct dnset *disabled;
	struct dnset *collect;  /* disabled pass: DNs only */
	bool groups;            /* group pass: record nesting */
	size_t entries;
	struct progress *prog;
};

static void put_first(FILE *f, const char *canon, struct berval **v)
{
	if (v && v[0])
		put_b64(f, canon, v[0]->bv_val, v[0]->bv_len);
}

static int record_nesting(struct search_ctx *c, const char *dn, struct berval **vals)
{
	if (!vals || !vals[0])
		return 0;
	struct nest *v = realloc(c->ns->v, (c->ns->n + 1) * sizeof(*v));
	if (!v)
		return -1;
	c->ns->v = v;
	struct nest *g = &v[c->ns->n];
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
	c->ns->n++;
	return ret || !g->dn ? -1 : 0;
}

/* One entry as LDIF under the canonical (AD) attribute names that
 * directory_parse() reads, whatever the map says. */
static int emit_entry(LDAP *ld, LDAPMessage *e, struct search_ctx *c)
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
	put_b64(f, "dn", dn, strlen(dn));
	struct berval **v = ldap_get_values_len(ld, e, "objectClass");
	for (size_t i = 0; v && v[i]; i++)
		put_b64(f, "objectClass", v[i]->bv_val, v[i]->bv_len);
	ldap_value_free_len(v);
	/* the search it came from says what it is (groupOfNames, posixAccount...) */
	fprintf(f, "objectClass: %s\n", c->groups ? "group" : "user");
	v = first_of(ld, e, c->groups ? &m->gname : &m->name, NULL);
	put_first(f, "sAMAccountName", v);
	ldap_value_free_len(v);
	v = first_of(ld, e, &m->gid, NULL);
	put_first(f, "gidNumber", v);
	ldap_value_free_len(v);
	struct berval **mo = first_of(ld, e, &m->member_of, NULL);
	if (c->groups) {
		v = first_of(ld, e, &m->member, NULL);
		for (size_t i = 0; v && v[i]; i++)
			put_b64(f, "member", v[i]->bv_val, v[i]->bv_len);
		ldap_value_free_len(v);
		ret = record_nesting(c, dn, mo);
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
			put_first(f, one[k].canon, v);
			ldap_value_free_len(v);
		}
		v = ldap_get_values_len(ld, e, "accountExpires");
		put_first(f, "accountExpires", v);
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
			put_first(f, "userAccountControl", v);
		}
		ldap_value_free_len(v);
		const char *which = NULL;
		v = first_of(ld, e, &m->id, &which);
		if (v) {
			char id[300];
			if (stable_id(which, v[0], id, sizeof(id)) == 0)
				fprintf(f, "sosafeStableId: %s\n", id);
			else
				ret = 1;
		}
		ldap_value_free_len(v);
		struct dnlist l = { 0 };
		if (ret == 0 && expand_groups(c->ns, mo, primary_group(c->ns, ld, e), &l))
			ret = -1;
		for (size_t i = 0; i < l.n && ret == 0; i++)
			put_b64(f, "memberOf", l.v[i], strlen(l.v[i]));
		dnlist_free(&l);
	}
	ldap_value_free_len(mo);
	fputc('\n', f);
	if (ret == 1)
		ret = -2;
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
static int search_paged(LDAP *ld, const struct sosafe_config *cfg, const char *filter,
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
			int r = emit_entry(ld, m, c);
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

int ldap_pull(const struct sosafe_config *cfg, struct directory *d, struct ldap_pull_info *info,
	      bool show_progress, struct sosafe_err *e)
{
	memset(d, 0, sizeof(*d));
	memset(info, 0, sizeof(*info));
	struct attrmap *map = calloc(1, sizeof(*map));
	if (!map)
		return err_set(e, "out of memory");
	int r = map_build(cfg, map, e);
	if (!r && cfg->ldap_sasl_mech[0] && strcasecmp(cfg->ldap_sasl_mech, "EXTERNAL"))
		r = err_set(e, "ldap_sasl_mech: only EXTERNAL (a TLS client certificate) is "
			 "supported");
	if (!r && cfg->ldap_sasl_mech[0] && (!cfg->ldap_tls_cert[0] || !cfg->ldap_tls_key[0]))
		r = err_set(e, "ldap_sasl_mech = EXTERNAL needs ldap_tls_cert and ldap_tls_key");
	if (!r && cfg->ldap_sasl_mech[0] && cfg->ldap_bind_dn[0])
		r = err_set(e, "ldap_sasl_mech = EXTERNAL and ldap_bind_dn exclude each other "
			 "(the identity comes from the certificate)");
	if (!r && (cfg->ldap_tls_cert[0] || cfg->ldap_tls_key[0]))
		r = check_key_file(cfg, e);
	if (r) {
		free(map);
		return -1;
	}
	if (!cfg->ldap_uri[0])
		return err_set(e, "ldap_uri is not set in %s (or give --from FILE)",
			    cfg->conf_path);
	if (!cfg->ldap_base[0])
		return err_set(e, "ldap_base is not set in %s", cfg->conf_path);
	char *pw = calloc(1, PASSWORD_MAX);
	if (!pw) {
		free(map);
		return err_set(e, "out of memory");
	}
	if (cfg->ldap_bind_dn[0]) {
		if (!cfg->ldap_bind_password_file[0]) {
			free(pw);
			free(map);
			return err_set(e, "ldap_bind_dn needs ldap_bind_password_file");
		}
		if (read_password(cfg->ldap_bind_password_file, pw, PASSWORD_MAX, e)) {
			explicit_bzero(pw, PASSWORD_MAX);
			free(pw);
			free(map);
			return -1;
		}
	}
	/* failover: every URI in order until one connects and binds */
	char uris[sizeof(cfg->ldap_uri)], tried[1024] = "";
	snprintf(uris, sizeof(uris), "%s", cfg->ldap_uri);
	LDAP *ld = NULL;
	char *save = NULL;
	for (char *u = strtok_r(uris, " \t,", &save); u && !ld; u = strtok_r(NULL, " \t,", &save)) {
		struct sosafe_err why = { "" };
		struct sigaction sa = { .sa_handler = watchdog }, old_sa;
		sigemptyset(&sa.sa_mask);
		sigaction(SIGALRM, &sa, &old_sa);
		alarm(cfg->ldap_timeout + 2);
		ld = connect_one(cfg, u, pw, info, &why);
		alarm(0);
		sigaction(SIGALRM, &old_sa, NULL);
		if (!ld) {
			size_t n = strlen(tried);
			snprintf(tried + n, sizeof(tried) - n, "%s%s: %s", n ? "; " : "", u, why.msg);
		}
	}
	explicit_bzero(pw, PASSWORD_MAX);
	free(pw);
	if (!ld) {
		free(map);
		return err_set(e, "no directory server usable: %s", tried);
	}

	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	if (!out) {
		ldap_unbind_ext_s(ld, NULL, NULL);
		free(map);
		return err_set(e, "out of memory");
	}
	struct nests ns = { 0 };
	struct dnset disabled = { 0 };
	struct progress prog = { .on = show_progress };
	struct search_ctx c = { .out = out, .ns = &ns, .m = map, .groups = true, .prog = &prog };
	r = search_paged(ld, cfg, cfg->ldap_group_filter, map->group_req, &c, &info->pages, e);
	size_t groups_entries = c.entries;
	if (!r && cfg->ldap_disabled_filter[0]) {
		/* non-AD "disabled": the users that also match ldap_disabled_filter */
		char *f = NULL;
		static const char *const none[] = { "1.1", NULL };
		if (asprintf(&f, "(&%s%s)", cfg->ldap_user_filter, cfg->ldap_disabled_filter) < 0) {
			r = err_set(e, "out of memory");
		} else {
			struct search_ctx dc = { .collect = &disabled, .prog = &prog };
			r = search_paged(ld, cfg, f, none, &dc, &info->pages, e);
			free(f);
		}
		c.disabled = &disabled;
	}
	if (!r) {
		c.groups = false;
		r = search_paged(ld, cfg, cfg->ldap_user_filter, map->user_req, &c, &info->pages, e);
	}
	progress_show(&prog, true);
	info->entries = c.entries;
	info->disabled = disabled.n;
	(void)groups_entries;
	ldap_unbind_ext_s(ld, NULL, NULL);
	nests_free(&ns);
	dnset_free(&disabled);
	free(map);
	if ((fclose(out) || put_oom) && !r)
		r = err_set(e, "out of memory");
	put_oom = false;
	if (!r && directory_parse_flags(text, len, d, DIR_PARSE_SKIP_UNSAFE, e))
		r = err_prefix(e, "directory data refused");
	if (text)
		explicit_bzero(text, len);
	free(text);
	return r;
}

int ldap_check_fraction(struct store *st, const struct sosafe_config *cfg,
			const struct directory *d, long long now, struct sosafe_err *e)
{
	long long known = 0;
	struct dir_store *ds = dir_store_new(st);
	enum store_status s = ds ? dir_users_active_count(ds, &known) : ST_NOMEM;
	dir_store_free(ds);
	if (s != ST_OK)
		return err_set(e, "cannot read the store: %s", store_error(st));
	size_t active = 0;
	for (size_t i = 0; i < d->nusers; i++) {
		const char *why;
		if (directory_user_active(d, &d->users[i], cfg->entitled_group, now, &why))
			active++;
	}
	if (known > 0 && (long long)active * 1000 < known * (long long)cfg->min_sync_permille)
		return err_set(e, "the directory gave %zu active user(s) where %lld are active "
			    "now (below min_sync_fraction %u.%03u): refusing to deactivate them "
			    "(wrong filter or base, or an empty replica?)", active, known,
			    cfg->min_sync_permille / 1000, cfg->min_sync_permille % 1000);
	return 0;
}
