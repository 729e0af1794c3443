/* `sosafectl sync` from a live directory. The entries are written as LDIF
 * (every value base64) into memory and handed to directory_parse(), so a
 * pull is checked exactly like an export file: same names rule, same AD
 * semantics (userAccountControl, accountExpires, memberOf), same refusals. */
#include <config.h>
#include "pull_parts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The configuration a pull needs, checked before any connection. */
static int check_config(const struct sosafe_config *cfg, struct sosafe_err *e)
{
	if (cfg->ldap_sasl_mech[0] && strcasecmp(cfg->ldap_sasl_mech, "EXTERNAL"))
		return err_set(e, "ldap_sasl_mech: only EXTERNAL (a TLS client certificate) is "
			       "supported");
	if (cfg->ldap_sasl_mech[0] && (!cfg->ldap_tls_cert[0] || !cfg->ldap_tls_key[0]))
		return err_set(e, "ldap_sasl_mech = EXTERNAL needs ldap_tls_cert and ldap_tls_key");
	if (cfg->ldap_sasl_mech[0] && cfg->ldap_bind_dn[0])
		return err_set(e, "ldap_sasl_mech = EXTERNAL and ldap_bind_dn exclude each other "
			       "(the identity comes from the certificate)");
	if ((cfg->ldap_tls_cert[0] || cfg->ldap_tls_key[0]) && check_key_file(cfg, e))
		return -1;
	if (!cfg->ldap_uri[0])
		return err_set(e, "ldap_uri is not set in %s (or give --from FILE)", cfg->conf_path);
	if (!cfg->ldap_base[0])
		return err_set(e, "ldap_base is not set in %s", cfg->conf_path);
	if (cfg->ldap_bind_dn[0] && !cfg->ldap_bind_password_file[0])
		return err_set(e, "ldap_bind_dn needs ldap_bind_password_file");
	return 0;
}

/* Read the bind password (if any) and connect; the password is wiped
 * before this returns. */
static LDAP *bind_directory(const struct sosafe_config *cfg, struct ldap_pull_info *info,
			    struct sosafe_err *e)
{
	char *pw = calloc(1, PASSWORD_MAX);
	LDAP *ld = NULL;
	if (!pw) {
		err_set(e, "out of memory");
		return NULL;
	}
	if (!cfg->ldap_bind_dn[0] ||
	    !read_password(cfg->ldap_bind_password_file, pw, PASSWORD_MAX, e))
		ld = connect_any(cfg, pw, info, e);
	explicit_bzero(pw, PASSWORD_MAX);
	free(pw);
	return ld;
}

/* Groups (with their nesting), the disabled users' DNs, then the users,
 * as LDIF into OUT. */
static int read_entries(LDAP *ld, const struct sosafe_config *cfg, const struct attrmap *map,
			FILE *out, struct ldap_pull_info *info, bool show_progress,
			struct sosafe_err *e)
{
	struct nests ns = { 0 };
	struct dnset disabled = { 0 };
	struct progress prog = { .on = show_progress };
	struct search_ctx c = { .out = out, .ns = &ns, .m = map, .groups = true, .prog = &prog };
	int r = search_paged(ld, cfg, cfg->ldap_group_filter, map->group_req, &c, &info->pages, e);
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
	nests_free(&ns);
	dnset_free(&disabled);
	return r;
}

int ldap_pull(const struct sosafe_config *cfg, struct directory *d, struct ldap_pull_info *info,
	      bool show_progress, struct sosafe_err *e)
{
	memset(d, 0, sizeof(*d));
	memset(info, 0, sizeof(*info));
	struct attrmap *map = calloc(1, sizeof(*map));
	if (!map)
		return err_set(e, "out of memory");
	LDAP *ld = NULL;
	char *text = NULL;
	size_t len = 0;
	FILE *out = NULL;
	int r = -1;
	if (map_build(cfg, map, e) || check_config(cfg, e) || !(ld = bind_directory(cfg, info, e)))
		goto done;
	if (!(out = open_memstream(&text, &len))) {
		err_set(e, "out of memory");
		goto done;
	}
	r = read_entries(ld, cfg, map, out, info, show_progress, e);
	if (fclose(out) && !r)
		r = err_set(e, "out of memory");
	if (!r && directory_parse_flags(text, len, d, DIR_PARSE_SKIP_UNSAFE, e))
		r = err_prefix(e, "directory data refused");
done:
	if (ld)
		ldap_unbind_ext_s(ld, NULL, NULL);
	free(map);
	if (text)
		explicit_bzero(text, len);
	free(text);
	return r;
}
