/* Fuzz the directory import: an Active Directory LDIF export or the JSON
 * form, as `sosafectl sync --from FILE` reads it (directory_parse()).
 * An accepted directory must hold only user names a Unix system can use, no
 * duplicates (case-insensitive, as AD compares them), no uid 0, and
 * memberships that point at entries that exist. Leaks are findings too. */
#include <config.h>

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "directory/directory.h"
#include "fuzz_util.h"

static void check_directory(const struct directory *d)
{
	for (size_t i = 0; i < d->nusers; i++) {
		const struct dir_user *u = &d->users[i];
		fuzz_require(u->name && directory_name_ok(u->name), "user %zu: bad name", i);
		fuzz_require(u->uid == DIR_NO_ID || u->uid > 0, "user %s: uid %lld", u->name, u->uid);
		for (size_t j = 0; j < i; j++)
			fuzz_require(strcasecmp(d->users[j].name, u->name) != 0, "duplicate user %s",
				     u->name);
		for (size_t g = 0; g < u->ngroups; g++)
			fuzz_require(u->groups[g] != NULL, "user %s: NULL group", u->name);
		/* passwd fields never break a passwd line or drive a terminal */
		const char *f[] = { u->gecos, u->home, u->shell };
		for (size_t k = 0; k < 3; k++)
			for (const unsigned char *c = (const unsigned char *)f[k]; c && *c; c++)
				fuzz_require(*c != ':' && *c >= 0x20 && *c != 0x7f &&
					     !(c[0] == 0xc2 && c[1] >= 0x80 && c[1] <= 0x9f),
					     "user %s: unsafe byte in a passwd field", u->name);
	}
	for (size_t i = 0; i < d->ngroups; i++) {
		const struct dir_group *g = &d->groups[i];
		/* AD's own groups ("domain users") keep unsafe names for membership;
		 * the snapshot writer publishes only safe ones */
		fuzz_require(g->name && g->name[0], "group %zu: no name", i);
		for (size_t j = 0; j < i; j++)
			fuzz_require(strcasecmp(d->groups[j].name, g->name) != 0, "duplicate group %s",
				     g->name);
		for (size_t m = 0; m < g->nmembers; m++)
			fuzz_require(g->members[m] != NULL, "group %s: NULL member", g->name);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 256 * 1024)
		return 0;
	char *text = malloc(size ? size : 1); /* exactly SIZE bytes, no NUL after */
	if (!text)
		abort();
	if (size)
		memcpy(text, data, size);
	struct directory d;
	struct sosafe_err err;
	memset(&d, 0, sizeof(d));
	memset(&err, 0, sizeof(err));
	if (directory_parse(text, size, &d, &err) == 0) {
		check_directory(&d);
		int64_t now = 1700000000;
		for (size_t i = 0; i < d.nusers; i++) {
			const char *why = NULL;
			(void)directory_user_active(&d, &d.users[i], "sosafe-users", now, &why);
		}
	} else {
		fuzz_require(err.msg[0] != '\0', "refused without a reason");
	}
	directory_free(&d);
	free(text);
	return 0;
}
