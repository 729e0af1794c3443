/* Sealing (lib/store/seal.c): a value opens only with its key and in its
 * place (table, column, user); any changed byte, a foreign key or an
 * empty keyring refuses it. */
#include <config.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "store/keyring.h"
#include "store/seal.h"

static const uint8_t secret[20] = "12345678901234567890";
static const struct seal_place alice = { "otp", "secret", "alice" };

static size_t seal_ok(const struct keyring *kr, const struct seal_place *at, uint8_t *out)
{
	size_t n = 0;
	struct sosafe_err e = { "" };
	assert_int_equal(seal_value(kr, at, secret, sizeof(secret), out,
				    sizeof(secret) + SEAL_OVERHEAD, &n, &e), SEAL_OK);
	return n;
}

static enum seal_result open_it(const struct keyring *kr, const struct seal_place *at,
				const uint8_t *in, size_t len, uint8_t *out, size_t *n)
{
	struct sosafe_err e = { "" };
	return seal_open(kr, at, in, len, out, SEAL_MAX_PLAIN, n, &e);
}

static void round_trip(void **state)
{
	(void)state;
	struct keyring *kr = keyring_generate(NULL);
	uint8_t a[64], b[64], out[SEAL_MAX_PLAIN];
	size_t n = seal_ok(kr, &alice, a), m = seal_ok(kr, &alice, b), got = 0;
	assert_int_equal(n, sizeof(secret) + SEAL_OVERHEAD);
	assert_int_equal(a[0], 'S');
	assert_int_equal(a[1], 1);
	assert_memory_equal(a + 2, keyring_at(kr, 0)->id, KEYRING_ID_LEN);
	/* the secret's bytes are nowhere in the sealed value */
	assert_null(memmem(a, n, secret, 4));
	/* a fresh nonce each time */
	assert_memory_not_equal(a, b, n);
	assert_int_equal(m, n);
	assert_int_equal(open_it(kr, &alice, a, n, out, &got), SEAL_OK);
	assert_int_equal(got, sizeof(secret));
	assert_memory_equal(out, secret, sizeof(secret));
	keyring_unref(kr);
}

static void bound_to_its_place(void **state)
{
	(void)state;
	struct keyring *kr = keyring_generate(NULL);
	uint8_t a[64], out[SEAL_MAX_PLAIN];
	size_t n = seal_ok(kr, &alice, a), got = 0;
	const struct seal_place others[] = {
		{ "otp", "secret", "bob" },
		{ "otp", "secret", "alic" },
		{ "otp", "secret", "alice2" },
		{ "otp", "secret2", "alice" },
		{ "otpx", "secret", "alice" },
		{ "ot", "psecret", "alice" },   /* the same bytes split otherwise */
	};
	for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
		assert_int_equal(open_it(kr, &others[i], a, n, out, &got), SEAL_BAD);
		assert_int_equal(got, 0);
		/* nothing of the would-be plaintext is left behind */
		assert_null(memmem(out, sizeof(out), secret, 4));
	}
	keyring_unref(kr);
}

static void any_changed_byte_refused(void **state)
{
	(void)state;
	struct keyring *kr = keyring_generate(NULL);
	uint8_t a[64], t[64], out[SEAL_MAX_PLAIN];
	size_t n = seal_ok(kr, &alice, a), got;
	for (size_t i = 0; i < n; i++) {
		memcpy(t, a, n);
		t[i] ^= 0x01;
		enum seal_result r = open_it(kr, &alice, t, n, out, &got);
		/* a changed key id names a key the ring lacks */
		assert_int_equal(r, i >= 2 && i < 2 + KEYRING_ID_LEN ? SEAL_NOKEY : SEAL_BAD);
	}
	/* shortened, or too short to be sealed at all */
	assert_int_equal(open_it(kr, &alice, a, n - 1, out, &got), SEAL_BAD);
	assert_int_equal(open_it(kr, &alice, a, SEAL_OVERHEAD, out, &got), SEAL_BAD);
	/* plaintext is not taken for a sealed value */
	assert_int_equal(open_it(kr, &alice, secret, sizeof(secret), out, &got), SEAL_BAD);
	keyring_unref(kr);
}

static void keys(void **state)
{
	(void)state;
	struct keyring *k1 = keyring_generate(NULL), *k2 = keyring_generate(NULL);
	uint8_t a[64], b[64], out[SEAL_MAX_PLAIN];
	size_t n = seal_ok(k1, &alice, a), got;
	struct sosafe_err e = { "" };
	/* another fleet's key: refused, and the message names the key id */
	assert_int_equal(seal_open(k2, &alice, a, n, out, sizeof(out), &got, &e), SEAL_NOKEY);
	char hex[9];
	keyring_id_hex(keyring_at(k1, 0)->id, hex);
	assert_non_null(strstr(e.msg, hex));
	/* a rotated ring seals with its new key and still opens the old value */
	struct keyring *both = keyring_rotate(k1, NULL);
	assert_int_equal(keyring_count(both), 2);
	assert_int_equal(open_it(both, &alice, a, n, out, &got), SEAL_OK);
	size_t m = seal_ok(both, &alice, b);
	assert_memory_equal(b + 2, keyring_at(both, 0)->id, KEYRING_ID_LEN);
	assert_memory_not_equal(b + 2, keyring_at(k1, 0)->id, KEYRING_ID_LEN);
	assert_int_equal(open_it(k1, &alice, b, m, out, &got), SEAL_NOKEY);
	/* the new key alone opens the new value, not the old one */
	struct keyring *one = keyring_current_only(both, NULL);
	assert_int_equal(keyring_count(one), 1);
	assert_int_equal(open_it(one, &alice, b, m, out, &got), SEAL_OK);
	assert_int_equal(open_it(one, &alice, a, n, out, &got), SEAL_NOKEY);
	/* an empty keyring (unusable file) neither seals nor opens, and says why */
	struct keyring *none = keyring_load("/nonexistent/sosafe.key");
	assert_non_null(keyring_error(none));
	assert_int_equal(seal_value(none, &alice, secret, sizeof(secret), b, sizeof(b), &m, &e),
			 SEAL_NOKEY);
	assert_non_null(strstr(e.msg, "/nonexistent/sosafe.key"));
	assert_int_equal(open_it(none, &alice, a, n, out, &got), SEAL_NOKEY);
	assert_int_equal(open_it(NULL, &alice, a, n, out, &got), SEAL_NOKEY);
	keyring_unref(none);
	keyring_unref(one);
	keyring_unref(both);
	keyring_unref(k1);
	keyring_unref(k2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(round_trip),
		cmocka_unit_test(bound_to_its_place),
		cmocka_unit_test(any_changed_byte_refused),
		cmocka_unit_test(keys),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
