/* Drive the real libpam with a private service directory (pam_start_confdir)
 * and users from nss_wrapper, recording every conversation message. */
#ifndef SOSAFE_TEST_HARNESS_H
#define SOSAFE_TEST_HARNESS_H

#include <security/pam_appl.h>
#include <stdbool.h>
#include <stddef.h>

/* libpam-wrapper's password module (passdb=FILE of user:password:service) */
#define PAM_MATRIX "/usr/lib/x86_64-linux-gnu/pam_wrapper/pam_matrix.so"

struct transcript {
	char text[4096];   /* "P:Password: |I:message|" style record of the conversation */
	int nprompts;
};

struct harness {
	char dir[256];       /* temp root */
	char confdir[300];   /* PAM service files */
	char state_dir[300];
	char conf[300];      /* sosafe.conf */
	char passdb[300];    /* pam_matrix password file */
	char module[512];    /* built pam_sosafe.so */
};

/* Re-exec under nss_wrapper with the test users if not done yet, then
 * create the temp tree and an initialised store. */
void harness_setup(struct harness *h, int argc, char **argv);
void harness_teardown(struct harness *h);

/* Write service NAME with TEXT (PAM lines, "@MODULE@" and "@CONF@" and "@PASSDB@"
 * replaced). */
void harness_service(struct harness *h, const char *name, const char *text);

/* Write service NAME as the Debian common-auth pattern around pam_matrix
 * (every failure comes out of pam_deny), OPTS added to each sosafe line:
 *   auth preauth / pam_matrix / pam_deny / auth authsucc / account. */
void harness_password_stack(struct harness *h, const char *name, const char *opts);

/* Run pam_authenticate for USER on SERVICE answering each prompt with the next
 * of ANSWERS (NULL-terminated; the last one repeats). Fills T if not NULL. */
int harness_auth(struct harness *h, const char *service, const char *user,
		 const char *const *answers, struct transcript *t);
int harness_acct(struct harness *h, const char *service, const char *user);

/* Read the tally of USER from the store (returns false if no row). */
struct tally;
bool harness_tally(struct harness *h, const char *user, struct tally *t);

#endif
