/* One full login through real libpam: auth (preauth + password + otp) and
 * account, as sshd or sudo would call it, then exit. The conversation
 * answers every prompt with $LOGIN_ANSWER. Run under callgrind by run.sh
 * to count what one login costs the calling process.
 *
 *   login_once SERVICE_DIR SERVICE USER     exit 0 if both phases succeed */
#include <config.h>

#include <security/pam_appl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int answer_all(int n, const struct pam_message **msg, struct pam_response **resp,
		      void *data)
{
	const char *answer = data;
	struct pam_response *r = calloc((size_t)n, sizeof(*r));
	if (!r)
		return PAM_BUF_ERR;
	for (int i = 0; i < n; i++) {
		int style = msg[i]->msg_style;
		if (style == PAM_PROMPT_ECHO_OFF || style == PAM_PROMPT_ECHO_ON) {
			r[i].resp = strdup(answer);
			if (!r[i].resp) {
				for (int j = 0; j < i; j++)
					free(r[j].resp);
				free(r);
				return PAM_BUF_ERR;
			}
		}
	}
	*resp = r;
	return PAM_SUCCESS;
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: login_once SERVICE_DIR SERVICE USER\n");
		return 2;
	}
	const char *answer = getenv("LOGIN_ANSWER");
	struct pam_conv conv = { answer_all, (void *)(answer ? answer : "") };
	pam_handle_t *h = NULL;
	int rc = pam_start_confdir(argv[2], argv[3], &conv, argv[1], &h);
	if (rc != PAM_SUCCESS) {
		fprintf(stderr, "login_once: pam_start_confdir: %d\n", rc);
		return 1;
	}
	rc = pam_authenticate(h, 0);
	if (rc == PAM_SUCCESS)
		rc = pam_acct_mgmt(h, 0);
	if (rc != PAM_SUCCESS)
		fprintf(stderr, "login_once: %s\n", pam_strerror(h, rc));
	pam_end(h, rc);
	return rc == PAM_SUCCESS ? 0 : 1;
}
