#include <config.h>
#include "shadow_check.h"

#include <crypt.h>
#include <errno.h>
#include <shadow.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* yescrypt with the distribution's default cost: an unknown user costs
 * what a real one costs. The salt is public. */
static const char dummy_setting[] = "$y$j9T$VcFNbndZwDHsvy7ewtsua1";

/* Copy of the shadow hash of USER into a malloc'd string, or NULL. */
static char *shadow_hash_of(const char *user)
{
	size_t size = 4096;
	for (int tries = 0; tries < 5; tries++, size *= 2) {
		char *buf = malloc(size);
		if (!buf)
			return NULL;
		struct spwd sp, *res = NULL;
		int rc = getspnam_r(user, &sp, buf, size, &res);
		if (rc == ERANGE) {
			free(buf);
			continue;
		}
		char *h = (rc == 0 && res && res->sp_pwdp) ? strdup(res->sp_pwdp) : NULL;
		explicit_bzero(buf, size);
		free(buf);
		return h;
	}
	return NULL;
}

bool shadow_password_ok(const char *user, const char *password)
{
	_cleanup_secret_ char *hash = shadow_hash_of(user);
	/* a usable hash starts with '$' (modern) or is 13 chars of DES; we
	 * accept only the '$' forms */
	bool usable = hash && hash[0] == '$';
	struct crypt_data *cd = calloc(1, sizeof(*cd));
	if (!cd)
		return false;
	const char *got = crypt_rn(password ? password : "", usable ? hash : dummy_setting, cd,
				   sizeof(*cd));
	bool ok = false;
	if (usable && got && got[0] != '*') {
		size_t n = strlen(hash);
		ok = strlen(got) == n && ct_memeq(got, hash, n);
	}
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
	return ok && password;
}
