/* Live pull of users and groups from LDAP / Active Directory with libldap
 * (only sosafectl links libldap; the PAM and NSS modules never do). */
#ifndef SOSAFE_LDAP_PULL_H
#define SOSAFE_LDAP_PULL_H

#include <stdbool.h>
#include <stddef.h>

#include "base/conf.h"
#include "base/err.h"
#include "directory/directory.h"

struct ldap_pull_info {
	char uri[256];        /* the server that answered */
	char tls[32];         /* negotiated TLS version, "" for plain LDAP */
	bool insecure;        /* plain LDAP was used (ldap_insecure) */
	size_t entries;       /* entries read (users + groups) */
	size_t pages;         /* search result pages */
	size_t disabled;      /* users matching ldap_disabled_filter */
};

/* Connect to the first ldap_uri that answers (TLS required unless
 * ldap_insecure), bind (simple, or SASL EXTERNAL with a client
 * certificate), read users and groups page by page through the attribute
 * map (ldap_attr_*) and build the same model directory_parse() gives.
 * SHOW_PROGRESS: a one-line counter on stderr (for a terminal).
 * Returns 0, or -1 with E (D empty). */
int ldap_pull(const struct sosafe_config *cfg, struct directory *d, struct ldap_pull_info *info,
	      bool show_progress, struct sosafe_err *e);

#endif
