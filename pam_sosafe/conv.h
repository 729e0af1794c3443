/* Talking to the user through the PAM conversation. Messages are always
 * PAM_TEXT_INFO, never PAM_ERROR_MSG: FreeRADIUS rlm_pam fails the whole
 * conversation on an error message. One message per conversation call. */
#ifndef PAM_SOSAFE_CONV_H
#define PAM_SOSAFE_CONV_H
#include <security/pam_modules.h>
#include <stdbool.h>

/* Show an informational line unless SILENT. */
void conv_info(pam_handle_t *pamh, bool silent, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Ask PROMPT; *ANSWER is malloc'd (wipe with secure_free_str). */
int conv_ask(pam_handle_t *pamh, const char *prompt, bool echo, char **answer);

#endif
