/* RFC 6238 vectors, window edges, replay and clock step back, base32, URI. */
#include <config.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base32.h"
#include "otp/totp.h"

static const char seed1[] = "12345678901234567890";
static const char seed256[] = "12345678901234567890123456789012";
static const char seed512[] =
	"1234567890123456789012345678901234567890123456789012345678901234";

/* RFC 6238 Appendix B (8 digits, T0 = 0, X = 30). */
static const struct {
	int64_t t;
	const char *sha1, *sha256, *sha512;
} vec[] = {
	{ 59, "94287082", "46119246", "90693936" },
	{ 1111111109, "07081804", "68084774", "25091201" },
	{ 1111111111, "14050471", "67062674", "99943326" },
	{ 1234567890, "89005924", "91819424", "93441116" },
	{ 2000000000, "69279037", "90698825", "38618901" },
	{ 20000000000LL, "65353130", "77737706", "47863826" },
};

static void check_vectors(enum totp_algorithm a, const char *seed)
{
	struct totp_params p = { a, 8, 30 };
	for (size_t i = 0; i < sizeof(vec) / sizeof(vec[0]); i++) {
		const char *want = a == TOTP_SHA1 ? vec[i].sha1 : a == TOTP_SHA256 ? vec[i].sha256
										   : vec[i].sha512;
		char got[9];
		int64_t step = -1;
		assert_int_equal(totp_code_at_step(&p, (const uint8_t *)seed, strlen(seed),
						   totp_step_of(&p, vec[i].t), got), 0);
		assert_string_equal(got, want);
		/* and through the validator, window 0 */
		assert_int_equal(totp_verify(&p, (const uint8_t *)seed, strlen(seed), vec[i].t, 0, want,
					     -1, &step), TOTP_OK);
		assert_int_equal(step, vec[i].t / 30);
		/* a different 8-digit code is refused */
		char wrong[9];
		memcpy(wrong, want, 9);
		wrong[7] = wrong[7] == '9' ? '0' : (char)(wrong[7] + 1);
		assert_int_equal(totp_verify(&p, (const uint8_t *)seed, strlen(seed), vec[i].t, 1, wrong,
					     -1, &step), TOTP_MISMATCH);
	}
}

static void rfc6238_sha1(void **s) { check_vectors(TOTP_SHA1, seed1); }
static void rfc6238_sha256(void **s) { check_vectors(TOTP_SHA256, seed256); }
static void rfc6238_sha512(void **s) { check_vectors(TOTP_SHA512, seed512); }

/* 6-digit codes are the last six digits of the 8-digit ones (RFC 4226 5.3). */
static void six_digits(void **s)
{
	struct totp_params p = { TOTP_SHA1, 6, 30 };
	int64_t step;
	char got[9];
	assert_int_equal(totp_code_at_step(&p, (const uint8_t *)seed1, 20, 1, got), 0);
	assert_string_equal(got, "287082");
	assert_int_equal(totp_verify(&p, (const uint8_t *)seed1, 20, 59, 0, "287082", -1, &step),
			 TOTP_OK);
	/* the enrolled digit count decides: 8 digits to a 6-digit token, 6 to an 8-digit one */
	assert_int_equal(totp_verify(&p, (const uint8_t *)seed1, 20, 59, 1, "94287082", -1, &step),
			 TOTP_BADLEN);
	struct totp_params p8 = { TOTP_SHA1, 8, 30 };
	assert_int_equal(totp_verify(&p8, (const uint8_t *)seed1, 20, 59, 1, "287082", -1, &step),
			 TOTP_BADLEN);
	assert_int_equal(totp_verify(&p8, (const uint8_t *)seed1, 20, 59, 1, "4287082", -1, &step),
			 TOTP_BADLEN);
}

static void period_60(void **s)
{
	struct totp_params p = { TOTP_SHA256, 6, 60 };
	char c[9];
	int64_t step;
	int64_t now = 1700000000;
	assert_int_equal(totp_code_at_step(&p, (const uint8_t *)seed256, 32, now / 60, c), 0);
	assert_int_equal(totp_verify(&p, (const uint8_t *)seed256, 32, now, 0, c, -1, &step), TOTP_OK);
	assert_int_equal(step, now / 60);
	/* 59 s later still the same step; 61 s later needs window 1 */
	int64_t base = (now / 60) * 60;
	assert_int_equal(totp_verify(&p, (const uint8_t *)seed256, 32, base + 59, 0, c, -1, &step),
			 TOTP_OK);
	assert_int_equal(totp_verify(&p, (const uint8_t *)seed256, 32, base + 60, 0, c, -1, &step),
			 TOTP_MISMATCH);
	assert_int_equal(totp_verify(&p, (const uint8_t *)seed256, 32, base + 60, 1, c, -1, &step),
			 TOTP_OK);
}

static void window_edges(void **s)
{
	struct totp_params p = { TOTP_SHA1, 6, 30 };
	const uint8_t *k = (const uint8_t *)seed1;
	int64_t now = 1234567890, cur = now / 30, step;
	for (unsigned w = 0; w <= 3; w++) {
		for (int d = -5; d <= 5; d++) {
			char c[9];
			assert_int_equal(totp_code_at_step(&p, k, 20, cur + d, c), 0);
			enum totp_result r = totp_verify(&p, k, 20, now, w, c, -1, &step);
			if ((unsigned)abs(d) <= w) {
				assert_int_equal(r, TOTP_OK);
				assert_int_equal(step, cur + d);
			} else {
				/* a code of another step may collide by chance (1e-6): not here */
				assert_int_equal(r, TOTP_MISMATCH);
			}
		}
	}
	char c[9];
	assert_int_equal(totp_code_at_step(&p, k, 20, cur, c), 0);
	assert_int_equal(totp_verify(&p, k, 20, now, TOTP_WINDOW_MAX + 1, c, -1, &step), TOTP_ERROR);
}

static void replay_and_clock_back(void **s)
{
	struct totp_params p = { TOTP_SHA1, 6, 30 };
	const uint8_t *k = (const uint8_t *)seed1;
	int64_t now = 1234567890, cur = now / 30, step;
	char c[9];
	assert_int_equal(totp_code_at_step(&p, k, 20, cur, c), 0);
	assert_int_equal(totp_verify(&p, k, 20, now, 1, c, -1, &step), TOTP_OK);
	int64_t last = step;
	/* the same code again: replay */
	assert_int_equal(totp_verify(&p, k, 20, now, 1, c, last, &step), TOTP_REPLAY);
	assert_int_equal(totp_verify(&p, k, 20, now + 25, 1, c, last, &step), TOTP_REPLAY);
	/* an older code inside the window: replay too (never go back) */
	char old[9];
	assert_int_equal(totp_code_at_step(&p, k, 20, cur - 1, old), 0);
	assert_int_equal(totp_verify(&p, k, 20, now, 1, old, last, &step), TOTP_REPLAY);
	/* the next step's code is fine */
	char next[9];
	assert_int_equal(totp_code_at_step(&p, k, 20, cur + 1, next), 0);
	assert_int_equal(totp_verify(&p, k, 20, now + 30, 1, next, last, &step), TOTP_OK);
	assert_int_equal(step, cur + 1);
	last = step;
	/* clock steps back one hour: codes of "now" are at or below last_step */
	int64_t back = now - 3600;
	char b[9];
	assert_int_equal(totp_code_at_step(&p, k, 20, back / 30, b), 0);
	assert_int_equal(totp_verify(&p, k, 20, back, 1, b, last, &step), TOTP_REPLAY);
	/* a code accepted at +1 step (clock ahead) blocks the current one */
	assert_int_equal(totp_verify(&p, k, 20, now, 1, c, cur + 1, &step), TOTP_REPLAY);
}

static void bad_params(void **s)
{
	struct totp_params p = { TOTP_SHA1, 7, 30 };
	int64_t step;
	assert_false(totp_params_valid(&p));
	assert_int_equal(totp_verify(&p, (const uint8_t *)seed1, 20, 59, 1, "1234567", -1, &step),
			 TOTP_ERROR);
	p = (struct totp_params){ TOTP_SHA1, 6, 45 };
	assert_false(totp_params_valid(&p));
	p = (struct totp_params){ (enum totp_algorithm)3, 6, 30 };
	assert_false(totp_params_valid(&p));
	enum totp_algorithm a;
	assert_int_equal(totp_algorithm_parse("sha256", &a), 0);
	assert_int_equal(a, TOTP_SHA256);
	assert_int_equal(totp_algorithm_parse("MD5", &a), -1);
}

static void base32_vectors(void **s)
{
	static const struct { const char *in, *out; } v[] = {
		{ "", "" }, { "f", "MY" }, { "fo", "MZXQ" }, { "foo", "MZXW6" },
		{ "foob", "MZXW6YQ" }, { "fooba", "MZXW6YTB" }, { "foobar", "MZXW6YTBOI" },
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		char enc[32];
		uint8_t dec[32];
		assert_int_equal(base32_encode((const uint8_t *)v[i].in, strlen(v[i].in), enc, sizeof(enc)),
				 (int)strlen(v[i].out));
		assert_string_equal(enc, v[i].out);
		assert_int_equal(base32_decode(v[i].out, dec, sizeof(dec)), (int)strlen(v[i].in));
		assert_memory_equal(dec, v[i].in, strlen(v[i].in));
	}
	uint8_t d[32];
	assert_int_equal(base32_decode("mzxw6ytboi", d, sizeof(d)), 6);      /* lower case */
	assert_int_equal(base32_decode("MZXW 6YTB OI", d, sizeof(d)), 6);    /* grouped */
	assert_int_equal(base32_decode("MZXW6YQ=", d, sizeof(d)), 4);        /* padded */
	assert_int_equal(base32_decode("MZXW6YQ=A", d, sizeof(d)), -1);      /* data after pad */
	assert_int_equal(base32_decode("MZ1W", d, sizeof(d)), -1);           /* not in alphabet */
	assert_int_equal(base32_decode("MZ", d, sizeof(d)), -1);             /* non-zero tail bits */
	assert_int_equal(base32_decode("MZXW6YTBOI", d, 5), -1);             /* does not fit */
	char small[4];
	assert_int_equal(base32_encode((const uint8_t *)"foo", 3, small, sizeof(small)), -1);
	/* the RFC 6238 SHA1 seed in base32, as apps show it */
	assert_int_equal(base32_decode("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", d, sizeof(d)), 20);
	assert_memory_equal(d, seed1, 20);
}

static void uri(void **s)
{
	struct totp_params p = { TOTP_SHA256, 8, 60 };
	char *u = totp_uri(&p, (const uint8_t *)seed1, 20, "ACME Corp", "alice@example.com");
	assert_non_null(u);
	assert_string_equal(u, "otpauth://totp/ACME%20Corp:alice@example.com?"
			       "secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=ACME%20Corp"
			       "&algorithm=SHA256&digits=8&period=60");
	free(u);
	u = totp_uri(&p, (const uint8_t *)seed1, 20, "", "a:b&c");
	assert_non_null(u);
	assert_string_equal(u, "otpauth://totp/a%3Ab%26c?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
			       "&algorithm=SHA256&digits=8&period=60");
	free(u);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rfc6238_sha1),
		cmocka_unit_test(rfc6238_sha256),
		cmocka_unit_test(rfc6238_sha512),
		cmocka_unit_test(six_digits),
		cmocka_unit_test(period_60),
		cmocka_unit_test(window_edges),
		cmocka_unit_test(replay_and_clock_back),
		cmocka_unit_test(bad_params),
		cmocka_unit_test(base32_vectors),
		cmocka_unit_test(uri),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
