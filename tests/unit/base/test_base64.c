/* Base64: the strict form of SCRV1 answers and the loose form of LDIF. */
#include <config.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "base/base64.h"

/* Decode IN with FLAGS; NULL if refused, else the text (LEN bytes in *N). */
static char *dec(const char *in, unsigned flags, size_t *n)
{
	return base64_decode(in, strlen(in), flags, n);
}

static void expect(const char *in, unsigned flags, const char *want, size_t want_len)
{
	size_t n = 99;
	char *d = dec(in, flags, &n);
	assert_non_null(d);
	assert_int_equal(n, want_len);
	assert_memory_equal(d, want, want_len);
	assert_int_equal(d[n], '\0');
	free(d);
}

static void refused(const char *in, unsigned flags)
{
	size_t n = 99;
	assert_null(dec(in, flags, &n));
	assert_int_equal(n, 0);
}

static void rfc4648_vectors(void **state)
{
	static const struct { const char *text, *b64; } v[] = {
		{ "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" }, { "foo", "Zm9v" },
		{ "foob", "Zm9vYg==" }, { "fooba", "Zm9vYmE=" }, { "foobar", "Zm9vYmFy" },
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		expect(v[i].b64, 0, v[i].text, strlen(v[i].text));
		expect(v[i].b64, BASE64_LOOSE | BASE64_TEXT, v[i].text, strlen(v[i].text));
	}
	expect("+/+/", 0, "\xfb\xff\xbf", 3);
}

static void strict_form(void **state)
{
	refused("Zm9", 0);         /* not whole groups */
	refused("Zm=v", 0);        /* data after padding */
	refused("Z===", 0);        /* three '=' */
	refused("====", 0);
	refused("Zm9v=m9v", 0);    /* padding inside */
	refused("Zm9v Zg==", 0);   /* no spaces */
	refused("Zm9v\nZg==", 0);
	refused("Zm-v", 0);        /* not the URL alphabet */
	expect("AA==", 0, "\0", 1);   /* NUL bytes are data unless TEXT */
}

static void loose_form(void **state)
{
	expect("Zm9vYg", BASE64_LOOSE, "foob", 4);   /* padding left out */
	expect("Zm9vYmE", BASE64_LOOSE, "fooba", 5);
	expect("Zm9", BASE64_LOOSE, "fo", 2);
	refused("Zm9v===", BASE64_LOOSE);
	refused("Zg=a", BASE64_LOOSE);
	refused("Zm9v Zg==", BASE64_LOOSE);
	refused("AA==", BASE64_LOOSE | BASE64_TEXT);    /* a C string cannot hold it */
	refused("YQBi", BASE64_LOOSE | BASE64_TEXT);    /* "a\0b" */
	expect("YQBi", BASE64_LOOSE, "a\0b", 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rfc4648_vectors),
		cmocka_unit_test(strict_form),
		cmocka_unit_test(loose_form),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
