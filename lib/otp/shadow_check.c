#include <config.h>
#include "otp/shadow_check.h"

#include <crypt.h>
#include <errno.h>
#include <pthread.h>
#include <shadow.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"

/* yescrypt with the distribution's default cost: an unknown user costs
 * what a real one costs. The salt is public. */
static const char dummy_setting[] = "$y$j9T$VcFNbndZwDHsvy7ewtsua1";

/* Copy of the shadow hash of USER into a malloc'd string, or NULL.
 * getspnam (not _r) as pam_unix does: it is what interposers such as
 * nss_wrapper provide; the lock keeps our own threads off its static
 * buffer, and the result is copied at once. */
static char *shadow_hash_of(const char *user)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	char *h = NULL;
	pthread_mutex_lock(&lock);
	struct spwd *sp = getspnam(user);
	if (sp && sp->sp_pwdp)
		h = strdup(sp->sp_pwdp);
	pthread_mutex_unlock(&lock);
	return h;
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
