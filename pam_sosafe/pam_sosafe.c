/* pam_sosafe: lockout after `deny` failures, the TOTP second factor and the
 * account checks of the sosafe policy, decided by the sosafed daemon; this
 * module converses and asks. See pam_sosafe(8).
 *
 *   auth     requisite  pam_sosafe.so preauth
 *   auth     requisite  pam_unix.so
 *   auth     required   pam_sosafe.so authsucc      (or: otp)
 *   account  required   pam_sosafe.so
 */
#include <config.h>

#include <security/pam_modules.h>

#include "context.h"
#include "steps.h"
#include "base/util.h"

SOSAFE_EXPORT int pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	struct sosafe_ctx c;
	int rc = ctx_init(&c, pamh, flags, argc, argv, true);
	if (rc != PAM_SUCCESS)
		return rc;
	switch (c.action) {
	case ACT_PREAUTH:
		return step_preauth(&c);
	case ACT_AUTHSUCC:
		return step_authsucc(&c);
	case ACT_OTP:
		return step_otp(&c);
	case ACT_NONE:
		break;
	}
	return PAM_SERVICE_ERR;
}

SOSAFE_EXPORT int pam_sm_setcred(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	return PAM_SUCCESS;
}

SOSAFE_EXPORT int pam_sm_acct_mgmt(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	struct sosafe_ctx c;
	int rc = ctx_init(&c, pamh, flags, argc, argv, false);
	if (rc != PAM_SUCCESS)
		return rc == PAM_SERVICE_ERR ? PAM_PERM_DENIED : rc;
	return step_account(&c);
}
