/* Fuzz the PAM line: the module arguments ("preauth deny=3 even_deny_root
 * ...") and the user name, through the real ctx_init() of pam_sosafe.
 * libpam is replaced by the stubs below, so no PAM stack is needed.
 *
 * Input: the first line is the user name (as pam_get_user would return it),
 * the first byte of the second line selects the phase (odd: auth), every
 * further line is one argv word. "conf=" words are dropped: the harness
 * always points the module at an empty configuration file of its own.
 * PAM_TTY is unset, so break-glass never applies (PAM_IGNORE is a bug). */
#include <config.h>

#include <security/pam_appl.h>
#include <security/pam_modules.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "context.h"
#include "fuzz_util.h"
#include "base/names.h"

#define MAX_WORDS 64

static char conf_word[64];
static const char *fuzz_user;

/* ---- libpam stand-ins ------------------------------------------------ */
int pam_get_item(const pam_handle_t *pamh, int item_type, const void **item)
{
	(void)pamh;
	switch (item_type) {
	case PAM_SERVICE: *item = "fuzz-service"; return PAM_SUCCESS;
	case PAM_RHOST: *item = "192.0.2.1"; return PAM_SUCCESS;
	default: *item = NULL; return PAM_BAD_ITEM;
	}
}

int pam_get_user(pam_handle_t *pamh, const char **user, const char *prompt)
{
	(void)pamh;
	(void)prompt;
	*user = fuzz_user;
	return PAM_SUCCESS;
}

int pam_fail_delay(pam_handle_t *pamh, unsigned int usec)
{
	(void)pamh;
	(void)usec;
	return PAM_SUCCESS;
}

/* One module-data slot, emptied (its cleanup run) after every input, as
 * pam_end would. */
static const char *data_name;
static void *data_value;
static void (*data_cleanup)(pam_handle_t *, void *, int);

int pam_set_data(pam_handle_t *pamh, const char *name, void *data,
		 void (*cleanup)(pam_handle_t *, void *, int))
{
	(void)pamh;
	if (data_name && data_cleanup && data_value)
		data_cleanup(NULL, data_value, PAM_SUCCESS);
	data_name = name;
	data_value = data;
	data_cleanup = cleanup;
	return PAM_SUCCESS;
}

int pam_get_data(const pam_handle_t *pamh, const char *name, const void **data)
{
	(void)pamh;
	if (!data_name || strcmp(name, data_name))
		return PAM_NO_MODULE_DATA;
	*data = data_value;
	return PAM_SUCCESS;
}

static void end_handle(void)
{
	if (data_cleanup && data_value)
		data_cleanup(NULL, data_value, PAM_SUCCESS);
	data_name = NULL;
	data_value = NULL;
	data_cleanup = NULL;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	char path[] = "/tmp/sosafe-fuzz-conf-XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0)
		abort();
	close(fd);
	snprintf(conf_word, sizeof(conf_word), "conf=%s", path);
	log_set_sink(fuzz_log_sink);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 16 * 1024)
		return 0;
	char *buf = fuzz_strndup(data, size);
	const char *argv[MAX_WORDS + 1];
	int argc = 0;
	bool auth_phase = false;
	/* strsep keeps empty words: an empty argv entry is a valid input too */
	char *rest = buf;
	fuzz_user = strsep(&rest, "\n");
	char *phase = rest ? strsep(&rest, "\n") : NULL;
	if (phase && (phase[0] & 1))
		auth_phase = true;
	while (rest && argc < MAX_WORDS) {
		char *w = strsep(&rest, "\n");
		if (!strncmp(w, "conf=", 5))
			continue;
		argv[argc++] = w;
	}
	argv[argc++] = conf_word;

	struct sosafe_ctx c;
	pam_handle_t *fake = (pam_handle_t *)&c; /* never dereferenced by the stubs */
	int rc = ctx_init(&c, fake, 0, argc, argv, auth_phase);
	if (rc == PAM_SUCCESS) {
		fuzz_require(c.user == fuzz_user, "user not taken from PAM");
		fuzz_require(c.user_valid == name_is_valid(fuzz_user), "user_valid disagrees");
		fuzz_require(!auth_phase || c.action != ACT_NONE, "auth line without a mode accepted");
		fuzz_require(c.cfg.uid_min <= c.cfg.uid_max, "uid range inverted");
		fuzz_require(c.nwords <= SD_WORDS_MAX, "too many words kept");
		fuzz_require(!(c.forward_pass || c.check_password) || c.action == ACT_OTP,
			     "single-field mode outside otp");
	} else {
		fuzz_require(rc == PAM_SERVICE_ERR || rc == PAM_AUTH_ERR || rc == PAM_INCOMPLETE,
			     "unexpected PAM code %d", rc);
	}
	end_handle();
	free(buf);
	return 0;
}
