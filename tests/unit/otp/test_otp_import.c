/* Importers: real pam_oath users files and ~/.google_authenticator files
 * (as written by the google-authenticator tool), malformed lines included. */
#include <config.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "otp/otp_import.h"

struct seen {
	unsigned n;
	struct {
		unsigned line;
		int ok;
		char user[64];
		char reason[160];
		struct totp_params p;
		size_t secret_len;
		uint8_t secret[64];
		int64_t last_step;
	} e[32];
};

static void collect(const struct import_entry *e, void *ctx)
{
	struct seen *s = ctx;
	if (s->n >= 32)
		return;
	s->e[s->n].line = e->line;
	s->e[s->n].ok = e->ok;
	snprintf(s->e[s->n].user, sizeof(s->e[s->n].user), "%s", e->user);
	snprintf(s->e[s->n].reason, sizeof(s->e[s->n].reason), "%s", e->reason);
	s->e[s->n].p = e->rec.params;
	s->e[s->n].secret_len = e->rec.secret_len;
	memcpy(s->e[s->n].secret, e->rec.secret, e->rec.secret_len < 64 ? e->rec.secret_len : 64);
	s->e[s->n].last_step = e->rec.last_step;
	s->n++;
}

static const char users_oath[] =
	"# /etc/users.oath written by hand and by pam_oath\n"
	"HOTP/T30 alice - 3132333435363738393031323334353637383930\n"
	"HOTP/T30/8 bob - 3132333435363738393031323334353637383930 12345678 2013-12-20T21:46:34L\n"
	"HOTP/T60/6\tcarol\t-\t31323334353637383930313233343536373839303132\n"
	"HOTP dave - 3132333435363738393031323334353637383930\n"
	"HOTP/E/8 eve - 3132333435363738393031323334353637383930\n"
	"HOTP/T30 frank 1234 3132333435363738393031323334353637383930\n"
	"HOTP/T45 gina - 3132333435363738393031323334353637383930\n"
	"HOTP/T30 hank - zz32333435363738393031323334353637383930\n"
	"HOTP/T30 ivan - 0011223344\n"
	"HOTP/T30\n"
	"TOTP jane - 3132333435363738393031323334353637383930\n"
	"HOTP/T30 ../etc - 3132333435363738393031323334353637383930\n"
	"HOTP/T30/7 kim - 3132333435363738393031323334353637383930\n"
	"\n"
	"   # indented comment\n"
	"HOTP/T30 lee - 3132333435363738393031323334353637383930 1 2 3 4\n"
	"HOTP/T/8 mia - 3132333435363738393031323334353637383930";

static int find(const struct seen *s, unsigned line)
{
	for (unsigned i = 0; i < s->n; i++)
		if (s->e[i].line == line)
			return (int)i;
	fail_msg("line %u not reported", line);
	return -1;
}

static void oath_usersfile(void **st)
{
	struct seen s = { 0 };
	unsigned n = import_oath_usersfile(users_oath, sizeof(users_oath) - 1, collect, &s);
	assert_int_equal(n, 15);
	assert_int_equal(s.n, 15);
	int i = find(&s, 2);
	assert_true(s.e[i].ok);
	assert_string_equal(s.e[i].user, "alice");
	assert_int_equal(s.e[i].p.digits, 6);
	assert_int_equal(s.e[i].p.period, 30);
	assert_int_equal(s.e[i].secret_len, 20);
	assert_memory_equal(s.e[i].secret, "12345678901234567890", 20);
	assert_int_equal(s.e[i].last_step, -1);
	i = find(&s, 3);
	assert_true(s.e[i].ok);
	assert_int_equal(s.e[i].p.digits, 8);
	assert_true(s.e[i].last_step > 1387500000 / 30 && s.e[i].last_step < 1387700000 / 30);
	i = find(&s, 4);
	assert_true(s.e[i].ok);
	assert_string_equal(s.e[i].user, "carol");
	assert_int_equal(s.e[i].p.period, 60);
	assert_int_equal(s.e[i].secret_len, 22);
	assert_non_null(strstr(find(&s, 5) >= 0 ? s.e[find(&s, 5)].reason : "", "event-based"));
	assert_false(s.e[find(&s, 5)].ok);
	assert_non_null(strstr(s.e[find(&s, 6)].reason, "event-based"));
	assert_non_null(strstr(s.e[find(&s, 7)].reason, "PIN"));
	assert_non_null(strstr(s.e[find(&s, 8)].reason, "time step"));
	assert_non_null(strstr(s.e[find(&s, 9)].reason, "hexadecimal"));
	assert_non_null(strstr(s.e[find(&s, 10)].reason, "80 bits"));
	assert_non_null(strstr(s.e[find(&s, 11)].reason, "malformed"));
	assert_non_null(strstr(s.e[find(&s, 12)].reason, "unknown token type"));
	assert_non_null(strstr(s.e[find(&s, 13)].reason, "invalid user"));
	assert_non_null(strstr(s.e[find(&s, 14)].reason, "digit count"));
	assert_non_null(strstr(s.e[find(&s, 17)].reason, "malformed"));
	i = find(&s, 18);
	assert_true(s.e[i].ok);
	assert_int_equal(s.e[i].p.digits, 8);
	assert_int_equal(s.e[i].p.period, 30);
	for (unsigned k = 0; k < s.n; k++)
		if (s.e[k].line >= 5 && s.e[k].line <= 17)
			assert_false(s.e[k].ok);
}

static void oath_binary_junk(void **st)
{
	struct seen s = { 0 };
	static const char junk[] = "HOTP/T30 a - 31323334353637383930\0\xff\n\x01\x02";
	import_oath_usersfile(junk, sizeof(junk) - 1, collect, &s);
	assert_int_equal(s.n, 2);
	assert_false(s.e[0].ok);
	assert_false(s.e[1].ok);
}

/* As written by: google-authenticator -t -d -f -r 3 -R 30 -w 3 */
static const char ga_file[] =
	"ZY2WH4IY22HP75CJLHLSWUFPLM\n"
	"\" RATE_LIMIT 3 30\n"
	"\" WINDOW_SIZE 3\n"
	"\" DISALLOW_REUSE\n"
	"\" TOTP_AUTH\n"
	"65174297\n"
	"79427112\n"
	"10304810\n"
	"77627319\n"
	"75491526\n";

static void google_authenticator(void **st)
{
	struct seen s = { 0 };
	assert_int_equal(import_google_authenticator(ga_file, sizeof(ga_file) - 1, "alice", collect, &s),
			 1);
	assert_true(s.e[0].ok);
	assert_int_equal(s.e[0].secret_len, 16);
	assert_int_equal(s.e[0].p.period, 30);
	assert_int_equal(s.e[0].p.digits, 6);
	assert_non_null(strstr(s.e[0].reason, "5 scratch code"));

	static const char step60[] = "2VWK5NWQGG7ZUWCQ2TFUK5XPQY\n\" RATE_LIMIT 3 30 1700000000\n"
				     "\" STEP_SIZE 60\n\" DISALLOW_REUSE 56666666\n\" TOTP_AUTH\n";
	memset(&s, 0, sizeof(s));
	import_google_authenticator(step60, sizeof(step60) - 1, "bob", collect, &s);
	assert_true(s.e[0].ok);
	assert_int_equal(s.e[0].p.period, 60);

	static const char *const bad[] = {
		"ZY2WH4IY22HP75CJLHLSWUFPLM\n\" HOTP_COUNTER 1\n12345678\n",      /* HOTP */
		"ZY2WH4IY22HP75CJLHLSWUFPLM\n\" RATE_LIMIT 3 30\n",               /* no TOTP_AUTH */
		"ZY2WH4IY22HP75CJLHLSW!FPLM\n\" TOTP_AUTH\n",                     /* bad base32 */
		"JBSWY3DP\n\" TOTP_AUTH\n",                                       /* 40 bits */
		"ZY2WH4IY22HP75CJLHLSWUFPLM\n\" STEP_SIZE 45\n\" TOTP_AUTH\n",    /* step */
		"ZY2WH4IY22HP75CJLHLSWUFPLM\n\" TOTP_AUTH\nhello world\n",        /* junk */
		"ZY2WH4IY22HP75CJLHLSWUFPLM\n\" FROBNICATE\n\" TOTP_AUTH\n",      /* option */
		"",
	};
	static const char *const why[] = { "HOTP", "TOTP_AUTH", "base32", "80 bits", "STEP_SIZE",
					   "malformed", "unknown option", "not a google" };
	for (unsigned k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		memset(&s, 0, sizeof(s));
		import_google_authenticator(bad[k], strlen(bad[k]), "carol", collect, &s);
		assert_int_equal(s.n, 1);
		assert_false(s.e[0].ok);
		if (!strstr(s.e[0].reason, why[k]))
			fail_msg("case %u: reason '%s' lacks '%s'", k, s.e[0].reason, why[k]);
	}
	memset(&s, 0, sizeof(s));
	import_google_authenticator(ga_file, sizeof(ga_file) - 1, "../x", collect, &s);
	assert_false(s.e[0].ok);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(oath_usersfile),
		cmocka_unit_test(oath_binary_junk),
		cmocka_unit_test(google_authenticator),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
