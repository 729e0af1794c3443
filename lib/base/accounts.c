#include <config.h>
#include "base/accounts.h"

#include <grp.h>
#include <pwd.h>
#include <string.h>

static bool user_in_group(const char *user, gid_t primary, const char *group)
{
	struct group grbuf, *gr = NULL;
	char buf[16384];
	if (getgrnam_r(group, &grbuf, buf, sizeof(buf), &gr) || !gr)
		return false;
	if (gr->gr_gid == primary)
		return true;
	for (char **m = gr->gr_mem; m && *m; m++)
		if (!strcmp(*m, user))
			return true;
	return false;
}

bool account_privilege(const char *user, const char *admin_group, bool *is_root, bool *is_admin)
{
	struct passwd pwbuf, *pw = NULL;
	char buf[16384];
	*is_root = *is_admin = false;
	if (getpwnam_r(user, &pwbuf, buf, sizeof(buf), &pw) || !pw)
		return false;
	*is_root = pw->pw_uid == 0;
	if (admin_group && *admin_group)
		*is_admin = user_in_group(user, pw->pw_gid, admin_group);
	return true;
}
