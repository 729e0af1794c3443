/* Shared set-up of the TOTP integration tests: a private directory with
 * nss_wrapper passwd/group/shadow files, PAM service files for
 * pam_start_confdir(), a configuration file and a state store owned by the
 * test user. The program re-executes itself under LD_PRELOAD=libnss_wrapper.so. */
#ifndef OTP_ENV_H
#define OTP_ENV_H
#include <security/pam_appl.h>
#include <stdbool.h>
#include <stdint.h>

#include "store/lockout_store.h"
#include "store/otp_store.h"
#include "store/store.h"

extern char otp_env_dir[256];
extern char otp_env_conf[300];
extern char otp_env_pamd[300];

/* Prepare the directory (first run) and re-exec under nss_wrapper; in the
 * re-executed child, just fill the globals. Call first thing in main(). */
void otp_env_init(int argc, char **argv);
/* Remove the directory (call from the outer process only; the child keeps it). */
void otp_env_cleanup(void);

/* Write a PAM service file NAME with the given auth lines (joined with \n);
 * "%M" in LINES is replaced with the module path and "%C" with conf=FILE. */
void otp_env_service(const char *name, const char *lines);

/* Open the store (caller closes). */
struct store *otp_env_store(void);
/* (Re-)enroll USER with SECRET/PARAMS, last_step -1, and clear the tally. */
void otp_env_enroll(const char *user, const char *secret, size_t len, struct totp_params p);
void otp_env_forget(const char *user);
/* The code of NOW for SECRET/PARAMS, with OFFSET steps. */
void otp_env_code(const char *secret, size_t len, struct totp_params p, int offset, char *out);

/* Conversation: answers prompts from a list, records what was asked. */
struct conv_script {
	const char *answers[4];
	unsigned nanswers, asked;
	char prompts[8][128];
	int styles[8];
	unsigned nmsgs;
	unsigned info_msgs, error_msgs, multi_msg_calls;
};
int otp_env_conv(int n, const struct pam_message **msg, struct pam_response **resp, void *data);

/* Run pam_authenticate (and, if it succeeds, pam_acct_mgmt) for USER on
 * SERVICE with SCRIPT. If AUTHTOK is non-NULL it receives the PAM_AUTHTOK
 * exported by pam_get_items.so (when the service has it). */
int otp_env_auth(const char *service, const char *user, struct conv_script *script,
		 char *authtok, size_t authtok_len);

#endif
