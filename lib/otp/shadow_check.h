/* The one-line mode's password check: the shadow hash through NSS
 * (getspnam, so /etc/shadow, nss_wrapper or nss_sosafe's shadow map) and
 * libcrypt's crypt_rn, compared in constant time. Unknown users, locked
 * ("!", "*") and empty hashes cost one hash like a real check, and fail. */
#ifndef SOSAFE_SHADOW_CHECK_H
#define SOSAFE_SHADOW_CHECK_H
#include <stdbool.h>

bool shadow_password_ok(const char *user, const char *password);

#endif
