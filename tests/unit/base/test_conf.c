/* Configuration parsing: good input, hostile input, file safety checks. */
#include <config.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/conf.h"

static int parse(struct sosafe_config *c, const char *text, char *err, size_t len)
{
	config_defaults(c);
	return config_parse_text(c, text, strlen(text), "test.conf", err, len);
}

static void defaults(void **state)
{
	struct sosafe_config c;
	config_defaults(&c);
	assert_int_equal(c.deny, 6);
	assert_int_equal(c.fail_interval, 900);
	assert_int_equal(c.unlock_time, 600);
	assert_false(c.even_deny_root);
	assert_int_equal(config_root_unlock_time(&c), 600);
	assert_string_equal(c.state_dir, SOSAFE_STATE_DIR);
	assert_int_equal(c.window, 1);
	assert_int_equal(c.grace_days, 30);
	assert_int_equal(c.max_snapshot_age, 86400);
}

static void good_file(void **state)
{
	struct sosafe_config c;
	char err[256] = "";
	const char *text = "# comment\n"
			   "  deny = 3  \n"
			   "fail_interval=15m\n"
			   "unlock_time = 0\n"
			   "even_deny_root\n"
			   "root_unlock_time = 1h\n"
			   "admin_group = wheel\n"
			   "state_dir = /var/lib/other\n"
			   "silent = yes\r\n"
			   "nodelay = off\n"
			   "\n"
			   "no_secret = enroll_window\n";
	assert_int_equal(parse(&c, text, err, sizeof(err)), 0);
	assert_int_equal(c.deny, 3);
	assert_int_equal(c.fail_interval, 900);
	assert_int_equal(c.unlock_time, 0);
	assert_true(c.even_deny_root);
	assert_int_equal(config_root_unlock_time(&c), 3600);
	assert_string_equal(c.admin_group, "wheel");
	assert_string_equal(c.state_dir, "/var/lib/other");
	assert_true(c.silent);
	assert_false(c.nodelay);
	assert_int_equal(c.no_secret, NO_SECRET_ENROLL_WINDOW);
}

static void pam_line_words_win(void **state)
{
	struct sosafe_config c;
	char err[256];
	assert_int_equal(parse(&c, "deny = 3\n", err, sizeof(err)), 0);
	assert_int_equal(config_apply_word(&c, "deny=9", err, sizeof(err)), 0);
	assert_int_equal(c.deny, 9);
	assert_int_equal(config_apply_word(&c, "nodelay", err, sizeof(err)), 0);
	assert_true(c.nodelay);
	assert_int_equal(config_apply_word(&c, "silent=no", err, sizeof(err)), 0);
	assert_false(c.silent);
	/* an optional path can be emptied again (what `sosafectl config` prints) */
	assert_int_equal(config_apply_word(&c, "ldap_ca_file=/etc/ca.pem", err, sizeof(err)), 0);
	assert_int_equal(config_apply_word(&c, "ldap_ca_file=", err, sizeof(err)), 0);
	assert_string_equal(c.ldap_ca_file, "");
}

struct bad_case {
	const char *text;
	const char *must_mention;
};

static void bad_values_name_the_key(void **state)
{
	static const struct bad_case cases[] = {
		{ "denny = 3\n", "denny" },
		{ "deny = 0\n", "deny" },
		{ "deny = 65\n", "deny" },
		{ "deny = -1\n", "deny" },
		{ "deny = 3x\n", "deny" },
		{ "deny = \n", "deny" },
		{ "deny = 99999999999999999999\n", "deny" },
		{ "deny\n", "deny" },
		{ "fail_interval = 10y\n", "fail_interval" },
		{ "even_deny_root = maybe\n", "even_deny_root" },
		{ "state_dir = relative/path\n", "state_dir" },
		{ "state_dir = /var/../etc\n", "state_dir" },
		{ "state_dir = \n", "state_dir" },
		{ "admin_group = a\x01b\n", "admin_group" },
		{ "no_secret = sometimes\n", "no_secret" },
		{ "uid_min = 5\n", "uid_min" },
		{ "uid_min = 300000\nuid_max = 200000\n", "uid_min" },
		{ "= 3\n", "''" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sosafe_config c;
		char err[256] = "";
		assert_int_equal(parse(&c, cases[i].text, err, sizeof(err)), -1);
		if (!strstr(err, cases[i].must_mention))
			fail_msg("case %zu: '%s' does not mention '%s'", i, err, cases[i].must_mention);
	}
	/* the line number is named */
	struct sosafe_config c;
	char err[256];
	assert_int_equal(parse(&c, "deny = 3\n\n# x\nbogus = 1\n", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "test.conf:4"));
}

static void hostile_text(void **state)
{
	struct sosafe_config c;
	char err[256];
	/* NUL inside a line */
	static const char nul[] = "deny = 3\0\n";
	config_defaults(&c);
	assert_int_equal(config_parse_text(&c, nul, sizeof(nul) - 1, "t", err, sizeof(err)), -1);
	/* a huge line */
	size_t n = 100000;
	char *big = malloc(n + 1);
	assert_non_null(big);
	memset(big, 'a', n);
	big[n] = '\0';
	assert_int_equal(parse(&c, big, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "longer"));
	/* a huge value for a string key */
	memcpy(big, "admin_group = ", 14);
	big[3000] = '\0';
	assert_int_equal(parse(&c, big, err, sizeof(err)), -1);
	free(big);
	/* a bad key keeps nothing half-applied that matters: caller fails closed */
	assert_int_equal(config_apply_word(&c, "=", err, sizeof(err)), -1);
	assert_int_equal(config_apply_word(&c, "", err, sizeof(err)), -1);
}

static void file_checks(void **state)
{
	char dir[] = "/tmp/sosafe-conf-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char path[256];
	snprintf(path, sizeof(path), "%s/sosafe.conf", dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs("deny = 4\n", f);
	fclose(f);
	struct sosafe_config c;
	char err[512];

	chmod(path, 0644);
	config_defaults(&c);
	assert_int_equal(config_load_file(&c, path, false, err, sizeof(err)), 0);
	assert_int_equal(c.deny, 4);

	chmod(path, 0666);
	config_defaults(&c);
	assert_int_equal(config_load_file(&c, path, false, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "writable"));

	chmod(path, 0620);
	assert_int_equal(config_load_file(&c, path, false, err, sizeof(err)), -1);

	/* symlinks are refused */
	char link[256];
	snprintf(link, sizeof(link), "%s/link.conf", dir);
	chmod(path, 0644);
	assert_int_equal(symlink(path, link), 0);
	assert_int_equal(config_load_file(&c, link, false, err, sizeof(err)), -1);

	/* missing: an error unless missing_ok (the default file) */
	char missing[256];
	snprintf(missing, sizeof(missing), "%s/none.conf", dir);
	assert_int_equal(config_load_file(&c, missing, false, err, sizeof(err)), -1);
	assert_int_equal(config_load_file(&c, missing, true, err, sizeof(err)), 0);

	/* a directory is refused */
	assert_int_equal(config_load_file(&c, dir, false, err, sizeof(err)), -1);

	unlink(link);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(defaults),
		cmocka_unit_test(good_file),
		cmocka_unit_test(pam_line_words_win),
		cmocka_unit_test(bad_values_name_the_key),
		cmocka_unit_test(hostile_text),
		cmocka_unit_test(file_checks),
	};
	return cmocka_run_group_tests_name("conf", tests, NULL, NULL);
}
