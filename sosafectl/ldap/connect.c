/* Connecting to the directory: TLS 1.2 or later with a verified
 * certificate (plain LDAP only with ldap_insecure), a simple or SASL
 * EXTERNAL bind, the servers of ldap_uri tried in order. */
#include <config.h>
#include "pull_parts.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define TLS_PRIORITY "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"


void ldap_reason(LDAP *ld, int rc, char *buf, size_t len)
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

LDAP *connect_any(const struct sosafe_config *cfg, const char *pw, struct ldap_pull_info *info,
		  struct sosafe_err *e)
{
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
	if (!ld)
		err_set(e, "no directory server usable: %s", tried);
	return ld;
}
