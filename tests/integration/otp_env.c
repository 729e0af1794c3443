#include <config.h>
#include "otp_env.h"

#include <crypt.h>
#include <errno.h>
#include <security/pam_appl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

char otp_env_dir[256];
char otp_env_conf[300];
char otp_env_pamd[300];
static char module_path[512];

static void die(const char *what)
{
	fprintf(stderr, "Bail out! %s: %s\n", what, strerror(errno));
	printf("Bail out! %s\n", what);
	exit(99);
}

static void write_file(const char *dir, const char *name, const char *text, mode_t mode)
{
	char path[600];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	if (!f || fputs(text, f) < 0 || fclose(f))
		die(path);
	chmod(path, mode);
}

void otp_env_init(int argc, char **argv)
{
	const char *b = getenv("abs_top_builddir");
	snprintf(module_path, sizeof(module_path), "%s/pam_sosafe/.libs/pam_sosafe.so", b ? b : ".");
	const char *dir = getenv("OTP_ENV_DIR");
	if (dir && getenv("NSS_WRAPPER_PASSWD")) {
		snprintf(otp_env_dir, sizeof(otp_env_dir), "%s", dir);
		snprintf(otp_env_conf, sizeof(otp_env_conf), "%s/sosafe.conf", dir);
		snprintf(otp_env_pamd, sizeof(otp_env_pamd), "%s/pam.d", dir);
		return;
	}
	snprintf(otp_env_dir, sizeof(otp_env_dir), "/tmp/sosafe-otp-it-XXXXXX");
	if (!mkdtemp(otp_env_dir))
		die("mkdtemp");
	chmod(otp_env_dir, 0755);
	char sub[300], text[8192];
	snprintf(sub, sizeof(sub), "%s/pam.d", otp_env_dir);
	mkdir(sub, 0755);
	snprintf(text, sizeof(text),
		 "root:x:0:0:root:/root:/bin/sh\n"
		 "alice:x:2001:100:Alice:/tmp:/bin/sh\n"
		 "bob:x:2002:100:Bob:/tmp:/bin/sh\n"
		 "carol:x:2003:100:Carol:/tmp:/bin/sh\n"
		 "dave:x:2004:100:Dave:/tmp:/bin/sh\n"
		 "erin:x:2005:100:Erin:/tmp:/bin/sh\n"
		 "frank:x:2006:100:Frank:/tmp:/bin/sh\n");
	for (int i = 0; i < 40; i++) {
		char line[96];
		snprintf(line, sizeof(line), "r%02d:x:%d:100:Replay:/tmp:/bin/sh\n", i, 3000 + i);
		strncat(text, line, sizeof(text) - strlen(text) - 1);
	}
	write_file(otp_env_dir, "passwd", text, 0644);
	write_file(otp_env_dir, "group", "root:x:0:\nusers:x:100:alice,bob\n", 0644);
	/* erin's password "correct horse" as a real yescrypt hash */
	char setting[CRYPT_GENSALT_OUTPUT_SIZE];
	struct crypt_data cd;
	memset(&cd, 0, sizeof(cd));
	if (!crypt_gensalt_rn("$y$", 0, NULL, 0, setting, sizeof(setting)))
		die("crypt_gensalt_rn");
	const char *h = crypt_rn("correct horse", setting, &cd, sizeof(cd));
	if (!h || h[0] == '*')
		die("crypt_rn");
	snprintf(text, sizeof(text),
		 "erin:%s:19000:0:99999:7:::\nfrank:!%s:19000:0:99999:7:::\n", h, h);
	write_file(otp_env_dir, "shadow", text, 0600);
	snprintf(sub, sizeof(sub), "%s/state", otp_env_dir);
	snprintf(text, sizeof(text),
		 "state_dir = %s\nnodelay = yes\nwindow = 1\ndeny = 6\nunlock_time = 600\n", sub);
	write_file(otp_env_dir, "sosafe.conf", text, 0600);
	snprintf(otp_env_conf, sizeof(otp_env_conf), "%s/sosafe.conf", otp_env_dir);
	struct store *st = NULL;
	char err[512];
	if (store_open(&st, sub, STORE_CREATE, 5000, err, sizeof(err)) != ST_OK) {
		fprintf(stderr, "%s\n", err);
		die("store_open");
	}
	store_close(st);

	char path[600];
	snprintf(path, sizeof(path), "%s/passwd", otp_env_dir);
	setenv("NSS_WRAPPER_PASSWD", path, 1);
	snprintf(path, sizeof(path), "%s/group", otp_env_dir);
	setenv("NSS_WRAPPER_GROUP", path, 1);
	snprintf(path, sizeof(path), "%s/shadow", otp_env_dir);
	setenv("NSS_WRAPPER_SHADOW", path, 1);
	setenv("LD_PRELOAD", "libnss_wrapper.so", 1);
	setenv("OTP_ENV_DIR", otp_env_dir, 1);
	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		/* the resolved path: under valgrind /proc/self/exe is valgrind
		 * itself, while readlink() of it names the test program */
		char self[4096];
		ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
		if (n > 0) {
			self[n] = '\0';
			execv(self, argv);
		}
		execv("/proc/self/exe", argv);
		die("execv");
	}
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	otp_env_cleanup();
	exit(WIFEXITED(status) ? WEXITSTATUS(status) : 98);
}

void otp_env_cleanup(void)
{
	char cmd[400];
	if (!otp_env_dir[0] || strncmp(otp_env_dir, "/tmp/sosafe-otp-it-", 19))
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", otp_env_dir);
	if (system(cmd))
		fprintf(stderr, "cannot remove %s\n", otp_env_dir);
}

void otp_env_service(const char *name, const char *lines)
{
	char out[4096], conf[400];
	size_t o = 0;
	snprintf(conf, sizeof(conf), "conf=%s", otp_env_conf);
	for (const char *p = lines; *p && o < sizeof(out) - 600; p++) {
		if (p[0] == '%' && p[1] == 'M') {
			o += (size_t)snprintf(out + o, sizeof(out) - o, "%s", module_path);
			p++;
		} else if (p[0] == '%' && p[1] == 'C') {
			o += (size_t)snprintf(out + o, sizeof(out) - o, "%s", conf);
			p++;
		} else {
			out[o++] = *p;
		}
	}
	out[o++] = '\n';
	out[o] = '\0';
	write_file(otp_env_pamd, name, out, 0644);
}

struct store *otp_env_store(void)
{
	char sub[300], err[512];
	struct store *st = NULL;
	snprintf(sub, sizeof(sub), "%s/state", otp_env_dir);
	if (store_open(&st, sub, 0, 5000, err, sizeof(err)) != ST_OK) {
		fprintf(stderr, "%s\n", err);
		die("store_open");
	}
	return st;
}

void otp_env_forget(const char *user)
{
	struct store *st = otp_env_store();
	long rows;
	if (store_begin(st) || store_delete_user(st, user, &rows) || store_commit(st))
		die("store_delete_user");
	store_close(st);
}

void otp_env_enroll(const char *user, const char *secret, size_t len, struct totp_params p)
{
	otp_env_forget(user);
	struct otp_record r;
	memset(&r, 0, sizeof(r));
	memcpy(r.secret, secret, len);
	r.secret_len = len;
	r.params = p;
	r.last_step = -1;
	r.enrolled_at = time(NULL);
	struct store *st = otp_env_store();
	if (store_begin(st) || otp_put(st, user, &r, "test") || store_commit(st))
		die("otp_put");
	store_close(st);
}

void otp_env_code(const char *secret, size_t len, struct totp_params p, int offset, char *out)
{
	int64_t step = totp_step_of(&p, time(NULL)) + offset;
	if (totp_code_at_step(&p, (const uint8_t *)secret, len, step, out))
		die("totp_code_at_step");
}

int otp_env_conv(int n, const struct pam_message **msg, struct pam_response **resp, void *data)
{
	struct conv_script *s = data;
	struct pam_response *r = calloc((size_t)n, sizeof(*r));
	if (!r)
		return PAM_BUF_ERR;
	if (n > 1)
		s->multi_msg_calls++;
	for (int i = 0; i < n; i++) {
		if (s->nmsgs < 8) {
			snprintf(s->prompts[s->nmsgs], sizeof(s->prompts[0]), "%s", msg[i]->msg);
			s->styles[s->nmsgs] = msg[i]->msg_style;
		}
		s->nmsgs++;
		switch (msg[i]->msg_style) {
		case PAM_PROMPT_ECHO_OFF:
		case PAM_PROMPT_ECHO_ON:
			if (s->asked < s->nanswers)
				r[i].resp = strdup(s->answers[s->asked]);
			else
				r[i].resp = strdup("");
			s->asked++;
			break;
		case PAM_TEXT_INFO:
			s->info_msgs++;
			break;
		case PAM_ERROR_MSG:
			s->error_msgs++;
			break;
		}
	}
	*resp = r;
	return PAM_SUCCESS;
}

int otp_env_auth(const char *service, const char *user, struct conv_script *script,
		 char *authtok, size_t authtok_len)
{
	struct pam_conv conv = { otp_env_conv, script };
	pam_handle_t *h = NULL;
	int rc = pam_start_confdir(service, user, &conv, otp_env_pamd, &h);
	if (rc != PAM_SUCCESS)
		return rc;
	rc = pam_authenticate(h, 0);
	if (authtok) {
		const char *t = pam_getenv(h, "PAM_AUTHTOK");
		snprintf(authtok, authtok_len, "%s", t ? t : "");
	}
	if (rc == PAM_SUCCESS)
		rc = pam_acct_mgmt(h, 0);
	pam_end(h, rc);
	return rc;
}
