/* Who counts as active: enabled, not expired, and a member of the
 * entitled group (directly by memberOf, or listed as the group's member). */
#include <config.h>
#include "directory/directory.h"

#include <strings.h>
#include <string.h>

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
