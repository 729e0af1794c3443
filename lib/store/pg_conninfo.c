/* Connecting to the shared PostgreSQL store: the connection string comes
 * from a root-only file (the password or the client key never appears in
 * sosafe.conf, argv, logs or errors), and the client enforces verified
 * TLS >= 1.2 whatever the string says, unless pg_insecure = yes. */
#include <config.h>
#include "store/pg_link.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/fsutil.h"
#include "base/util.h"

#define CONNINFO_MAX 4096
#define PARAMS_MAX 64

struct params {
	const char *kw[PARAMS_MAX + 1];
	const char *val[PARAMS_MAX + 1];
	unsigned n;
	char num[2][24];   /* connect_timeout, tcp_user_timeout we add */
};

static const char *param(const struct params *p, const char *kw)
{
	for (unsigned i = 0; i < p->n; i++)
		if (!strcmp(p->kw[i], kw))
			return p->val[i];
	return NULL;
}

static void param_default(struct params *p, const char *kw, const char *val)
{
	if (!param(p, kw) && p->n < PARAMS_MAX) {
		p->kw[p->n] = kw;
		p->val[p->n++] = val;
	}
}

/* Every host of a multi-host string ("a,b") must be reached over TCP:
 * a Unix socket path carries no TLS. */
static bool any_socket_host(const char *hosts)
{
	if (!hosts || !*hosts)
		return true;   /* libpq's default is the local socket */
	for (const char *h = hosts; h; h = strchr(h, ',') ? strchr(h, ',') + 1 : NULL)
		if (*h == '/' || *h == '@' || *h == ',' || !*h)
			return true;
	return false;
}

/* The TLS policy (see the file comment); 0, or -1 with the reason in ERR. */
static int check_policy(struct params *p, bool insecure, char *err, size_t errlen)
{
	const char *mode = param(p, "sslmode");
	const char *min = param(p, "ssl_min_protocol_version");
	if (min && (!strcasecmp(min, "TLSv1") || !strcasecmp(min, "TLSv1.1"))) {
		if (!insecure) {
			snprintf(err, errlen, "ssl_min_protocol_version=%s is below TLSv1.2", min);
			return -1;
		}
	}
	if (!insecure) {
		if (!mode || strcmp(mode, "verify-full")) {
			snprintf(err, errlen, "sslmode must be verify-full (it is %s): the server's "
				 "certificate and host name must be checked", mode ? mode : "not set");
			return -1;
		}
		if (any_socket_host(param(p, "host")) && !param(p, "hostaddr")) {
			snprintf(err, errlen, "host must name TCP servers (a Unix socket carries no TLS)");
			return -1;
		}
	}
	param_default(p, "ssl_min_protocol_version", "TLSv1.2");
	return 0;
}

static enum store_status read_conninfo(const char *path, char *buf, size_t len, char *err,
				       size_t errlen)
{
	struct sosafe_err e;
	if (fs_read_private("pg_conninfo_file", path, buf, len, &e)) {
		snprintf(err, errlen, "%s", e.msg);
		return ST_PERM;
	}
	/* comment lines are allowed; lines join into one string */
	char *w = buf;
	for (char *line = buf, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		while (*line == ' ' || *line == '\t')
			line++;
		if (*line == '#' || !*line)
			continue;
		size_t n = strlen(line);
		memmove(w, line, n);
		w += n;
		*w++ = ' ';
	}
	*w = '\0';
	return ST_OK;
}

static void descr_of(const struct params *p, char *descr, size_t len)
{
	const char *host = param(p, "host");
	const char *db = param(p, "dbname");
	snprintf(descr, len, "postgresql://%s/%s", host ? host : param(p, "hostaddr") ?: "?",
		 db ? db : "?");
}

/* After the handshake: the session really is TLS 1.2 or newer. */
static int check_session(PGconn *c, bool insecure, char *err, size_t errlen)
{
	if (insecure)
		return 0;
	const char *proto = PQsslAttribute(c, "protocol");
	if (!PQsslInUse(c) || !proto || (strcmp(proto, "TLSv1.2") && strcmp(proto, "TLSv1.3"))) {
		snprintf(err, errlen, "the connection is not TLS 1.2 or newer (%s)",
			 proto ? proto : "no TLS");
		return -1;
	}
	return 0;
}

enum store_status pg_link_connect(struct pg_link *l, char *descr, size_t descrlen, char *err,
				  size_t errlen)
{
	char text[CONNINFO_MAX];
	struct params p = { .n = 0 };
	char *perr = NULL;
	PQconninfoOption *opts = NULL;
	enum store_status s = read_conninfo(l->conninfo_file, text, sizeof(text), err, errlen);
	if (s != ST_OK)
		goto out;
	opts = PQconninfoParse(text, &perr);
	if (!opts) {
		/* libpq's message quotes the text it stopped at, which may be the
		 * password: never shown */
		snprintf(err, errlen, "pg_conninfo_file %s: not a connection string (keyword=value "
			 "pairs, values with spaces in single quotes; see docs/fleet.md)",
			 l->conninfo_file);
		if (perr)
			explicit_bzero(perr, strlen(perr));
		PQfreemem(perr);
		s = ST_ERROR;
		goto out;
	}
	for (PQconninfoOption *o = opts; o->keyword; o++)
		if (o->val && p.n < PARAMS_MAX) {
			p.kw[p.n] = o->keyword;
			p.val[p.n++] = o->val;
		}
	descr_of(&p, descr, descrlen);
	char why[256];
	if (check_policy(&p, l->insecure, why, sizeof(why))) {
		snprintf(err, errlen, "pg_conninfo_file %s refused: %s (pg_insecure = yes allows it, "
			 "for tests only)", l->conninfo_file, why);
		s = ST_PERM;
		goto out;
	}
	/* libpq's own bound per host, in whole seconds (at least 2) */
	snprintf(p.num[0], sizeof(p.num[0]), "%u", (l->connect_timeout_ms + 999) / 1000);
	snprintf(p.num[1], sizeof(p.num[1]), "%u", l->timeout_ms);
	param_default(&p, "connect_timeout", p.num[0]);
	/* a dead server must not hold a write for the kernel's TCP timeout */
	param_default(&p, "tcp_user_timeout", p.num[1]);
	param_default(&p, "gssencmode", "disable");
	param_default(&p, "application_name", program_invocation_short_name);
	p.kw[p.n] = p.val[p.n] = NULL;
	PGconn *c = PQconnectdbParams(p.kw, p.val, 0);
	if (!c || PQstatus(c) != CONNECTION_OK) {
		snprintf(err, errlen, "cannot connect to %s: %s", descr,
			 c ? PQerrorMessage(c) : "out of memory");
		/* libpq ends its messages with a newline */
		err[strcspn(err, "\n")] = '\0';
		PQfinish(c);
		s = ST_UNREACHABLE;
		goto out;
	}
	if (check_session(c, l->insecure, why, sizeof(why))) {
		snprintf(err, errlen, "%s refused: %s", descr, why);
		PQfinish(c);
		s = ST_PERM;
		goto out;
	}
	l->conn = c;
	l->connects++;
out:
	if (opts) {
		for (PQconninfoOption *o = opts; o->keyword; o++)
			if (o->val)
				explicit_bzero(o->val, strlen(o->val));
		PQconninfoFree(opts);
	}
	explicit_bzero(text, sizeof(text));
	return s;
}
