/* libFuzzer: the code prompt parser, the single-field split (incl. SCRV1)
 * and base32 never crash, never read out of bounds, and keep their promises. */
#include <config.h>
#include "fuzz_util.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base32.h"
#include "otp_answer.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct otp_answer a;
	for (unsigned digits = 6; digits <= 8; digits += 2) {
		if (otp_answer_parse((const char *)data, size, digits, &a) == 0) {
			size_t n = strlen(a.code);
			if (a.kind == ANSWER_TOTP && (n != digits || strspn(a.code, "0123456789") != n))
				abort();
			if (a.kind == ANSWER_RECOVERY && n != RECOVERY_LEN)
				abort();
		}
	}
	char *s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	char *pw = NULL;
	if (otp_answer_split(s, 6, &pw, &a) == 0) {
		if (!pw || a.kind == ANSWER_INVALID)
			abort();
		secure_free_str(pw);
	} else if (pw) {
		abort();
	}
	uint8_t out[128];
	int n = base32_decode(s, out, sizeof(out));
	if (n > 0) {
		char enc[BASE32_ENCODED_SIZE(128)];
		uint8_t back[128];
		if (base32_encode(out, (size_t)n, enc, sizeof(enc)) < 0 ||
		    base32_decode(enc, back, sizeof(back)) != n || memcmp(out, back, (size_t)n))
			abort();
	}
	free(s);
	return 0;
}
