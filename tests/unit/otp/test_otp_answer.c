/* What users (and attackers) type at the code prompt, single-field split, SCRV1. */
#include <config.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "otp/otp_answer.h"
#include "base/util.h"

static int parse(const char *s, unsigned digits, struct otp_answer *a)
{
	return otp_answer_parse(s, strlen(s), digits, a);
}

static void good_codes(void **st)
{
	struct otp_answer a;
	assert_int_equal(parse("123456", 6, &a), 0);
	assert_int_equal(a.kind, ANSWER_TOTP);
	assert_string_equal(a.code, "123456");
	assert_int_equal(parse("  123456\t ", 6, &a), 0);   /* surrounding spaces */
	assert_string_equal(a.code, "123456");
	assert_int_equal(parse("01234567", 8, &a), 0);
	assert_string_equal(a.code, "01234567");
}

static void hostile(void **st)
{
	struct otp_answer a;
	assert_int_equal(parse("", 6, &a), -1);
	assert_int_equal(a.kind, ANSWER_INVALID);
	assert_int_equal(parse("      ", 6, &a), -1);
	assert_int_equal(parse("1234567", 6, &a), -1);       /* 7 digits */
	assert_int_equal(parse("12345", 6, &a), -1);
	assert_int_equal(parse("123456", 8, &a), -1);        /* enrolled length decides */
	assert_int_equal(parse("12 3456", 6, &a), -1);       /* inner space */
	assert_int_equal(parse("12345a", 6, &a), -1);
	assert_int_equal(parse("+12345", 6, &a), -1);
	assert_int_equal(parse("-12345", 6, &a), -1);
	assert_int_equal(parse("１２３４５６", 6, &a), -1);  /* full-width digits */
	assert_int_equal(parse("123456\n", 6, &a), -1);
	assert_int_equal(parse("%n%n%n", 6, &a), -1);
	/* NUL inside the answer */
	assert_int_equal(otp_answer_parse("123\0" "456", 7, 6, &a), -1);
	assert_int_equal(otp_answer_parse("123456\0", 7, 6, &a), -1);
	/* 10 kB */
	char *big = malloc(10240);
	memset(big, '1', 10240);
	assert_int_equal(otp_answer_parse(big, 10240, 6, &a), -1);
	memset(big, ' ', 10240);
	memcpy(big + 5000, "123456", 6);
	assert_int_equal(otp_answer_parse(big, 10240, 6, &a), -1);
	free(big);
	assert_int_equal(otp_answer_parse(NULL, 0, 6, &a), -1);
}

static void recovery_codes(void **st)
{
	struct otp_answer a;
	assert_int_equal(parse("ABCD-EFGH-IJKL-MNOP", 6, &a), 0);
	assert_int_equal(a.kind, ANSWER_RECOVERY);
	assert_string_equal(a.code, "ABCDEFGHIJKLMNOP");
	assert_int_equal(parse(" abcd efgh ijkl mnop ", 6, &a), 0);
	assert_string_equal(a.code, "ABCDEFGHIJKLMNOP");
	assert_int_equal(parse("abcdefghijklmnop", 8, &a), 0);
	assert_int_equal(parse("ABCD-EFGH-IJKL-MNO", 6, &a), -1);     /* 15 chars */
	assert_int_equal(parse("ABCD-EFGH-IJKL-MNOPQ", 6, &a), -1);   /* 17 chars */
	assert_int_equal(parse("ABCD-EFGH-IJKL-MN0P", 6, &a), -1);    /* 0 not base32 */
	assert_int_equal(parse("ABCD-EFGH-IJKL-MN1P", 6, &a), -1);
}

static void split(void **st)
{
	char *pw = NULL;
	struct otp_answer a;
	assert_int_equal(otp_answer_split("s3cret!123456", 6, &pw, &a), 0);
	assert_string_equal(pw, "s3cret!");
	assert_string_equal(a.code, "123456");
	secure_free_str(pw);
	/* a password that ends in digits: the last N are the code */
	assert_int_equal(otp_answer_split("pass2024" "87654321", 8, &pw, &a), 0);
	assert_string_equal(pw, "pass2024");
	assert_string_equal(a.code, "87654321");
	secure_free_str(pw);
	/* only a code: empty password handed on */
	assert_int_equal(otp_answer_split("123456", 6, &pw, &a), 0);
	assert_string_equal(pw, "");
	secure_free_str(pw);
	/* recovery code at the end, with its dashes */
	assert_int_equal(otp_answer_split("hunter2ABCD-EFGH-IJKL-MNOP", 6, &pw, &a), 0);
	assert_int_equal(a.kind, ANSWER_RECOVERY);
	assert_string_equal(pw, "hunter2");
	secure_free_str(pw);
	/* refused */
	assert_int_equal(otp_answer_split("password", 6, &pw, &a), -1);
	assert_null(pw);
	assert_int_equal(otp_answer_split("12345", 6, &pw, &a), -1);
	assert_int_equal(otp_answer_split("", 6, &pw, &a), -1);
	assert_int_equal(otp_answer_split("pw12345a", 6, &pw, &a), -1);
	char *big = malloc(OTP_FIELD_MAX + 10);
	memset(big, 'a', OTP_FIELD_MAX + 9);
	memcpy(big + OTP_FIELD_MAX + 3, "123456", 6);
	big[OTP_FIELD_MAX + 9] = '\0';
	assert_int_equal(otp_answer_split(big, 6, &pw, &a), -1);
	assert_null(pw);
	free(big);
}

static void scrv1(void **st)
{
	char *pw = NULL;
	struct otp_answer a;
	/* SCRV1:base64("s3cret"):base64("123456") */
	assert_int_equal(otp_answer_split("SCRV1:czNjcmV0:MTIzNDU2", 6, &pw, &a), 0);
	assert_string_equal(pw, "s3cret");
	assert_string_equal(a.code, "123456");
	secure_free_str(pw);
	/* padding: base64("pw") = cHc= ; response with spaces " 654321 " = IDY1NDMyMSA= */
	assert_int_equal(otp_answer_split("SCRV1:cHc=:IDY1NDMyMSA=", 6, &pw, &a), 0);
	assert_string_equal(pw, "pw");
	assert_string_equal(a.code, "654321");
	secure_free_str(pw);
	/* empty password */
	assert_int_equal(otp_answer_split("SCRV1::MTIzNDU2", 6, &pw, &a), 0);
	assert_string_equal(pw, "");
	secure_free_str(pw);
	/* bad: no second colon, bad base64, wrong length code, NUL in password, NUL in code */
	assert_int_equal(otp_answer_split("SCRV1:czNjcmV0", 6, &pw, &a), -1);
	assert_int_equal(otp_answer_split("SCRV1:czNjc!V0:MTIzNDU2", 6, &pw, &a), -1);
	assert_int_equal(otp_answer_split("SCRV1:czNjcmV0:MTIzNDU=", 6, &pw, &a), -1);  /* 12345 */
	assert_int_equal(otp_answer_split("SCRV1:YQBi:MTIzNDU2", 6, &pw, &a), -1);      /* "a\0b" */
	assert_int_equal(otp_answer_split("SCRV1:cHc=:MTIzADQ1Ng==", 6, &pw, &a), -1);  /* "123\0456" */
	assert_int_equal(otp_answer_split("SCRV1:cHc=:MTIzNDU2:", 6, &pw, &a), -1);
	assert_null(pw);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(good_codes),
		cmocka_unit_test(hostile),
		cmocka_unit_test(recovery_codes),
		cmocka_unit_test(split),
		cmocka_unit_test(scrv1),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
