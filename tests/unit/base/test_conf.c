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
#include "base/conf_keys.h"
#include "base/util.h"

static int parse(struct sosafe_config *c, const char *text, struct sosafe_err *e)
{
	config_defaults(c);
	return config_parse_text(c, text, strlen(text), "test.conf", e);
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
	struct sosafe_err err;
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
	assert_int_equal(parse(&c, text, &err), 0);
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
	struct sosafe_err err;
	assert_int_equal(parse(&c, "deny = 3\n", &err), 0);
	assert_int_equal(config_apply_word(&c, "deny=9", &err), 0);
	assert_int_equal(c.deny, 9);
	assert_int_equal(config_apply_word(&c, "nodelay", &err), 0);
	assert_true(c.nodelay);
	assert_int_equal(config_apply_word(&c, "silent=no", &err), 0);
	assert_false(c.silent);
	/* an optional path can be emptied again (what `sosafectl config` prints) */
	assert_int_equal(config_apply_word(&c, "ldap_ca_file=/etc/ca.pem", &err), 0);
	assert_int_equal(config_apply_word(&c, "ldap_ca_file=", &err), 0);
	assert_string_equal(c.ldap_ca_file, "");
}

struct bad_case {
	const char *text;
	const char *must_mention;
};

static void bad_values_name_the_key(void **state)
{
	static const struct bad_case cases[] = {
		{ "denny = 3\n", "did you mean 'deny'?" },
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
		{ "= 3\n", "unknown key" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sosafe_config c;
		struct sosafe_err err;
		assert_int_equal(parse(&c, cases[i].text, &err), -1);
		if (!strstr(err.msg, cases[i].must_mention))
			fail_msg("case %zu: '%s' does not mention '%s'", i, err.msg, cases[i].must_mention);
	}
	/* the line number is named */
	struct sosafe_config c;
	struct sosafe_err err;
	assert_int_equal(parse(&c, "deny = 3\n\n# x\nbogus = 1\n", &err), -1);
	assert_non_null(strstr(err.msg, "test.conf:4"));
}

static void hostile_text(void **state)
{
	struct sosafe_config c;
	struct sosafe_err err;
	/* NUL inside a line */
	static const char nul[] = "deny = 3\0\n";
	config_defaults(&c);
	assert_int_equal(config_parse_text(&c, nul, sizeof(nul) - 1, "t", &err), -1);
	/* a huge line */
	size_t n = 100000;
	char *big = malloc(n + 1);
	assert_non_null(big);
	memset(big, 'a', n);
	big[n] = '\0';
	assert_int_equal(parse(&c, big, &err), -1);
	assert_non_null(strstr(err.msg, "longer"));
	/* a huge value for a string key */
	memcpy(big, "admin_group = ", 14);
	big[3000] = '\0';
	assert_int_equal(parse(&c, big, &err), -1);
	free(big);
	/* a bad key keeps nothing half-applied that matters: caller fails closed */
	assert_int_equal(config_apply_word(&c, "=", &err), -1);
	assert_int_equal(config_apply_word(&c, "", &err), -1);
}

/* A line that is not a known key is never repeated in the error: with
 * --conf it may be /etc/shadow or a key file. */
static void errors_never_echo_the_line(void **state)
{
	(void)state;
	static const char *const texts[] = {
		"root:$6$SECRETHASH$abc:19000:0:99999:7:::\n",
		"deny = 3\nq0ZSECRETkeyBYTES==\n",
		"SECRETKEY = SECRETVALUE\n",
		"four_eyes = unlock, SECRETWORD\n",
		"four_eyes = SECRETWORDTHATISLONGERTHANTHIRTYTWOBYTES\n",
	};
	for (size_t i = 0; i < ARRAY_SIZE(texts); i++) {
		struct sosafe_config c;
		struct sosafe_err err;
		assert_int_equal(parse(&c, texts[i], &err), -1);
		if (strstr(err.msg, "SECRET"))
			fail_msg("case %zu: the error repeats the line: %s", i, err.msg);
		assert_non_null(strstr(err.msg, "test.conf:"));
	}
	struct sosafe_config c;
	struct sosafe_err err;
	assert_int_equal(parse(&c, "deny = 3\nSECRET\n", &err), -1);
	assert_string_equal(err.msg, "test.conf:2: unknown key (\"sosafectl config --template\" lists them)");
	assert_int_equal(parse(&c, "four_eye = unlock\n", &err), -1);
	assert_string_equal(err.msg, "test.conf:1: unknown key; did you mean 'four_eyes'? "
			    "(\"sosafectl config --template\" lists them)");
}

/* Kernel pseudo-files are root's regular files: refused as configuration. */
static void pseudo_files_refused(void **state)
{
	(void)state;
	struct sosafe_config c;
	struct sosafe_err err;
	config_defaults(&c);
	assert_int_equal(config_load_file(&c, "/proc/version", false, &err), -1);
	assert_non_null(strstr(err.msg, "pseudo-file"));
	if (access("/sys/kernel/mm/transparent_hugepage/enabled", R_OK) == 0) {
		assert_int_equal(config_load_file(&c, "/sys/kernel/mm/transparent_hugepage/enabled",
						  false, &err), -1);
		assert_non_null(strstr(err.msg, "pseudo-file"));
	}
}

/* sosafectl --conf takes some keys from the system file: copy and compare. */
static void copy_and_compare_keys(void **state)
{
	(void)state;
	struct sosafe_config sys, alt;
	struct sosafe_err err;
	assert_int_equal(parse(&sys, "four_eyes = unlock, purge\nadmin_group = secadm\n"
			       "root_unlock_time = 60\n", &err), 0);
	assert_int_equal(parse(&alt, "deny = 4\n", &err), 0);
	assert_false(config_key_equal(&sys, &alt, "four_eyes"));
	assert_true(config_key_equal(&sys, &alt, "deny") == (sys.deny == 4));
	assert_int_equal(config_copy_key(&alt, &sys, "four_eyes"), 0);
	assert_int_equal(config_copy_key(&alt, &sys, "admin_group"), 0);
	assert_int_equal(config_copy_key(&alt, &sys, "root_unlock_time"), 0);
	assert_true(config_key_equal(&sys, &alt, "four_eyes"));
	assert_string_equal(alt.admin_group, "secadm");
	assert_true(alt.root_unlock_time_set);
	assert_int_equal(alt.deny, 4);
	assert_int_equal(config_copy_key(&alt, &sys, "no_such_key"), -1);
	assert_false(config_key_equal(&sys, &alt, "no_such_key"));
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
	struct sosafe_err err;

	chmod(path, 0644);
	config_defaults(&c);
	assert_int_equal(config_load_file(&c, path, false, &err), 0);
	assert_int_equal(c.deny, 4);

	chmod(path, 0666);
	config_defaults(&c);
	assert_int_equal(config_load_file(&c, path, false, &err), -1);
	assert_non_null(strstr(err.msg, "writable"));

	chmod(path, 0620);
	assert_int_equal(config_load_file(&c, path, false, &err), -1);

	/* symlinks are refused */
	char link[256];
	snprintf(link, sizeof(link), "%s/link.conf", dir);
	chmod(path, 0644);
	assert_int_equal(symlink(path, link), 0);
	assert_int_equal(config_load_file(&c, link, false, &err), -1);

	/* missing: an error unless missing_ok (the default file) */
	char missing[256];
	snprintf(missing, sizeof(missing), "%s/none.conf", dir);
	assert_int_equal(config_load_file(&c, missing, false, &err), -1);
	assert_int_equal(config_load_file(&c, missing, true, &err), 0);

	/* a directory is refused */
	assert_int_equal(config_load_file(&c, dir, false, &err), -1);

	unlink(link);
	unlink(path);
	rmdir(dir);
}

/* Each key is declared once: its default must parse, and read back as
 * itself; names are unique and each has a description. */
static void table_defaults_parse_back(void **state)
{
	(void)state;
	struct sosafe_config d;
	config_defaults(&d);
	char *dump = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&dump, &len);
	assert_non_null(f);
	config_dump(&d, f);
	fclose(f);
	for (size_t i = 0; i < conf_key_count; i++) {
		const struct conf_key *k = &conf_keys[i];
		struct sosafe_config c;
		struct sosafe_err err;
		config_defaults(&c);
		if (config_apply(&c, k->name, k->def, &err))
			fail_msg("default of %s does not parse: %s", k->name, err.msg);
		char line[512];
		snprintf(line, sizeof(line), "\n%s = %s\n", k->name, k->def);
		if (!strstr(dump, line) && !(i == 0 && !strncmp(dump, line + 1, strlen(line + 1))))
			fail_msg("%s: default '%s' is not what sosafectl config prints", k->name, k->def);
		assert_non_null(k->doc);
		if (!k->doc[0] || strlen(k->doc) > 76)
			fail_msg("%s: the description must be one line of 1..76 characters", k->name);
		assert_true(k->section < CONF_SEC_COUNT);
		for (size_t j = 0; j < i; j++)
			if (!strcmp(conf_keys[j].name, k->name))
				fail_msg("%s is declared twice", k->name);
	}
	free(dump);
	/* a default is not a setting: root_unlock_time keeps following unlock_time */
	struct sosafe_err err;
	assert_int_equal(config_apply_word(&d, "unlock_time=0", &err), 0);
	assert_int_equal(config_root_unlock_time(&d), 0);
}

static void words_and_fractions(void **state)
{
	(void)state;
	struct sosafe_config c;
	struct sosafe_err err;
	assert_int_equal(parse(&c, "no_secret = allow\nlog_identity = pseudonym\n", &err), 0);
	assert_int_equal(c.no_secret, NO_SECRET_ALLOW);
	assert_true(c.log_pseudonym);
	assert_int_equal(parse(&c, "no_secret = enroll-window\n", &err), -1);
	assert_string_equal(err.msg, "test.conf:1: bad value for 'no_secret': expected deny, allow "
			    "or enroll_window");
	assert_int_equal(parse(&c, "log_identity = names\n", &err), -1);
	assert_string_equal(err.msg, "test.conf:1: bad value for 'log_identity': expected name or "
			    "pseudonym");
	assert_int_equal(parse(&c, "four_eyes = unlock, unlcok\n", &err), -1);
	assert_string_equal(err.msg, "test.conf:1: bad value for 'four_eyes': unknown four_eyes action; "
			    "did you mean 'unlock'? (known: unlock, reset-otp, recovery-codes, enroll-window, exempt, "
			    "enroll, purge, audit-prune, audit-reveal, import, backup, all, none)");
	static const struct { const char *text; unsigned permille; } good[] = {
		{ "0", 0 }, { "1", 1000 }, { "0.5", 500 }, { "0.05", 50 }, { "0.125", 125 },
		{ "1.0", 1000 }, { "1.000", 1000 },
	};
	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		char text[64];
		snprintf(text, sizeof(text), "min_sync_fraction = %s\n", good[i].text);
		if (parse(&c, text, &err) || c.min_sync_permille != good[i].permille)
			fail_msg("min_sync_fraction %s: %s", good[i].text, err.msg);
	}
	static const char *const bad[] = { "1.001", "2", "10", "00.5", "0.", ".5", "0.0001", "-0.5",
					   "0.5x", "", "99999999999" };
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		char text[64];
		snprintf(text, sizeof(text), "min_sync_fraction = %s\n", bad[i]);
		if (parse(&c, text, &err) != -1)
			fail_msg("min_sync_fraction %s accepted", bad[i]);
		assert_string_equal(err.msg, "test.conf:1: bad value for 'min_sync_fraction': expected "
				    "a fraction from 0 to 1 (such as 0.5)");
	}
}

/* The cross-key rules hold after the PAM line too, not only for the file. */
static void cross_key_check(void **state)
{
	(void)state;
	struct sosafe_config c;
	struct sosafe_err err;
	assert_int_equal(parse(&c, "uid_max = 300000\n", &err), 0);
	assert_int_equal(config_check(&c, &err), 0);
	assert_int_equal(config_apply_word(&c, "uid_min=400000", &err), 0);
	assert_int_equal(config_check(&c, &err), -1);
	assert_string_equal(err.msg, "uid_min (400000) is above uid_max (300000)");
	assert_int_equal(parse(&c, "uid_min = 300000\nuid_max = 200000\n", &err), -1);
	assert_string_equal(err.msg, "test.conf: uid_min (300000) is above uid_max (200000)");
}

/* The example file names every key once, and uncommented it is the
 * defaults (the prompts' trailing blank aside, which a file cannot keep). */
static void template_is_the_defaults(void **state)
{
	(void)state;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	assert_non_null(f);
	config_write_template(f);
	fclose(f);
	for (size_t i = 0; i < conf_key_count; i++) {
		char line[128];
		snprintf(line, sizeof(line), "\n#%s =", conf_keys[i].name);
		const char *at = strstr(text, line);
		if (!at || strstr(at + 1, line))
			fail_msg("%s is not in the template exactly once", conf_keys[i].name);
	}
	/* uncomment the key lines */
	for (char *p = text; (p = strstr(p, "\n#")); p++)
		if (p[2] >= 'a' && p[2] <= 'z')
			p[1] = ' ';
	struct sosafe_config c, d;
	struct sosafe_err err;
	if (parse(&c, text, &err))
		fail_msg("the template does not parse: %s", err.msg);
	config_defaults(&d);
	snprintf(d.otp_prompt, sizeof(d.otp_prompt), "Verification code:");
	snprintf(d.password_prompt, sizeof(d.password_prompt), "Password:");
	d.root_unlock_time_set = true;   /* given in the file, with the same value */
	d.root_unlock_time = d.unlock_time;
	assert_memory_equal(&c, &d, offsetof(struct sosafe_config, conf_path));
	free(text);
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
		cmocka_unit_test(errors_never_echo_the_line),
		cmocka_unit_test(pseudo_files_refused),
		cmocka_unit_test(copy_and_compare_keys),
		cmocka_unit_test(table_defaults_parse_back),
		cmocka_unit_test(words_and_fractions),
		cmocka_unit_test(cross_key_check),
		cmocka_unit_test(template_is_the_defaults),
	};
	return cmocka_run_group_tests_name("conf", tests, NULL, NULL);
}
