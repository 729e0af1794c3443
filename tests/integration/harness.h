/* Drive the real libpam with a private service directory (pam_start_confdir)
 * against the built pam_sosafe.so, with users from nss_wrapper (no root).
 *
 * Users (passwd): root, alice .. grace (uid 2001 .. 2007, each with a group
 * of its own; carol is in wheel), r00 .. r39 (uid 3000 ..). Shadow: erin's
 * password is "correct horse" (yescrypt), frank's hash is locked ("!").
 * pam_matrix passwords (@PASSDB@): "right" for alice .. grace, "rootpw" for root. */
#ifndef SOSAFE_TEST_HARNESS_H
#define SOSAFE_TEST_HARNESS_H

#include <security/pam_appl.h>
#include <stdbool.h>
#include <stddef.h>

#include "otp/totp.h"
#include "store/store.h"
#include "tmp_dir.h"

/* libpam-wrapper's password module (passdb=FILE of user:password:service) */
#define PAM_MATRIX "/usr/lib/x86_64-linux-gnu/pam_wrapper/pam_matrix.so"

struct harness {
	char dir[TMP_DIR_LEN];   /* temp root, removed when the program ends */
	char confdir[TMP_DIR_LEN + 16];   /* PAM service files */
	char state_dir[TMP_DIR_LEN + 16];
	char conf[TMP_DIR_LEN + 16];      /* sosafe.conf */
	char key[TMP_DIR_LEN + 16];       /* secret_key_file */
	char passdb[TMP_DIR_LEN + 16];    /* pam_matrix password file */
	char module[512];                 /* built pam_sosafe.so */
	char syslog[TMP_DIR_LEN + 16];    /* "PRIORITY LINE" of the module and sosafed */
};

/* Call first in main(): runs the program again under nss_wrapper (the first
 * run waits for it and exits with its status), then creates the service
 * directory, sosafe.conf (state_dir, secret_key_file, nodelay and the lines
 * CONF_EXTRA, may be NULL), the key file and an initialised store. */
void harness_setup(struct harness *h, char **argv, const char *conf_extra);

/* Write service NAME with TEXT (PAM lines; "@MODULE@", "@CONF@" and
 * "@PASSDB@" are replaced with the paths). */
void harness_service(const struct harness *h, const char *name, const char *text);

/* Write service NAME as the Debian common-auth pattern around pam_matrix
 * (every failure comes out of pam_deny), OPTS added to each sosafe line:
 *   auth preauth / pam_matrix / pam_deny / auth authsucc / account. */
void harness_password_stack(const struct harness *h, const char *name, const char *opts);

/* pam_authenticate for USER on SERVICE answering each prompt with the next
 * of ANSWERS (NULL-terminated; the last one repeats). Fills T if not NULL. */
struct transcript {
	char text[4096];   /* "P:Password: |I:message|" style record of the conversation */
	int nprompts;
};
int harness_auth(const struct harness *h, const char *service, const char *user,
		 const char *const *answers, struct transcript *t);
int harness_acct(const struct harness *h, const char *service, const char *user);
/* The same from terminal TTY and remote host RHOST (NULL: item unset;
 * harness_auth uses RHOST 192.0.2.1 and no TTY). */
int harness_auth_from(const struct harness *h, const char *service, const char *user,
		      const char *const *answers, struct transcript *t, const char *tty,
		      const char *rhost);
int harness_acct_from(const struct harness *h, const char *service, const char *user,
		      const char *tty, const char *rhost);

/* How many captured syslog lines hold A (and B, unless NULL). */
int harness_log_count(const struct harness *h, const char *a, const char *b);

/* A login as a client sees it: pam_authenticate and, if it succeeds,
 * pam_acct_mgmt for USER on SERVICE, prompts answered from SCRIPT (then
 * empty answers). If AUTHTOK is non-NULL it receives the PAM_AUTHTOK
 * exported by pam_get_items.so (when the service has it). */
struct conv_script {
	const char *answers[4];
	unsigned nanswers, asked;
	char prompts[8][128];
	int styles[8];
	unsigned nmsgs;
	unsigned info_msgs, error_msgs, multi_msg_calls;
};
int harness_login(const struct harness *h, const char *service, const char *user,
		  struct conv_script *script, char *authtok, size_t authtok_len);

/* The store (caller closes); exits the test on error. */
struct store *harness_store(const struct harness *h);
/* The tally of USER (false if no row). */
struct tally;
bool harness_tally(const struct harness *h, const char *user, struct tally *t);
/* Forget every record of USER. */
void harness_forget(const struct harness *h, const char *user);
/* (Re-)enroll USER with SECRET/PARAMS, last_step -1, and clear the tally. */
void harness_enroll(const struct harness *h, const char *user, const char *secret, size_t len,
		    struct totp_params p);
/* The code of now for SECRET/PARAMS, OFFSET steps later. */
void harness_code(const char *secret, size_t len, struct totp_params p, int offset, char *out);

#endif
