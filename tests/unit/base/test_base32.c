/* Base32 digits (recovery codes are drawn from them); the RFC 4648 vectors
 * are in tests/unit/otp/test_totp.c next to the TOTP seeds. */
#include <config.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "base/base32.h"

static void digits_are_the_alphabet(void **state)
{
	char all[33];
	for (unsigned v = 0; v < 32; v++)
		all[v] = base32_digit(v);
	all[32] = '\0';
	assert_string_equal(all, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567");
	/* only the low five bits count: a random byte is a digit */
	assert_int_equal(base32_digit(0xff), '7');
	assert_int_equal(base32_digit(32), 'A');
}

static void every_digit_decodes_to_its_value(void **state)
{
	/* eight digits are five bytes: digit v at the end of "AAAAAAA?" */
	for (unsigned v = 0; v < 32; v++) {
		char in[9] = "AAAAAAAA";
		uint8_t out[5];
		in[7] = base32_digit(v);
		assert_int_equal(base32_decode(in, out, sizeof(out)), 5);
		assert_int_equal(out[4], v);
		char back[BASE32_ENCODED_SIZE(5)];
		assert_int_equal(base32_encode(out, 5, back, sizeof(back)), 8);
		assert_string_equal(back, in);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(digits_are_the_alphabet),
		cmocka_unit_test(every_digit_decodes_to_its_value),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
