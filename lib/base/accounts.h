/* What the system's user database says about an account. */
#ifndef SOSAFE_ACCOUNTS_H
#define SOSAFE_ACCOUNTS_H
#include <stdbool.h>

/* Look USER up through NSS: *IS_ROOT if its uid is 0, *IS_ADMIN if it is a
 * member of ADMIN_GROUP (primary or supplementary). Returns true if found. */
bool account_privilege(const char *user, const char *admin_group, bool *is_root, bool *is_admin);

#endif
