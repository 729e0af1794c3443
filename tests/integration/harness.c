#include <config.h>
#include "harness.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lockout/lockout.h"
#include "store/lockout_store.h"
#include "store/store.h"

#define NSS_WRAPPER_LIB "libnss_wrapper.so"

static void write_file(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");
	if (!f) {
		fprintf(stderr, "cannot write %s: %s\n", path, strerror(errno));
		exit(99);
	}
	fputs(text, f);
	fclose(f);
	chmod(path, mode);
}

void harness_setup(struct harness *h, int argc, char **argv)
{
	memset(h, 0, sizeof(*h));
	if (!getenv("NSS_WRAPPER_PASSWD")) {
		char dir[] = "/tmp/sosafe-nss-XXXXXX";
		if (!mkdtemp(dir))
			exit(99);
		char pw[300], gr[300];
		snprintf(pw, sizeof(pw), "%s/passwd", dir);
		snprintf(gr, sizeof(gr), "%s/group", dir);
		write_file(pw,
			   "root:x:0:0:root:/root:/bin/sh\n"
			   "alice:x:2001:2001:Alice:/home/alice:/bin/sh\n"
			   "bob:x:2002:2002:Bob:/home/bob:/bin/sh\n"
			   "carol:x:2003:2003:Carol:/home/carol:/bin/sh\n"
			   "dave:x:2004:2004:Dave:/home/dave:/bin/sh\n"
			   "erin:x:2005:2005:Erin:/home/erin:/bin/sh\n"
			   "frank:x:2006:2006:Frank:/home/frank:/bin/sh\n"
			   "grace:x:2007:2007:Grace:/home/grace:/bin/sh\n",
			   0644);
		write_file(gr,
			   "root:x:0:\n"
			   "alice:x:2001:\nbob:x:2002:\ncarol:x:2003:\ndave:x:2004:\n"
			   "erin:x:2005:\nfrank:x:2006:\ngrace:x:2007:\n"
			   "wheel:x:10:carol\n",
			   0644);
		setenv("NSS_WRAPPER_PASSWD", pw, 1);
		setenv("NSS_WRAPPER_GROUP", gr, 1);
		setenv("NSS_WRAPPER_TMPDIR", dir, 1);
		setenv("LD_PRELOAD", NSS_WRAPPER_LIB, 1);
		/* the resolved path: under valgrind /proc/self/exe is valgrind
		 * itself, while readlink() of it names the test program */
		char self[4096];
		ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
		if (n > 0) {
			self[n] = '\0';
			execv(self, argv);
		}
		execv("/proc/self/exe", argv);
		perror("re-exec under nss_wrapper");
		exit(99);
	}
	(void)argc;
	snprintf(h->dir, sizeof(h->dir), "/tmp/sosafe-it-XXXXXX");
	if (!mkdtemp(h->dir))
		exit(99);
	chmod(h->dir, 0755);
	snprintf(h->confdir, sizeof(h->confdir), "%s/pam.d", h->dir);
	snprintf(h->state_dir, sizeof(h->state_dir), "%s/state", h->dir);
	snprintf(h->conf, sizeof(h->conf), "%s/sosafe.conf", h->dir);
	snprintf(h->passdb, sizeof(h->passdb), "%s/passdb", h->dir);
	const char *top = getenv("abs_top_builddir");
	snprintf(h->module, sizeof(h->module), "%s/pam_sosafe/.libs/pam_sosafe.so", top ? top : ".");
	if (access(h->module, R_OK)) {
		fprintf(stderr, "module not built: %s (set abs_top_builddir)\n", h->module);
		exit(99);
	}
	mkdir(h->confdir, 0755);
	char conf[600];
	snprintf(conf, sizeof(conf), "# test configuration\nstate_dir = %s\nnodelay = yes\n",
		 h->state_dir);
	write_file(h->conf, conf, 0644);
	write_file(h->passdb,
		   "root:rootpw:sosafe-test\nalice:right:sosafe-test\nbob:right:sosafe-test\n"
		   "carol:right:sosafe-test\ndave:right:sosafe-test\nerin:right:sosafe-test\n"
		   "frank:right:sosafe-test\ngrace:right:sosafe-test\n",
		   0600);
	struct store *st = NULL;
	char err[512];
	if (store_open(&st, h->state_dir, STORE_CREATE, 5000, err, sizeof(err)) != ST_OK) {
		fprintf(stderr, "cannot create store: %s\n", err);
		exit(99);
	}
	store_close(st);
}

void harness_teardown(struct harness *h)
{
	char cmd[400];
	if (!h->dir[0] || strncmp(h->dir, "/tmp/sosafe-it-", 15))
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", h->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cleanup of %s failed\n", h->dir);
}

static void replace_all(char *out, size_t len, const char *in, const char *key, const char *val)
{
	size_t o = 0, klen = strlen(key), vlen = strlen(val);
	while (*in && o + 1 < len) {
		if (!strncmp(in, key, klen) && o + vlen + 1 < len) {
			memcpy(out + o, val, vlen);
			o += vlen;
			in += klen;
		} else {
			out[o++] = *in++;
		}
	}
	out[o] = '\0';
}

void harness_service(struct harness *h, const char *name, const char *text)
{
	char a[4096], b[4096], c[4096], path[400];
	replace_all(a, sizeof(a), text, "@MODULE@", h->module);
	replace_all(b, sizeof(b), a, "@CONF@", h->conf);
	replace_all(c, sizeof(c), b, "@PASSDB@", h->passdb);
	snprintf(path, sizeof(path), "%s/%s", h->confdir, name);
	write_file(path, c, 0644);
}

struct conv_state {
	const char *const *answers;
	int next;
	struct transcript *t;
};

static void record(struct transcript *t, char kind, const char *msg)
{
	if (!t)
		return;
	size_t n = strlen(t->text);
	snprintf(t->text + n, sizeof(t->text) - n, "%c:%s|", kind, msg ? msg : "");
}

static int conv(int num, const struct pam_message **msg, struct pam_response **resp, void *data)
{
	struct conv_state *cs = data;
	struct pam_response *r = calloc((size_t)num, sizeof(*r));
	if (!r)
		return PAM_BUF_ERR;
	for (int i = 0; i < num; i++) {
		switch (msg[i]->msg_style) {
		case PAM_PROMPT_ECHO_OFF:
		case PAM_PROMPT_ECHO_ON: {
			record(cs->t, msg[i]->msg_style == PAM_PROMPT_ECHO_OFF ? 'P' : 'E', msg[i]->msg);
			if (cs->t)
				cs->t->nprompts++;
			const char *a = cs->answers[cs->next] ? cs->answers[cs->next] : "";
			if (!strcmp(a, "__hang__"))
				for (;;)
					pause(); /* a client that never answers (killed by the test) */
			if (cs->answers[cs->next] && cs->answers[cs->next + 1])
				cs->next++;
			r[i].resp = strdup(a);
			break;
		}
		case PAM_TEXT_INFO:
			record(cs->t, 'I', msg[i]->msg);
			break;
		case PAM_ERROR_MSG:
			record(cs->t, 'X', msg[i]->msg);
			break;
		default:
			record(cs->t, '?', msg[i]->msg);
		}
	}
	*resp = r;
	return PAM_SUCCESS;
}

int harness_auth(struct harness *h, const char *service, const char *user,
		 const char *const *answers, struct transcript *t)
{
	static const char *const none[] = { NULL };
	struct conv_state cs = { answers ? answers : none, 0, t };
	struct pam_conv pc = { conv, &cs };
	pam_handle_t *pamh = NULL;
	if (t)
		memset(t, 0, sizeof(*t));
	int rc = pam_start_confdir(service, user, &pc, h->confdir, &pamh);
	if (rc != PAM_SUCCESS)
		return rc;
	pam_set_item(pamh, PAM_RHOST, "192.0.2.1");
	rc = pam_authenticate(pamh, 0);
	pam_end(pamh, rc);
	return rc;
}

int harness_acct(struct harness *h, const char *service, const char *user)
{
	static const char *const none[] = { NULL };
	struct conv_state cs = { none, 0, NULL };
	struct pam_conv pc = { conv, &cs };
	pam_handle_t *pamh = NULL;
	int rc = pam_start_confdir(service, user, &pc, h->confdir, &pamh);
	if (rc != PAM_SUCCESS)
		return rc;
	rc = pam_acct_mgmt(pamh, 0);
	pam_end(pamh, rc);
	return rc;
}

bool harness_tally(struct harness *h, const char *user, struct tally *t)
{
	struct store *st = NULL;
	char err[512];
	if (store_open(&st, h->state_dir, 0, 5000, err, sizeof(err)) != ST_OK) {
		fprintf(stderr, "store: %s\n", err);
		return false;
	}
	enum store_status s = store_tally_get(st, user, t);
	store_close(st);
	return s == ST_OK;
}
