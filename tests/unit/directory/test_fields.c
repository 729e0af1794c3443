/* What a directory hands over as data, read safely: binary attributes of a
 * real Active Directory export (objectSid and objectGUID as the stable id,
 * thumbnailPhoto and userCertificate ignored), passwd fields that would
 * break a passwd line or drive a terminal (the full name neutralised, an
 * unsafe home or shell quarantines the record), and the entitled group
 * taken by DN, never by the first RDN of a group outside the export. */
#include <config.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "directory/directory.h"

#define T0 1700000000LL

static void parse_ok(const char *text, struct directory *d)
{
	struct sosafe_err err = { "" };
	if (directory_parse(text, strlen(text), d, &err))
		fail_msg("refused: %s", err.msg);
}

/* objectSid::, objectGUID:: as ldapsearch prints them (NUL bytes inside),
 * and binary attributes the reader has no use for */
static void test_binary_attributes(void **state)
{
	(void)state;
	const char *text =
		"dn: CN=Sid,DC=x\nobjectClass: user\nsAMAccountName: sid1\n"
		"objectSid:: AQUAAAAAAAUVAAAAAQAAAAIAAAADAAAAUAQAAA==\n"
		"objectGUID:: AAECAwQFBgcICQoLDA0ODw==\n"
		"thumbnailPhoto:: /9j/4AAQSkZJRgAB/9j/4AAQSkZJRgAB/9j/4AAQSkZJRgAB\n"
		"userCertificate;binary:: AQI=\n"
		"msExchMailboxGuid:: AAECAwQFBgcICQoLDA0ODw==\n"
		"jpegPhoto:< file:///etc/shadow\n\n"
		"dn: CN=Guid,DC=x\nobjectClass: user\nsAMAccountName: guid1\n"
		"objectGUID:: AAECAwQFBgcICQoLDA0ODw==\n\n"
		"dn: CN=Pulled,DC=x\nobjectClass: user\nsAMAccountName: pulled\n"
		"objectSid:: AQUAAAAAAAUVAAAAAQAAAAIAAAADAAAAUQQAAA==\n"
		"sosafeStableId: objectsid:S-1-5-21-1-2-3-1105\n\n"
		"dn: CN=Bad,DC=x\nobjectClass: user\nsAMAccountName: bad1\nobjectSid:: AQI=\n";
	struct directory d;
	parse_ok(text, &d);
	assert_int_equal(d.nusers, 4);
	assert_string_equal(d.users[0].ext_id, "objectsid:S-1-5-21-1-2-3-1104");
	assert_null(d.users[0].held);
	assert_string_equal(d.users[1].ext_id, "objectguid:03020100-0504-0706-0809-0a0b0c0d0e0f");
	assert_string_equal(d.users[2].ext_id, "objectsid:S-1-5-21-1-2-3-1105");
	/* a malformed SID: no identity to key the row on, the record waits */
	assert_null(d.users[3].ext_id);
	assert_non_null(d.users[3].held);
	assert_non_null(strstr(d.users[3].held, "line 25"));
	directory_free(&d);
}

/* a ':' or a control byte in gecos, home or shell (LDIF base64 or plain) */
static void test_ldif_fields(void **state)
{
	(void)state;
	const char *text =
		"dn: CN=Eve,DC=x\nobjectClass: user\nsAMAccountName: eve\n"
		"displayName:: RXZlG10wO3B3bgcgRQ==\n\n"
		"dn: CN=Home,DC=x\nobjectClass: user\nsAMAccountName: home1\n"
		"unixHomeDirectory: /home/a:b\n\n"
		"dn: CN=Nul,DC=x\nobjectClass: user\nsAMAccountName: nul1\n"
		"unixHomeDirectory:: L2hvbWUveAA6ZXZpbA==\n\n"
		"dn: CN=Sh,DC=x\nobjectClass: user\nsAMAccountName: sh1\n"
		"loginShell:: L2Jpbi9zaBtbMzFt\ngecos: Sam: Ops\n\n"
		"dn: CN=C1,DC=x\nobjectClass: user\nsAMAccountName: c1\n"
		"gecos:: Q8KbMm1C\nloginShell: /bin/zsh\n";
	struct directory d;
	parse_ok(text, &d);
	assert_int_equal(d.nusers, 5);
	assert_string_equal(d.users[0].gecos, "Eve ]0;pwn  E");   /* ESC and BEL gone */
	assert_null(d.users[0].held);
	assert_null(d.users[1].home);
	assert_non_null(strstr(d.users[1].held, "line 9: unixHomeDirectory"));
	assert_null(d.users[2].home);   /* a NUL does not hide ":evil" */
	assert_non_null(d.users[2].held);
	assert_null(d.users[3].shell);
	assert_non_null(strstr(d.users[3].held, "loginShell"));
	assert_string_equal(d.users[3].gecos, "Sam  Ops");
	/* a C1 CSI (U+009B as UTF-8) drives some terminals like ESC [ */
	assert_string_equal(d.users[4].gecos, "C 2mB");
	assert_string_equal(d.users[4].shell, "/bin/zsh");
	assert_null(d.users[4].held);
	directory_free(&d);
}

/* JSON escapes decode to the very bytes a terminal obeys */
static void test_json_fields(void **state)
{
	(void)state;
	const char *text =
		"{\"users\":[{\"name\":\"eve\",\"gecos\":\"E\\u001b[2Jve:x\"},\n"
		"{\"name\":\"home1\",\"home\":\"/h\\u001b]0;x\\u0007\"},\n"
		"{\"name\":\"sh1\",\"shell\":\"/bin/sh\\nroot::0:0::/:/bin/sh\"},\n"
		"{\"name\":\"ok1\",\"home\":\"/srv/ok\",\"shell\":\"/bin/sh\"}]}";
	struct directory d;
	parse_ok(text, &d);
	assert_int_equal(d.nusers, 4);
	assert_string_equal(d.users[0].gecos, "E [2Jve x");
	assert_null(d.users[0].held);
	assert_null(d.users[1].home);
	assert_non_null(strstr(d.users[1].held, "line 2: home"));
	assert_null(d.users[2].shell);
	assert_non_null(strstr(d.users[2].held, "line 3: shell"));
	assert_string_equal(d.users[3].home, "/srv/ok");
	assert_null(d.users[3].held);
	directory_free(&d);
}

static const char *entitled_of(const struct directory *d, const struct sosafe_config *cfg)
{
	const char *name = NULL;
	struct sosafe_err err = { "" };
	return directory_entitled(d, cfg, &name, &err) ? NULL : name;
}

/* memberOf of a group outside the export named like the entitled one */
static void test_entitled_by_dn(void **state)
{
	(void)state;
	const char *text =
		"dn: CN=sosafe-users,OU=Groups,DC=x\nobjectClass: group\n"
		"sAMAccountName: sosafe-users\n\n"
		"dn: CN=Good,DC=x\nobjectClass: user\nsAMAccountName: good\n"
		"memberOf: cn=sosafe-users,ou=groups,dc=x\n\n"
		"dn: CN=Mallory,DC=x\nobjectClass: user\nsAMAccountName: mallory\n"
		"memberOf: CN=sosafe-users,OU=Contractors,DC=other,DC=x\n";
	struct sosafe_config cfg = { 0 };
	snprintf(cfg.entitled_group, sizeof(cfg.entitled_group), "sosafe-users");
	struct directory d;
	const char *why;
	parse_ok(text, &d);
	const char *ent = entitled_of(&d, &cfg);
	assert_non_null(ent);
	assert_true(directory_user_active(&d, &d.users[0], ent, T0, &why));
	assert_false(directory_user_active(&d, &d.users[1], ent, T0, &why));
	/* entitled_group_dn picks exactly one group, even outside the export */
	snprintf(cfg.entitled_group_dn, sizeof(cfg.entitled_group_dn),
		 "CN=sosafe-users,OU=Contractors,DC=other,DC=x");
	ent = entitled_of(&d, &cfg);
	assert_false(directory_user_active(&d, &d.users[0], ent, T0, &why));
	assert_true(directory_user_active(&d, &d.users[1], ent, T0, &why));
	directory_free(&d);

	/* an export without the entitled group's entry: the name alone is refused */
	const char *users_only = "dn: CN=M,DC=x\nobjectClass: user\nsAMAccountName: m1\n"
				 "memberOf: CN=sosafe-users,OU=Anyone,DC=x\n";
	parse_ok(users_only, &d);
	cfg.entitled_group_dn[0] = 0;
	assert_null(entitled_of(&d, &cfg));
	snprintf(cfg.entitled_group_dn, sizeof(cfg.entitled_group_dn),
		 "cn=sosafe-users,ou=anyone,dc=x");
	ent = entitled_of(&d, &cfg);
	assert_true(directory_user_active(&d, &d.users[0], ent, T0, &why));
	directory_free(&d);

	/* the JSON form has names, not DNs: entitled_group as it is */
	parse_ok("{\"users\":[{\"name\":\"j\",\"groups\":[\"sosafe-users\"]}]}", &d);
	ent = entitled_of(&d, &cfg);
	assert_string_equal(ent, "sosafe-users");
	assert_true(directory_user_active(&d, &d.users[0], ent, T0, &why));
	directory_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_binary_attributes),
		cmocka_unit_test(test_ldif_fields),
		cmocka_unit_test(test_json_fields),
		cmocka_unit_test(test_entitled_by_dn),
	};
	return cmocka_run_group_tests_name("directory fields", tests, NULL, NULL);
}
