/* The LDIF reader: entries as ldapsearch prints Active Directory (folding,
 * base64, CRLF, trailers), AD semantics (userAccountControl,
 * accountExpires, memberOf and member resolved to names), and refusals
 * that name the line. */
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

static void expect_refused(const char *text, const char *want)
{
	struct directory d;
	struct sosafe_err err = { "" };
	assert_int_equal(directory_parse(text, strlen(text), &d, &err), -1);
	if (!strstr(err.msg, want))
		fail_msg("error '%s' lacks '%s'", err.msg, want);
	assert_int_equal(d.nusers, 0);
}

static void test_refusals(void **state)
{
	(void)state;
	expect_refused("dn: CN=a,DC=x\nobjectClass: user\nsAMAccountName: a1\nthis is not ldif\n",
		       "line 4");
	expect_refused("dn: CN=a,DC=x\nobjectClass: user\nsAMAccountName: a1\n\n"
		       "dn: CN=b,DC=x\nobjectClass: user\nsAMAccountName: A1\n",
		       "line 5: duplicate user name 'a1'");
	expect_refused("dn: CN=a,DC=x\nobjectClass: user\nsAMAccountName: ../etc\n", "line 3");
	expect_refused("dn: CN=a,DC=x\nobjectClass: user\nsAMAccountName:: cm9vdDp4OjA6MA==\n",
		       "line 3");   /* "root:x:0:0" */
	expect_refused("dn: CN=a,DC=x\nobjectClass: user\nsAMAccountName: a1\nuidNumber: 0\n",
		       "line 4: uidNumber");
	expect_refused("dn: CN=a,DC=x\nobjectClass: user\nsAMAccountName: a1\nuidNumber: 5000\n\n"
		       "dn: CN=b,DC=x\nobjectClass: user\nsAMAccountName: b1\nuidNumber: 5000\n",
		       "duplicate uid 5000");
	expect_refused("dn: CN=g,DC=x\nobjectClass: group\nsAMAccountName: g\n"
		       "member;range=0-1499: CN=a,DC=x\n", "line 4: ranged");
	/* found by fuzz_directory: a group with an empty name was accepted */
	expect_refused("dn: CN=g,DC=x\nobjectClass: group\nsAMAccountName:\n", "line 3: group");
	expect_refused("dn: CN=g,DC=x\nobjectClass: group\nsAMAccountName:: \n", "line 3: group");
	expect_refused(" folded at start\n", "line 1");
	expect_refused("dn: CN=a,DC=x\ndn: CN=b,DC=x\n", "line 2: second dn in one entry");
	expect_refused("objectClass: user\n", "line 1: attribute before the entry's dn");
	expect_refused("dn: CN=a,DC=x\nobjectClass: user\nsAMAccountName: a1\nsAMAccountName: b1\n",
		       "line 4: sAMAccountName given twice in one entry");
	expect_refused("dn: CN=a,DC=x\nobjectClass: user\nsAMAccountName:< file:///etc/passwd\n",
		       "line 3: URL values");
	expect_refused("dn: CN=a,DC=x\nobjectClass: user\nsAMAccountName:: YQBi\n",
		       "line 3: bad base64 value");   /* "a\0b" */
	expect_refused("dn: CN=a,DC=x\nobjectClass: user\nsAMAccountName: a1\n"
		       "userAccountControl: 5x\n", "line 4: userAccountControl is not a number");
	expect_refused("dn: CN=a,DC=x\nobjectClass: user\nuidNumber: 5000\n",
		       "line 1: entry CN=a,DC=x has no sAMAccountName");
}

/* a live pull leaves out accounts whose names Unix cannot use (a trust
 * account, a name with a space) instead of refusing everyone */
static void test_skip_unsafe(void **state)
{
	(void)state;
	const char *odd = "dn: CN=a,DC=x\nobjectClass: user\nsAMAccountName: a1\n\n"
			  "dn: CN=Svc Backup,DC=x\nobjectClass: user\nsAMAccountName: Svc Backup\n\n"
			  "dn: CN=CORP,DC=x\nobjectClass: user\nsAMAccountName: CORP$\n";
	struct directory od;
	struct sosafe_err oerr;
	assert_int_equal(directory_parse(odd, strlen(odd), &od, &oerr), -1);
	assert_non_null(strstr(oerr.msg, "line 7"));
	assert_int_equal(directory_parse_flags(odd, strlen(odd), &od, DIR_PARSE_SKIP_UNSAFE, &oerr), 0);
	assert_int_equal(od.nusers, 1);
	assert_string_equal(od.users[0].name, "a1");
	assert_int_equal(od.skipped_unsafe, 2);
	assert_int_equal(od.skipped_line, 7);
	directory_free(&od);
}

/* folding, base64 and CRLF are read like ldapsearch writes them */
static void test_ldapsearch_output(void **state)
{
	(void)state;
	const char *good = "version: 1\r\n\r\n# c\r\ndn: CN=Al\r\n ice,DC=x\r\nobjectClass: user\r\n"
			   "sAMAccountName:: YWxpY2U=\r\nmemberOf: CN=sosafe-use\r\n rs,DC=x\r\n"
			   "accountExpires: 0\r\nuserAccountControl: 66048\r\n\r\n"
			   "dn: CN=sosafe-users,DC=x\r\nobjectClass: group\r\n"
			   "sAMAccountName: sosafe-users\r\n\r\n"
			   "# search result\r\nsearch: 2\r\nresult: 0 Success\r\n";
	struct directory d;
	struct sosafe_err err;
	assert_int_equal(directory_parse(good, strlen(good), &d, &err), 0);
	assert_int_equal(d.nusers, 1);
	assert_string_equal(d.users[0].name, "alice");
	assert_string_equal(d.users[0].dn, "CN=Alice,DC=x");
	assert_int_equal(d.users[0].uid, DIR_NO_ID);
	assert_false(d.users[0].disabled);
	assert_int_equal(d.users[0].expires, 0);
	const char *why;
	assert_true(directory_user_active(&d, &d.users[0], "sosafe-users", T0, &why));
	directory_free(&d);
	/* accountExpires in the past (FILETIME) -> not active */
	const char *expired = "dn: CN=a,DC=x\nobjectClass: user\nsAMAccountName: a1\n"
			      "memberOf: CN=sosafe-users,DC=x\naccountExpires: 130000000000000000\n\n"
			      "dn: CN=sosafe-users,DC=x\nobjectClass: group\n"
			      "sAMAccountName: sosafe-users\n";
	assert_int_equal(directory_parse(expired, strlen(expired), &d, &err), 0);
	assert_int_equal(d.users[0].expires, 1355526400);
	assert_false(directory_user_active(&d, &d.users[0], "sosafe-users", T0, &why));
	directory_free(&d);
}

/* users, groups and computers; memberOf and member become names */
static void test_entries_and_membership(void **state)
{
	(void)state;
	const char *text =
		"dn: CN=Ops,OU=G,DC=x\nobjectClass: top\nobjectClass: group\n"
		"sAMAccountName: Ops\ngidNumber: 300000\nmember: cn=bob,dc=x\n"
		"member: CN=gone,DC=x\n\n"
		"dn: CN=Bob,DC=x\nobjectClass: person\nsAMAccountName: Bob\nuidNumber: 200000\n"
		"gidNumber: 200001\ndisplayName: Bob B\nloginShell: /bin/zsh\n"
		"unixHomeDirectory: /srv/bob\nuserAccountControl: 514\n"
		"memberOf: cn=ops,ou=g,dc=x\nmemberOf: CN=Other\\, Inc,DC=x\n"
		"sosafeStableId: objectsid:S-1-5-21-1-2-3-1104\n\n"
		"dn: CN=PC1,DC=x\nobjectClass: user\nobjectClass: computer\nsAMAccountName: PC1$\n";
	struct directory d;
	struct sosafe_err err;
	assert_int_equal(directory_parse(text, strlen(text), &d, &err), 0);
	assert_int_equal(d.nusers, 1);   /* the computer account is no user */
	assert_int_equal(d.ngroups, 1);
	const struct dir_user *u = &d.users[0];
	assert_string_equal(u->name, "bob");
	assert_int_equal(u->uid, 200000);
	assert_int_equal(u->gid, 200001);
	assert_string_equal(u->gecos, "Bob B");
	assert_string_equal(u->shell, "/bin/zsh");
	assert_string_equal(u->home, "/srv/bob");
	assert_true(u->disabled);
	assert_string_equal(u->ext_id, "objectsid:S-1-5-21-1-2-3-1104");
	assert_int_equal(u->ngroups, 2);
	assert_string_equal(u->groups[0], "ops");        /* the group entry's name */
	/* a group outside the export stays a DN: never read as a group name */
	assert_string_equal(u->groups[1], "CN=Other\\, Inc,DC=x");
	const struct dir_group *g = &d.groups[0];
	assert_string_equal(g->name, "ops");
	assert_int_equal(g->gid, 300000);
	assert_int_equal(g->nmembers, 1);                /* CN=gone is not in the export */
	assert_string_equal(g->members[0], "bob");
	directory_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_skip_unsafe),
		cmocka_unit_test(test_ldapsearch_output),
		cmocka_unit_test(test_entries_and_membership),
	};
	return cmocka_run_group_tests_name("ldif", tests, NULL, NULL);
}
