#include <config.h>
#include "harness.h"

#include <crypt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lockout/lockout.h"
#include "nss_wrap.h"
#include "store/lockout_store.h"
#include "store/otp_store.h"
#include "tmp_store.h"

static const char passwd_users[] =
	"root:x:0:0:root:/root:/bin/sh\n"
	"alice:x:2001:2001:Alice:/home/alice:/bin/sh\n"
	"bob:x:2002:2002:Bob:/home/bob:/bin/sh\n"
	"carol:x:2003:2003:Carol:/home/carol:/bin/sh\n"
	"dave:x:2004:2004:Dave:/home/dave:/bin/sh\n"
	"erin:x:2005:2005:Erin:/home/erin:/bin/sh\n"
	"frank:x:2006:2006:Frank:/home/frank:/bin/sh\n"
	"grace:x:2007:2007:Grace:/home/grace:/bin/sh\n";

static const char groups[] =
	"root:x:0:\n"
	"alice:x:2001:\nbob:x:2002:\ncarol:x:2003:\ndave:x:2004:\n"
	"erin:x:2005:\nfrank:x:2006:\ngrace:x:2007:\n"
	"wheel:x:10:carol\nusers:x:100:alice,bob\n";

static const char passdb[] =
	"root:rootpw:sosafe-test\nalice:right:sosafe-test\nbob:right:sosafe-test\n"
	"carol:right:sosafe-test\ndave:right:sosafe-test\nerin:right:sosafe-test\n"
	"frank:right:sosafe-test\ngrace:right:sosafe-test\n";

static void bail(const char *what)
{
	printf("Bail out! %s\n", what);
	exit(99);
}

static void write_file(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");
	if (!f || fputs(text, f) < 0 || fclose(f) || chmod(path, mode))
		nss_wrap_die(path);
}

/* passwd with the 40 users of the replay tests, shadow with erin's real
 * yescrypt hash and frank's locked one */
static void user_files(char *passwd, size_t pwlen, char *shadow, size_t splen)
{
	size_t o = (size_t)snprintf(passwd, pwlen, "%s", passwd_users);
	for (int i = 0; i < 40 && o < pwlen; i++)
		o += (size_t)snprintf(passwd + o, pwlen - o, "r%02d:x:%d:100:Replay:/tmp:/bin/sh\n",
				      i, 3000 + i);
	char setting[CRYPT_GENSALT_OUTPUT_SIZE];
	struct crypt_data cd;
	memset(&cd, 0, sizeof(cd));
	if (!crypt_gensalt_rn("$y$", 0, NULL, 0, setting, sizeof(setting)))
		bail("crypt_gensalt_rn");
	const char *hash = crypt_rn("correct horse", setting, &cd, sizeof(cd));
	if (!hash || hash[0] == '*')
		bail("crypt_rn");
	snprintf(shadow, splen, "erin:%s:19000:0:99999:7:::\nfrank:!%s:19000:0:99999:7:::\n",
		 hash, hash);
}

void harness_setup(struct harness *h, char **argv, const char *conf_extra)
{
	char passwd[4096], shadow[512];
	memset(h, 0, sizeof(*h));
	user_files(passwd, sizeof(passwd), shadow, sizeof(shadow));
	/* syslog lines of the module and of the daemon it starts go to DIR/syslog */
	char capture[600];
	const char *top = getenv("abs_top_builddir");
	snprintf(capture, sizeof(capture), "%s/tests/lib/.libs/libsyslog_capture.so",
		 top ? top : ".");
	const struct nss_files files = { passwd, groups, shadow, capture };
	nss_wrap_run(h->dir, "it", &files, argv);
	snprintf(h->syslog, sizeof(h->syslog), "%s/syslog", h->dir);

	snprintf(h->confdir, sizeof(h->confdir), "%s/pam.d", h->dir);
	snprintf(h->state_dir, sizeof(h->state_dir), "%s/state", h->dir);
	snprintf(h->conf, sizeof(h->conf), "%s/sosafe.conf", h->dir);
	snprintf(h->key, sizeof(h->key), "%s/sosafe.key", h->dir);
	snprintf(h->passdb, sizeof(h->passdb), "%s/passdb", h->dir);
	snprintf(h->module, sizeof(h->module), "%s/pam_sosafe/.libs/pam_sosafe.so", top ? top : ".");
	if (access(h->module, R_OK)) {
		fprintf(stderr, "module not built: %s (set abs_top_builddir)\n", h->module);
		bail("module not built");
	}
	if (mkdir(h->confdir, 0755))
		nss_wrap_die(h->confdir);
	char conf[2048];
	/* the module starts the built daemon on first use, as the test user */
	snprintf(conf, sizeof(conf),
		 "# test configuration\nstate_dir = %s\nsecret_key_file = %s\nnodelay = yes\n"
		 "sosafed_path = %s/sosafed/sosafed\n%s",
		 h->state_dir, h->key, top ? top : ".", conf_extra ? conf_extra : "");
	write_file(h->conf, conf, 0644);
	struct sosafe_err err = { "" };
	struct keyring *kr = keyring_generate(&err);
	if (!kr || keyring_write(kr, h->key, &err)) {
		fprintf(stderr, "%s\n", err.msg);
		bail("cannot write the secret key file");
	}
	keyring_unref(kr);
	write_file(h->passdb, passdb, 0600);
	struct store *st;
	if (tmp_store_create(h->state_dir, &st))
		bail("cannot create the store");
	store_close(st);
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

void harness_service(const struct harness *h, const char *name, const char *text)
{
	char a[4096], b[4096], c[4096], path[TMP_DIR_LEN + 300];
	replace_all(a, sizeof(a), text, "@MODULE@", h->module);
	replace_all(b, sizeof(b), a, "@CONF@", h->conf);
	replace_all(c, sizeof(c), b, "@PASSDB@", h->passdb);
	size_t n = strlen(c);
	if (n && c[n - 1] != '\n' && n + 1 < sizeof(c))
		memcpy(c + n, "\n", 2);
	snprintf(path, sizeof(path), "%s/%s", h->confdir, name);
	write_file(path, c, 0644);
}

struct conv_state {
	const char *const *answers;
	int next;
	struct transcript *t;
};

void harness_password_stack(const struct harness *h, const char *name, const char *opts)
{
	char text[2048];
	snprintf(text, sizeof(text),
		 "auth requisite @MODULE@ preauth conf=@CONF@ %s\n"
		 "auth [success=1 default=ignore] " PAM_MATRIX " passdb=@PASSDB@\n"
		 "auth requisite pam_deny.so\n"
		 "auth required @MODULE@ authsucc conf=@CONF@ %s\n"
		 "account required @MODULE@ conf=@CONF@ %s\n",
		 opts, opts, opts);
	harness_service(h, name, text);
}

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

int harness_auth(const struct harness *h, const char *service, const char *user,
		 const char *const *answers, struct transcript *t)
{
	return harness_auth_from(h, service, user, answers, t, NULL, "192.0.2.1");
}

int harness_auth_from(const struct harness *h, const char *service, const char *user,
		      const char *const *answers, struct transcript *t, const char *tty,
		      const char *rhost)
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
	if (rhost)
		pam_set_item(pamh, PAM_RHOST, rhost);
	if (tty)
		pam_set_item(pamh, PAM_TTY, tty);
	rc = pam_authenticate(pamh, 0);
	pam_end(pamh, rc);
	return rc;
}

int harness_acct(const struct harness *h, const char *service, const char *user)
{
	return harness_acct_from(h, service, user, NULL, NULL);
}

int harness_acct_from(const struct harness *h, const char *service, const char *user,
		      const char *tty, const char *rhost)
{
	static const char *const none[] = { NULL };
	struct conv_state cs = { none, 0, NULL };
	struct pam_conv pc = { conv, &cs };
	pam_handle_t *pamh = NULL;
	int rc = pam_start_confdir(service, user, &pc, h->confdir, &pamh);
	if (rc != PAM_SUCCESS)
		return rc;
	if (rhost)
		pam_set_item(pamh, PAM_RHOST, rhost);
	if (tty)
		pam_set_item(pamh, PAM_TTY, tty);
	rc = pam_acct_mgmt(pamh, 0);
	pam_end(pamh, rc);
	return rc;
}

static int script_conv(int n, const struct pam_message **msg, struct pam_response **resp,
		       void *data)
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
			r[i].resp = strdup(s->asked < s->nanswers ? s->answers[s->asked] : "");
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

int harness_login(const struct harness *h, const char *service, const char *user,
		  struct conv_script *script, char *authtok, size_t authtok_len)
{
	struct pam_conv pc = { script_conv, script };
	pam_handle_t *pamh = NULL;
	int rc = pam_start_confdir(service, user, &pc, h->confdir, &pamh);
	if (rc != PAM_SUCCESS)
		return rc;
	rc = pam_authenticate(pamh, 0);
	if (authtok) {
		const char *t = pam_getenv(pamh, "PAM_AUTHTOK");
		snprintf(authtok, authtok_len, "%s", t ? t : "");
	}
	if (rc == PAM_SUCCESS)
		rc = pam_acct_mgmt(pamh, 0);
	pam_end(pamh, rc);
	return rc;
}

struct store *harness_store(const struct harness *h)
{
	struct store *st = NULL;
	struct sosafe_err err = { "" };
	if (store_open(&st, h->state_dir, 0, 5000, &err) != ST_OK) {
		fprintf(stderr, "store: %s\n", err.msg);
		bail("store_open");
	}
	struct keyring *kr = keyring_load(h->key);   /* the daemon's keys */
	store_set_keyring(st, kr);
	keyring_unref(kr);
	return st;
}

bool harness_tally(const struct harness *h, const char *user, struct tally *t)
{
	struct store *st = harness_store(h);
	enum store_status s = store_tally_get(st, user, t);
	store_close(st);
	return s == ST_OK;
}

void harness_forget(const struct harness *h, const char *user)
{
	struct store *st = harness_store(h);
	long rows;
	if (store_begin(st) || store_delete_user(st, user, &rows) || store_commit(st))
		bail("store_delete_user");
	store_close(st);
}

void harness_enroll(const struct harness *h, const char *user, const char *secret, size_t len,
		    struct totp_params p)
{
	harness_forget(h, user);
	struct otp_record r;
	memset(&r, 0, sizeof(r));
	memcpy(r.secret, secret, len);
	r.secret_len = len;
	r.params = p;
	r.last_step = -1;
	r.enrolled_at = time(NULL);
	struct store *st = harness_store(h);
	if (store_begin(st) || otp_put(st, user, &r, "test") || store_commit(st))
		bail("otp_put");
	store_close(st);
}

void harness_code(const char *secret, size_t len, struct totp_params p, int offset, char *out)
{
	int64_t step = totp_step_of(&p, time(NULL)) + offset;
	if (totp_code_at_step(&p, (const uint8_t *)secret, len, step, out))
		bail("totp_code_at_step");
}

int harness_log_count(const struct harness *h, const char *a, const char *b)
{
	FILE *f = fopen(h->syslog, "re");
	char line[2048];
	int n = 0;
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, a) && (!b || strstr(line, b)))
			n++;
	fclose(f);
	return n;
}
