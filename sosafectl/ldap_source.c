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

#include <ldap.h>
#include <sqlite3.h>

#include "ldap_source.h"

#define TLS_PRIORITY "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"
#define PASSWORD_MAX 1024
#define NEST_MAX 32          /* nesting depth followed for memberOf */

static int fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* ---- bind password ------------------------------------------------------ */

static int read_password(const char *path, char *pw, size_t pwlen, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return fail(err, errlen, "ldap_bind_password_file %s: %s", path, strerror(errno));
	struct stat sb;
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return fail(err, errlen, "ldap_bind_password_file %s: not a regular file", path);
	}
	if (sb.st_uid != 0 && sb.st_uid != geteuid()) {
		close(fd);
		return fail(err, errlen, "ldap_bind_password_file %s: must be owned by root", path);
	}
	if (sb.st_mode & 077) {
		close(fd);
		return fail(err, errlen, "ldap_bind_password_file %s: readable by group or others "
			    "(mode %03o); chmod 600 it", path, (unsigned)(sb.st_mode & 0777));
	}
	size_t got = 0;
	for (;;) {
		ssize_t n = read(fd, pw + got, pwlen - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;
			close(fd);
			explicit_bzero(pw, pwlen);
			return fail(err, errlen, "ldap_bind_password_file %s: %s", path, strerror(e));
		}
		if (n == 0)
			break;
		got += (size_t)n;
		if (got == pwlen - 1) {
			close(fd);
			explicit_bzero(pw, pwlen);
			return fail(err, errlen, "ldap_bind_password_file %s: longer than %d bytes",
				    path, PASSWORD_MAX - 1);
		}
	}
	close(fd);
	pw[got] = 0;
	while (got && (pw[got - 1] == '\n' || pw[got - 1] == '\r'))
		pw[--got] = 0;
	if (!got)
		return fail(err, errlen, "ldap_bind_password_file %s: empty", path);
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

static int set_tls_options(LDAP *ld, const struct sosafe_config *cfg, char *err, size_t errlen)
{
	int demand = LDAP_OPT_X_TLS_DEMAND;
	int min = LDAP_OPT_X_TLS_PROTOCOL_TLS1_2;
	int zero = 0;
	if (ldap_set_option(ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &demand) != LDAP_OPT_SUCCESS)
		return fail(err, errlen, "cannot require a verified certificate");
	if (cfg->ldap_ca_file[0] &&
	    ldap_set_option(ld, LDAP_OPT_X_TLS_CACERTFILE, cfg->ldap_ca_file) != LDAP_OPT_SUCCESS)
		return fail(err, errlen, "cannot use ldap_ca_file %s", cfg->ldap_ca_file);
	if (ldap_set_option(ld, LDAP_OPT_X_TLS_PROTOCOL_MIN, &min) != LDAP_OPT_SUCCESS)
		return fail(err, errlen, "cannot set the TLS 1.2 minimum");
	/* GnuTLS builds of libldap may ignore PROTOCOL_MIN: the priority
	 * string is what really restricts the versions offered */
	if (ldap_set_option(ld, LDAP_OPT_X_TLS_CIPHER_SUITE, TLS_PRIORITY) != LDAP_OPT_SUCCESS)
		return fail(err, errlen, "cannot set the TLS priority string");
	if (ldap_set_option(ld, LDAP_OPT_X_TLS_NEWCTX, &zero) != LDAP_OPT_SUCCESS)
		return fail(err, errlen, "cannot create the TLS context (bad ldap_ca_file?)");
	return 0;
}

/* Connect and bind to one URI. Returns the handle or NULL + ERR. */
static LDAP *connect_one(const struct sosafe_config *cfg, const char *uri, const char *pw,
			 struct ldap_pull_info *info, char *err, size_t errlen)
{
	bool ldaps = !strncasecmp(uri, "ldaps://", 8);
	bool plain = !strncasecmp(uri, "ldap://", 7);
	if (!ldaps && !plain) {
		fail(err, errlen, "only ldap:// and ldaps:// URIs are supported");
		return NULL;
	}
	bool tls = ldaps || cfg->ldap_starttls;
	if (!tls && !cfg->ldap_insecure) {
		fail(err, errlen, "plain LDAP refused: use ldaps://, ldap_starttls = yes, or (for "
		     "tests only) ldap_insecure = yes");
		return NULL;
	}
	LDAP *ld = NULL;
	int rc = ldap_initialize(&ld, uri);
	if (rc != LDAP_SUCCESS) {
		fail(err, errlen, "bad URI: %s", ldap_err2string(rc));
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
		fail(err, errlen, "cannot set connection options");
		goto bad;
	}
	if (tls && set_tls_options(ld, cfg, err, errlen))
		goto bad;
	char why[512];
	if (plain && cfg->ldap_starttls) {
		rc = ldap_start_tls_s(ld, NULL, NULL);
		if (rc != LDAP_SUCCESS) {
			ldap_reason(ld, rc, why, sizeof(why));
			fail(err, errlen, "StartTLS failed: %s", why);
			goto bad;
		}
	}
	struct berval cred = { 0, NULL };
	if (cfg->ldap_bind_dn[0]) {
		cred.bv_val = (char *)pw;
		cred.bv_len = strlen(pw);
	}
	rc = ldap_sasl_bind_s(ld, cfg->ldap_bind_dn[0] ? cfg->ldap_bind_dn : NULL, LDAP_SASL_SIMPLE,
			      &cred, NULL, NULL, NULL);
	if (rc != LDAP_SUCCESS) {
		ldap_reason(ld, rc, why, sizeof(why));
		fail(err, errlen, "bind failed: %s", why);
		goto bad;
	}
	info->tls[0] = 0;
	if (tls) {
		/* check what the session really negotiated, whatever the library
		 * made of the options above */
		char *ver = NULL;
		if (ldap_get_option(ld, LDAP_OPT_X_TLS_VERSION, &ver) != LDAP_OPT_SUCCESS || !ver) {
			fail(err, errlen, "cannot tell the negotiated TLS version: refused");
			goto bad;
		}
		snprintf(info->tls, sizeof(info->tls), "%s", ver);
		ldap_memfree(ver);
		if (!tls_version_ok(info->tls)) {
			fail(err, errlen, "server negotiated %s: TLS 1.2 or later required", info->tls);
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

static void put_b64(FILE *f, const char *attr, const char *v, size_t n)
{
	static const char tab[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *p = (const unsigned char *)v;
	fprintf(f, "%s:: ", attr);
	size_t i = 0;
	for (; i + 2 < n; i += 3) {
		unsigned x = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8 | p[i + 2];
		fputc(tab[x >> 18], f);
		fputc(tab[(x >> 12) & 63], f);
		fputc(tab[(x >> 6) & 63], f);
		fputc(tab[x & 63], f);
	}
	if (i < n) {
		unsigned x = (unsigned)p[i] << 16 | (i + 1 < n ? (unsigned)p[i + 1] << 8 : 0);
		fputc(tab[x >> 18], f);
		fputc(tab[(x >> 12) & 63], f);
		fputc(i + 1 < n ? tab[(x >> 6) & 63] : '=', f);
		fputc('=', f);
	}
	fputc('\n', f);
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

static const char *const user_attrs[] = {
	"objectClass", "sAMAccountName", "uidNumber", "gidNumber", "userAccountControl",
	"accountExpires", "displayName", "cn", "unixHomeDirectory", "loginShell", "gecos",
	"primaryGroupID", "memberOf", NULL
};
static const char *const group_attrs[] = {
	"objectClass", "sAMAccountName", "gidNumber", "member", "memberOf", "objectSid", NULL
};

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

static bool multi(const char *a)
{
	return !strcasecmp(a, "objectClass") || !strcasecmp(a, "member");
}

struct search_ctx {
	FILE *out;
	struct nests *ns;
	bool groups;            /* group pass: record nesting */
	size_t entries;
};

static int emit_entry(LDAP *ld, LDAPMessage *e, struct search_ctx *c)
{
	char *dn = ldap_get_dn(ld, e);
	if (!dn)
		return -1;
	put_b64(c->out, "dn", dn, strlen(dn));
	const char *const *attrs = c->groups ? group_attrs : user_attrs;
	int ret = 0;
	for (size_t a = 0; attrs[a] && !ret; a++) {
		struct berval **vals = ldap_get_values_len(ld, e, attrs[a]);
		if (!strcasecmp(attrs[a], "objectSid")) {
			ret = note_rid(c->ns, dn, vals);
		} else if (!strcasecmp(attrs[a], "memberOf")) {
			if (c->groups) {
				if (vals && vals[0]) {
					struct nest *v = realloc(c->ns->v, (c->ns->n + 1) * sizeof(*v));
					if (!v) {
						ret = -1;
					} else {
						c->ns->v = v;
						struct nest *g = &v[c->ns->n];
						memset(g, 0, sizeof(*g));
						struct dnlist l = { 0 };
						for (size_t i = 0; vals[i] && !ret; i++) {
							char *p = strndup(vals[i]->bv_val, vals[i]->bv_len);
							ret = p ? dnlist_add(&l, p) : -1;
							free(p);
						}
						g->dn = strdup(dn);
						g->parents = l.v;
						g->nparents = l.n;
						c->ns->n++;
						if (!g->dn)
							ret = -1;
					}
				}
			} else {
				struct dnlist l = { 0 };
				ret = expand_groups(c->ns, vals, primary_group(c->ns, ld, e), &l);
				for (size_t i = 0; i < l.n && !ret; i++)
					put_b64(c->out, "memberOf", l.v[i], strlen(l.v[i]));
				dnlist_free(&l);
			}
		} else {
			bool all = multi(attrs[a]);
			for (size_t i = 0; vals && vals[i] && (all || i == 0); i++)
				put_b64(c->out, attrs[a], vals[i]->bv_val, vals[i]->bv_len);
		}
		ldap_value_free_len(vals);
	}
	fputc('\n', c->out);
	ldap_memfree(dn);
	c->entries++;
	return ret;
}

/* One subtree search, Simple Paged Results of cfg->ldap_page_size. */
static int search_paged(LDAP *ld, const struct sosafe_config *cfg, const char *filter,
			struct search_ctx *c, size_t *pages, char *err, size_t errlen)
{
	struct berval *cookie = NULL;
	struct timeval tv = { .tv_sec = cfg->ldap_timeout };
	const char *const *attrs = c->groups ? group_attrs : user_attrs;
	char why[512];
	do {
		LDAPControl *pc = NULL;
		int rc = ldap_create_page_control(ld, (ber_int_t)cfg->ldap_page_size, cookie, 1, &pc);
		ber_bvfree(cookie);
		cookie = NULL;
		if (rc != LDAP_SUCCESS)
			return fail(err, errlen, "cannot build the paged results control");
		LDAPControl *sctrls[] = { pc, NULL };
		LDAPMessage *res = NULL;
		rc = ldap_search_ext_s(ld, cfg->ldap_base, LDAP_SCOPE_SUBTREE, filter,
				       (char **)attrs, 0, sctrls, NULL, &tv, 0, &res);
		ldap_control_free(pc);
		if (rc != LDAP_SUCCESS) {
			ldap_reason(ld, rc, why, sizeof(why));
			ldap_msgfree(res);
			return fail(err, errlen, "search %s under %s: %s", filter, cfg->ldap_base, why);
		}
		(*pages)++;
		for (LDAPMessage *e = ldap_first_entry(ld, res); e; e = ldap_next_entry(ld, e))
			if (emit_entry(ld, e, c)) {
				ldap_msgfree(res);
				return fail(err, errlen, "out of memory");
			}
		int code = 0;
		LDAPControl **rctrls = NULL;
		rc = ldap_parse_result(ld, res, &code, NULL, NULL, NULL, &rctrls, 1);
		if (rc != LDAP_SUCCESS || code != LDAP_SUCCESS) {
			ldap_controls_free(rctrls);
			return fail(err, errlen, "search %s: %s", filter,
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
		}
		ldap_controls_free(rctrls);
	} while (cookie);
	return 0;
}

int ldap_pull(const struct sosafe_config *cfg, struct directory *d, struct ldap_pull_info *info,
	      char *err, size_t errlen)
{
	memset(d, 0, sizeof(*d));
	memset(info, 0, sizeof(*info));
	if (!cfg->ldap_uri[0])
		return fail(err, errlen, "ldap_uri is not set in %s (or give --from FILE)",
			    cfg->conf_path);
	if (!cfg->ldap_base[0])
		return fail(err, errlen, "ldap_base is not set in %s", cfg->conf_path);
	char *pw = calloc(1, PASSWORD_MAX);
	if (!pw)
		return fail(err, errlen, "out of memory");
	if (cfg->ldap_bind_dn[0]) {
		if (!cfg->ldap_bind_password_file[0]) {
			free(pw);
			return fail(err, errlen, "ldap_bind_dn needs ldap_bind_password_file");
		}
		if (read_password(cfg->ldap_bind_password_file, pw, PASSWORD_MAX, err, errlen)) {
			free(pw);
			return -1;
		}
	}
	/* failover: every URI in order until one connects and binds */
	char uris[sizeof(cfg->ldap_uri)], tried[1024] = "";
	snprintf(uris, sizeof(uris), "%s", cfg->ldap_uri);
	LDAP *ld = NULL;
	char *save = NULL;
	for (char *u = strtok_r(uris, " \t,", &save); u && !ld; u = strtok_r(NULL, " \t,", &save)) {
		char why[600];
		struct sigaction sa = { .sa_handler = watchdog }, old_sa;
		sigemptyset(&sa.sa_mask);
		sigaction(SIGALRM, &sa, &old_sa);
		alarm(cfg->ldap_timeout + 2);
		ld = connect_one(cfg, u, pw, info, why, sizeof(why));
		alarm(0);
		sigaction(SIGALRM, &old_sa, NULL);
		if (!ld) {
			size_t n = strlen(tried);
			snprintf(tried + n, sizeof(tried) - n, "%s%s: %s", n ? "; " : "", u, why);
		}
	}
	explicit_bzero(pw, PASSWORD_MAX);
	free(pw);
	if (!ld)
		return fail(err, errlen, "no directory server usable: %s", tried);

	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	if (!out) {
		ldap_unbind_ext_s(ld, NULL, NULL);
		return fail(err, errlen, "out of memory");
	}
	struct nests ns = { 0 };
	struct search_ctx c = { .out = out, .ns = &ns, .groups = true };
	int r = search_paged(ld, cfg, cfg->ldap_group_filter, &c, &info->pages, err, errlen);
	if (!r) {
		c.groups = false;
		r = search_paged(ld, cfg, cfg->ldap_user_filter, &c, &info->pages, err, errlen);
	}
	info->entries = c.entries;
	ldap_unbind_ext_s(ld, NULL, NULL);
	nests_free(&ns);
	if (fclose(out) && !r)
		r = fail(err, errlen, "out of memory");
	if (!r) {
		char why[512];
		if (directory_parse(text, len, d, why, sizeof(why)))
			r = fail(err, errlen, "directory data refused: %s", why);
	}
	free(text);
	return r;
}

int ldap_check_fraction(struct store *st, const struct sosafe_config *cfg,
			const struct directory *d, long long now, char *err, size_t errlen)
{
	sqlite3_stmt *q = NULL;
	long long known = 0;
	if (sqlite3_prepare_v2(store_db(st), "SELECT count(*) FROM dir_user WHERE deactivated_at = 0",
			       -1, &q, NULL) != SQLITE_OK)
		return fail(err, errlen, "cannot read the store: %s", sqlite3_errmsg(store_db(st)));
	if (sqlite3_step(q) == SQLITE_ROW)
		known = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	size_t active = 0;
	for (size_t i = 0; i < d->nusers; i++) {
		const char *why;
		if (directory_user_active(d, &d->users[i], cfg->entitled_group, now, &why))
			active++;
	}
	if (known > 0 && (long long)active * 1000 < known * (long long)cfg->min_sync_permille)
		return fail(err, errlen, "the directory gave %zu active user(s) where %lld are active "
			    "now (below min_sync_fraction %u.%03u): refusing to deactivate them "
			    "(wrong filter or base, or an empty replica?)", active, known,
			    cfg->min_sync_permille / 1000, cfg->min_sync_permille % 1000);
	return 0;
}
