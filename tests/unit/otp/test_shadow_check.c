/* The one-line mode's password check against shadow hashes served by
 * nss_wrapper: only the right password of a usable '$' hash passes; locked,
 * empty, starred and DES-style entries and unknown users fail. */
#include <config.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <crypt.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "nss_wrap.h"
#include "otp/shadow_check.h"

/* A hash of PASSWORD with a fresh salt of PREFIX ("$y$", "$6$"). */
static const char *hash_of(const char *prefix, const char *password)
{
	static char out[8][CRYPT_OUTPUT_SIZE];
	static unsigned next;
	char setting[CRYPT_GENSALT_OUTPUT_SIZE];
	struct crypt_data cd;
	memset(&cd, 0, sizeof(cd));
	if (!crypt_gensalt_rn(prefix, 0, NULL, 0, setting, sizeof(setting)))
		nss_wrap_die("crypt_gensalt_rn");
	const char *h = crypt_rn(password, setting, &cd, sizeof(cd));
	if (!h || h[0] == '*')
		nss_wrap_die("crypt_rn");
	char *o = out[next++ % 8];
	snprintf(o, CRYPT_OUTPUT_SIZE, "%s", h);
	return o;
}

static void test_right_password(void **state)
{
	(void)state;
	assert_true(shadow_password_ok("yes", "correct horse"));
	assert_true(shadow_password_ok("sha", "battery staple"));
}

static void test_wrong_password(void **state)
{
	(void)state;
	assert_false(shadow_password_ok("yes", "correct horsE"));
	assert_false(shadow_password_ok("yes", "correct horse "));
	assert_false(shadow_password_ok("yes", ""));
	assert_false(shadow_password_ok("yes", NULL));
	assert_false(shadow_password_ok("sha", "correct horse"));
}

static void test_unusable_entries(void **state)
{
	(void)state;
	/* locked with '!' in front of the right hash */
	assert_false(shadow_password_ok("locked", "correct horse"));
	assert_false(shadow_password_ok("star", "*"));
	assert_false(shadow_password_ok("empty", ""));
	assert_false(shadow_password_ok("empty", "anything"));
	/* a 13-character DES hash is not accepted, even when it matches */
	assert_false(shadow_password_ok("des", "secret"));
	/* in passwd, no shadow entry */
	assert_false(shadow_password_ok("noshadow", "correct horse"));
	assert_false(shadow_password_ok("nosuchuser", "correct horse"));
	assert_false(shadow_password_ok("", "correct horse"));
}

int main(int argc, char **argv)
{
	(void)argc;
	char dir[TMP_DIR_LEN];
	char shadow[1024];
	const char *yes = hash_of("$y$", "correct horse");
	snprintf(shadow, sizeof(shadow),
		 "yes:%s:19000:0:99999:7:::\n"
		 "sha:%s:19000:0:99999:7:::\n"
		 "locked:!%s:19000:0:99999:7:::\n"
		 "star:*:19000:0:99999:7:::\n"
		 "empty::19000:0:99999:7:::\n"
		 "des:abNANd1rDfiNc:19000:0:99999:7:::\n",
		 yes, hash_of("$6$", "battery staple"), yes);
	const struct nss_files files = {
		.passwd = "yes:x:2001:100::/tmp:/bin/sh\nsha:x:2002:100::/tmp:/bin/sh\n"
			  "locked:x:2003:100::/tmp:/bin/sh\nstar:x:2004:100::/tmp:/bin/sh\n"
			  "empty:x:2005:100::/tmp:/bin/sh\ndes:x:2006:100::/tmp:/bin/sh\n"
			  "noshadow:x:2007:100::/tmp:/bin/sh\n",
		.group = "users:x:100:\n",
		.shadow = shadow,
	};
	nss_wrap_run(dir, "shadow-check", &files, argv);

	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_right_password),
		cmocka_unit_test(test_wrong_password),
		cmocka_unit_test(test_unusable_entries),
	};
	return cmocka_run_group_tests_name("shadow_check", tests, NULL, NULL);
}
