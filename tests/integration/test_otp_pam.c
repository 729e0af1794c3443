/* The second factor through real libpam (pam_start_confdir) with users from
 * nss_wrapper: prompt flow, hostile answers, 8 digits, single field +
 * PAM_AUTHTOK, SCRV1, one-line password check against a real yescrypt
 * shadow hash, users without a secret, recovery codes, lockout. */
#include <config.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"
#include "otp/recovery.h"
#include "store/lockout_store.h"
#include "store/otp_store.h"

static struct harness H;

static const char k1[] = "12345678901234567890";
static const char k256[] = "12345678901234567890123456789012";
static const struct totp_params P6 = { TOTP_SHA1, 6, 30 };
static const struct totp_params P8 = { TOTP_SHA256, 8, 30 };

#define SCRIPT(...) { .answers = { __VA_ARGS__ }, .nanswers = sizeof((const char *[]){ __VA_ARGS__ }) / sizeof(const char *) }

static int auth(const char *service, const char *user, struct conv_script *s)
{
	int rc = harness_login(&H, service, user, s, NULL, 0);
	/* never an error message: FreeRADIUS rlm_pam fails the conversation on one */
	assert_int_equal(s->error_msgs, 0);
	assert_int_equal(s->multi_msg_calls, 0);
	return rc;
}

static struct tally tally_of(const char *user)
{
	struct store *st = harness_store(&H);
	struct tally t;
	store_tally_get(st, user, &t);
	store_close(st);
	return t;
}

static void otp_prompt_flow(void **state)
{
	harness_enroll(&H, "alice", k1, 20, P6);
	char code[9];
	harness_code(k1, 20, P6, 0, code);
	struct conv_script s = SCRIPT(code);
	assert_int_equal(auth("otp", "alice", &s), PAM_SUCCESS);
	assert_int_equal(s.asked, 1);
	assert_string_equal(s.prompts[0], "Verification code: ");
	assert_int_equal(s.styles[0], PAM_PROMPT_ECHO_OFF);
	struct tally t = tally_of("alice");
	assert_int_equal(t.nfails, 0);          /* success took the attempt back */
	assert_int_equal(t.attempts, 1);
	/* the same code again: replay */
	struct conv_script s2 = SCRIPT(code);
	assert_int_equal(auth("otp", "alice", &s2), PAM_AUTH_ERR);
	assert_int_equal(tally_of("alice").nfails, 1);  /* counted as a failure */
	/* a wrong code */
	char wrong[9];
	memcpy(wrong, code, 9);
	wrong[0] = wrong[0] == '9' ? '0' : (char)(wrong[0] + 1);
	struct conv_script s3 = SCRIPT(wrong);
	assert_int_equal(auth("otp", "alice", &s3), PAM_AUTH_ERR);
	assert_int_equal(tally_of("alice").nfails, 2);
	/* the next step's code (clock skew within the window) still works once */
	char next[9];
	harness_code(k1, 20, P6, 1, next);
	struct conv_script s4 = SCRIPT(next);
	assert_int_equal(auth("otp", "alice", &s4), PAM_SUCCESS);
	/* ... and now the current code, older than the accepted one, is refused */
	struct conv_script s5 = SCRIPT(code);
	assert_int_equal(auth("otp", "alice", &s5), PAM_AUTH_ERR);
}

static void hostile_answers(void **state)
{
	harness_enroll(&H, "alice", k1, 20, P6);
	char code[9], padded[32], seven[16];
	harness_code(k1, 20, P6, 0, code);
	char *big = malloc(10241);
	memset(big, '1', 10240);
	big[10240] = '\0';
	snprintf(seven, sizeof(seven), "%s7", code);
	const char *bad[] = { "", big, "abcdef", "12345", seven, "１２３４５６", "%s%n%x", " " };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct conv_script s = SCRIPT(bad[i]);
		assert_int_equal(auth("otp-nolock", "alice", &s), PAM_AUTH_ERR);
	}
	free(big);
	/* surrounding spaces are forgiven */
	snprintf(padded, sizeof(padded), "  %s \t", code);
	struct conv_script s = SCRIPT(padded);
	assert_int_equal(auth("otp-nolock", "alice", &s), PAM_SUCCESS);
	/* the enrolled digit count decides: 6 digits to an 8-digit token */
	harness_enroll(&H, "bob", k256, 32, P8);
	char c8[9], c6[7];
	harness_code(k256, 32, P8, 0, c8);
	memcpy(c6, c8 + 2, 7);
	struct conv_script s6 = SCRIPT(c6);
	assert_int_equal(auth("otp", "bob", &s6), PAM_AUTH_ERR);
	struct conv_script s8 = SCRIPT(c8);
	assert_int_equal(auth("otp", "bob", &s8), PAM_SUCCESS);
}

static void forward_pass(void **state)
{
	harness_enroll(&H, "alice", k1, 20, P6);
	char code[9], field[64], tok[128];
	harness_code(k1, 20, P6, 0, code);
	snprintf(field, sizeof(field), "hunter2%s", code);
	struct conv_script s = SCRIPT(field);
	assert_int_equal(harness_login(&H, "fwd", "alice", &s, tok, sizeof(tok)), PAM_SUCCESS);
	assert_int_equal(s.asked, 1);                 /* one field only */
	assert_int_equal(s.styles[0], PAM_PROMPT_ECHO_OFF);
	assert_string_equal(tok, "hunter2");          /* handed on without the code */
	/* password alone (no code): refused */
	struct conv_script s2 = SCRIPT("hunter2");
	assert_int_equal(harness_login(&H, "fwd", "alice", &s2, tok, sizeof(tok)), PAM_AUTH_ERR);
	/* a right code alone does not clear the attempt: the password is checked
	 * below forward_pass, so only a later authsucc line does */
	struct store *st = harness_store(&H);
	struct tally t;
	store_tally_get(st, "alice", &t);
	store_close(st);
	unsigned before = t.nfails;
	harness_code(k1, 20, P6, 1, code);
	snprintf(field, sizeof(field), "hunter2%s", code);
	struct conv_script s3 = SCRIPT(field);
	assert_int_equal(harness_login(&H, "fwd-nosucc", "alice", &s3, tok, sizeof(tok)), PAM_SUCCESS);
	st = harness_store(&H);
	assert_int_equal(store_tally_get(st, "alice", &t), ST_OK);
	store_close(st);
	assert_int_equal(t.nfails, before + 1);
}

static void scrv1(void **state)
{
	harness_enroll(&H, "alice", k1, 20, P6);
	char code[9], field[128], tok[128], b64[16];
	harness_code(k1, 20, P6, 0, code);
	/* base64 of the 6 ASCII digits */
	static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *c = (const unsigned char *)code;
	for (int i = 0, o = 0; i < 6; i += 3) {
		unsigned v = (unsigned)c[i] << 16 | (unsigned)c[i + 1] << 8 | c[i + 2];
		b64[o++] = tbl[v >> 18];
		b64[o++] = tbl[(v >> 12) & 63];
		b64[o++] = tbl[(v >> 6) & 63];
		b64[o++] = tbl[v & 63];
		b64[o] = '\0';
	}
	snprintf(field, sizeof(field), "SCRV1:aHVudGVyMg==:%s", b64);   /* "hunter2" */
	struct conv_script s = SCRIPT(field);
	assert_int_equal(harness_login(&H, "fwd", "alice", &s, tok, sizeof(tok)), PAM_SUCCESS);
	assert_string_equal(tok, "hunter2");
	struct conv_script s2 = SCRIPT(field);   /* replayed */
	assert_int_equal(harness_login(&H, "fwd", "alice", &s2, tok, sizeof(tok)), PAM_AUTH_ERR);
}

static void check_password(void **state)
{
	harness_enroll(&H, "erin", k1, 20, P6);
	char code[9];
	harness_code(k1, 20, P6, 0, code);
	/* wrong password with the right code: refused, and the code is NOT spent */
	struct conv_script s = SCRIPT("wrong horse", code);
	assert_int_equal(auth("onel", "erin", &s), PAM_AUTH_ERR);
	assert_int_equal(s.asked, 2);
	assert_string_equal(s.prompts[0], "Password: ");
	assert_string_equal(s.prompts[1], "Verification code: ");
	assert_int_equal(tally_of("erin").nfails, 1);
	struct conv_script s2 = SCRIPT("correct horse", code);
	assert_int_equal(auth("onel", "erin", &s2), PAM_SUCCESS);
	assert_int_equal(tally_of("erin").nfails, 0);
	/* single field: password + code, checked against shadow */
	char next[9], field[64];
	harness_code(k1, 20, P6, 1, next);
	snprintf(field, sizeof(field), "wrong horse%s", next);
	struct conv_script s3 = SCRIPT(field);
	assert_int_equal(auth("onel-fwd", "erin", &s3), PAM_AUTH_ERR);
	snprintf(field, sizeof(field), "correct horse%s", next);
	struct conv_script s4 = SCRIPT(field);
	assert_int_equal(auth("onel-fwd", "erin", &s4), PAM_SUCCESS);
	/* a locked shadow hash ("!") never passes, nor does an unknown user */
	harness_enroll(&H, "frank", k1, 20, P6);
	struct conv_script s5 = SCRIPT("correct horse", code);
	assert_int_equal(auth("onel", "frank", &s5), PAM_AUTH_ERR);
	struct conv_script s6 = SCRIPT("correct horse", code);
	assert_int_equal(auth("onel", "nosuchuser", &s6), PAM_AUTH_ERR);
	assert_int_equal(s6.asked, 2);   /* same prompts as a real user */
}

static void no_secret(void **state)
{
	harness_forget(&H, "carol");
	harness_forget(&H, "dave");
	harness_enroll(&H, "alice", k1, 20, P6);
	/* deny (default): same single prompt as an enrolled user, then refused */
	struct conv_script s = SCRIPT("123456");
	assert_int_equal(auth("otp", "carol", &s), PAM_AUTH_ERR);
	assert_int_equal(s.asked, 1);
	assert_string_equal(s.prompts[0], "Verification code: ");
	assert_int_equal(s.nmsgs, 1);
	/* allow */
	struct conv_script s2 = SCRIPT("");
	assert_int_equal(auth("otp-allow", "carol", &s2), PAM_SUCCESS);
	assert_int_equal(s2.asked, 1);
	/* single field without a secret: the whole field is the password */
	char tok[64];
	struct conv_script sf = SCRIPT("pass123456");
	assert_int_equal(harness_login(&H, "fwd-allow", "carol", &sf, tok, sizeof(tok)), PAM_SUCCESS);
	assert_string_equal(tok, "pass123456");
	/* an enrolled user under allow still needs the code */
	struct conv_script s3 = SCRIPT("000000");
	char code[9];
	harness_code(k1, 20, P6, 0, code);
	if (strcmp(code, "000000"))
		assert_int_equal(auth("otp-allow", "alice", &s3), PAM_AUTH_ERR);
	/* enrollment window: only users with an open window pass */
	struct store *st = harness_store(&H);
	assert_int_equal(otp_window_set(st, "dave", time(NULL) + 3600, "test"), ST_OK);
	assert_int_equal(otp_window_set(st, "carol", time(NULL) - 10, "test"), ST_OK);
	store_close(st);
	struct conv_script s4 = SCRIPT("");
	assert_int_equal(auth("otp-window", "dave", &s4), PAM_SUCCESS);
	struct conv_script s5 = SCRIPT("");
	assert_int_equal(auth("otp-window", "carol", &s5), PAM_AUTH_ERR);
	struct conv_script s6 = SCRIPT("");
	assert_int_equal(auth("otp-window", "frank", &s6), PAM_AUTH_ERR);
}

static void recovery_codes(void **state)
{
	harness_enroll(&H, "alice", k1, 20, P6);
	struct recovery_code c[2];
	const char *ids[2], *hashes[2];
	for (int i = 0; i < 2; i++) {
		do
			assert_int_equal(recovery_generate(&c[i]), 0);
		while (i == 1 && !strcmp(c[0].id, c[1].id));
		ids[i] = c[i].id;
		hashes[i] = c[i].hash;
	}
	struct store *st = harness_store(&H);
	assert_int_equal(store_begin(st), ST_OK);
	assert_int_equal(otp_recovery_replace(st, "alice", 2, ids, hashes, time(NULL)), ST_OK);
	assert_int_equal(store_commit(st), ST_OK);
	store_close(st);
	struct conv_script s = SCRIPT(c[0].shown);
	assert_int_equal(auth("otp", "alice", &s), PAM_SUCCESS);
	assert_int_equal(s.info_msgs, 1);          /* "Recovery code accepted; 1 left" */
	assert_int_equal(tally_of("alice").nfails, 0);
	/* single use */
	struct conv_script s2 = SCRIPT(c[0].shown);
	assert_int_equal(auth("otp", "alice", &s2), PAM_AUTH_ERR);
	assert_int_equal(tally_of("alice").nfails, 1);
	/* a wrong code with a real id counts as a failure */
	char wrong[RECOVERY_SHOWN_LEN + 1];
	memcpy(wrong, c[1].shown, sizeof(wrong));
	wrong[6] = wrong[6] == 'A' ? 'B' : 'A';
	struct conv_script s3 = SCRIPT(wrong);
	assert_int_equal(auth("otp", "alice", &s3), PAM_AUTH_ERR);
	assert_int_equal(tally_of("alice").nfails, 2);
	/* in the single field, after the password */
	char field[64], tok[64];
	snprintf(field, sizeof(field), "pw%s", c[1].shown);
	struct conv_script s4 = SCRIPT(field);
	assert_int_equal(harness_login(&H, "fwd", "alice", &s4, tok, sizeof(tok)), PAM_SUCCESS);
	assert_string_equal(tok, "pw");
}

static void lockout(void **state)
{
	harness_enroll(&H, "alice", k1, 20, P6);
	char code[9], wrong[9];
	harness_code(k1, 20, P6, 0, code);
	memcpy(wrong, code, 9);
	wrong[5] = wrong[5] == '9' ? '0' : (char)(wrong[5] + 1);
	for (int i = 0; i < 6; i++) {
		struct conv_script s = SCRIPT(wrong);
		assert_int_equal(auth("otp", "alice", &s), PAM_AUTH_ERR);
	}
	struct tally t = tally_of("alice");
	assert_true(t.locked_until > 0);
	/* the right code on a locked account: refused by preauth, and by the
	 * one-line service that counts for itself */
	struct conv_script s = SCRIPT(code);
	assert_int_equal(auth("otp", "alice", &s), PAM_AUTH_ERR);
	struct conv_script s2 = SCRIPT(code);
	assert_int_equal(auth("otp-nopre", "alice", &s2), PAM_AUTH_ERR);
	/* the one-line mode counts attempts itself: 6 wrong codes lock */
	harness_enroll(&H, "bob", k1, 20, P6);
	for (int i = 0; i < 6; i++) {
		struct conv_script w = SCRIPT(wrong);
		assert_int_equal(auth("otp-nopre", "bob", &w), PAM_AUTH_ERR);
	}
	assert_true(tally_of("bob").locked_until > 0);
	struct conv_script s3 = SCRIPT(code);
	assert_int_equal(auth("otp-nopre", "bob", &s3), PAM_AUTH_ERR);
	/* the refused right code was not accepted: nothing cleared */
	assert_true(tally_of("bob").locked_until > 0);
}

int main(int argc, char **argv)
{
	(void)argc;
	harness_setup(&H, argv, "window = 1\ndeny = 6\nunlock_time = 600\n");
	harness_service(&H, "otp", "auth requisite @MODULE@ preauth conf=@CONF@\nauth required @MODULE@ otp conf=@CONF@\n"
			       "account required @MODULE@ conf=@CONF@");
	harness_service(&H, "otp-nolock", "auth required @MODULE@ otp deny=64 conf=@CONF@\naccount required @MODULE@ conf=@CONF@");
	harness_service(&H, "otp-nopre", "auth required @MODULE@ otp conf=@CONF@\naccount required @MODULE@ conf=@CONF@");
	harness_service(&H, "otp-allow", "auth required @MODULE@ otp no_secret=allow conf=@CONF@\naccount required @MODULE@ conf=@CONF@");
	harness_service(&H, "otp-window", "auth required @MODULE@ otp no_secret=enroll_window conf=@CONF@\naccount required @MODULE@ conf=@CONF@");
	harness_service(&H, "fwd", "auth requisite @MODULE@ preauth conf=@CONF@\nauth required @MODULE@ forward_pass conf=@CONF@\n"
			       "auth optional /usr/lib/x86_64-linux-gnu/pam_wrapper/pam_get_items.so\n"
			       "auth required @MODULE@ authsucc conf=@CONF@\n"
			       "account required @MODULE@ conf=@CONF@");
	harness_service(&H, "fwd-nosucc", "auth requisite @MODULE@ preauth conf=@CONF@\nauth required @MODULE@ forward_pass conf=@CONF@\n"
				      "auth optional /usr/lib/x86_64-linux-gnu/pam_wrapper/pam_get_items.so\n"
				      "account required @MODULE@ conf=@CONF@");
	harness_service(&H, "fwd-allow", "auth required @MODULE@ forward_pass no_secret=allow conf=@CONF@\n"
				     "auth optional /usr/lib/x86_64-linux-gnu/pam_wrapper/pam_get_items.so\n"
				     "account required @MODULE@ conf=@CONF@");
	harness_service(&H, "onel", "auth required @MODULE@ check_password conf=@CONF@\naccount required @MODULE@ conf=@CONF@");
	harness_service(&H, "onel-fwd", "auth required @MODULE@ check_password forward_pass conf=@CONF@\naccount required @MODULE@ conf=@CONF@");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(otp_prompt_flow),
		cmocka_unit_test(hostile_answers),
		cmocka_unit_test(forward_pass),
		cmocka_unit_test(scrv1),
		cmocka_unit_test(check_password),
		cmocka_unit_test(no_secret),
		cmocka_unit_test(recovery_codes),
		cmocka_unit_test(lockout),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
