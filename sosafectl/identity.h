/* Who runs sosafectl, as far as the kernel vouches for it: the login uid
 * (set at login, kept across su and sudo). SUDO_USER is only a name for
 * it: trusted when it is the account of SUDO_UID and of the login uid. */
#ifndef SOSAFECTL_IDENTITY_H
#define SOSAFECTL_IDENTITY_H

#include <stdbool.h>

struct admin_id {
	char name[300];          /* the actor in records: SUDO_USER, login uid or uid */
	char login[300];         /* account of the login uid; "" if unset or 0 */
	char not_approver[400];  /* why this caller may not approve; "" if it may */
};

/* Fill ID from the process and its environment. An approver has a login
 * uid other than 0 that names an existing account, a member of ADMIN_GROUP
 * if that is not empty. */
void admin_id_init(struct admin_id *id, const char *admin_group);

#endif
