/* Everything one PAM call needs: the line's words, the configuration the
 * module itself uses, and who and where (the PAM items). */
#ifndef PAM_SOSAFE_CONTEXT_H
#define PAM_SOSAFE_CONTEXT_H

#include <security/pam_modules.h>
#include <stdbool.h>

#include "base/conf.h"
#include "base/log.h"
#include "proto/proto.h"

/* What a line asks the module to do ("auth ... pam_sosafe.so preauth"). */
enum sosafe_action {
	ACT_NONE = 0,
	ACT_PREAUTH,   /* refuse if locked; count this attempt up front */
	ACT_AUTHSUCC,  /* the modules above succeeded: clear the attempt */
	ACT_OTP,       /* ask for and check the second factor, then as authsucc */
};

struct sosafe_ctx {
	pam_handle_t *pamh;
	int flags;
	enum sosafe_action action;
	bool forward_pass;        /* single-field mode: password followed by the code */
	bool check_password;      /* one-line mode: check the shadow password too */
	const char *conf;         /* the line's conf=FILE; NULL: the system file */
	const char *words[SD_WORDS_MAX];  /* configuration words, for the daemon */
	unsigned nwords;
	const char *break_glass;  /* the line's break_glass=USER[,USER...]; NULL: none */
	struct sosafe_config cfg;
	const char *user;
	const char *service;
	const char *rhost;
	const char *tty;
	const char *ruser;
	bool user_valid;          /* name passed name_is_valid() */
	struct log_ctx log;
};

/* Parse the PAM line and the configuration file, read the PAM items and
 * the user. Returns PAM_SUCCESS, or after logging why: PAM_IGNORE
 * (break-glass, see break_glass.h) or a PAM error (fail closed). */
int ctx_init(struct sosafe_ctx *c, pam_handle_t *pamh, int flags, int argc, const char **argv,
	     bool auth_phase);

/* Ask libpam to delay a failure (unless nodelay). */
void ctx_request_delay(struct sosafe_ctx *c);

#endif
