/* Run only the account phase of a private PAM service (pam_start_confdir):
 *   pam_acct CONFDIR SERVICE USER
 * Prints the PAM result name and exits 0 on PAM_SUCCESS, 1 otherwise.
 * No authentication runs: this is the path of an ssh public-key login. */
#include <config.h>
#include <security/pam_appl.h>
#include <stdio.h>

static int conv(int n, const struct pam_message **m, struct pam_response **r, void *d)
{
	return PAM_CONV_ERR;
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: pam_acct CONFDIR SERVICE USER\n");
		return 2;
	}
	struct pam_conv c = { conv, NULL };
	pam_handle_t *h = NULL;
	int rc = pam_start_confdir(argv[2], argv[3], &c, argv[1], &h);
	if (rc != PAM_SUCCESS) {
		printf("pam_start: %s\n", pam_strerror(h, rc));
		return 2;
	}
	rc = pam_acct_mgmt(h, PAM_SILENT);
	printf("%s\n", rc == PAM_SUCCESS ? "PAM_SUCCESS" : rc == PAM_ACCT_EXPIRED ? "PAM_ACCT_EXPIRED"
		       : rc == PAM_PERM_DENIED ? "PAM_PERM_DENIED" : pam_strerror(h, rc));
	pam_end(h, rc);
	return rc == PAM_SUCCESS ? 0 : 1;
}
