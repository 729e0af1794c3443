/* Fuzz what a user types at the code prompt: otp_answer_parse() (a code or
 * a recovery code), otp_answer_split() (single-field "password+code" and
 * OpenVPN's SCRV1:<b64>:<b64>) and base64_decode().
 *
 * Input: byte 0 picks the digit count (1..8 via its low 3 bits + 1); the
 * rest is the typed text, handed over in a buffer of exactly its size. */
#include <config.h>

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/base64.h"
#include "fuzz_util.h"
#include "otp/otp_answer.h"
#include "base/util.h"

static bool is_b32(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= '2' && c <= '7');
}

static void check_answer(const struct otp_answer *a, unsigned digits)
{
	size_t len = strnlen(a->code, sizeof(a->code));
	fuzz_require(len < sizeof(a->code), "code not terminated");
	if (a->kind == ANSWER_TOTP) {
		fuzz_require(len == digits, "TOTP code of %zu digits, want %u", len, digits);
		for (size_t i = 0; i < len; i++)
			fuzz_require(a->code[i] >= '0' && a->code[i] <= '9', "non-digit in code");
	} else {
		fuzz_require(a->kind == ANSWER_RECOVERY, "kind %d after success", a->kind);
		fuzz_require(len == RECOVERY_LEN, "recovery code of %zu chars", len);
		for (size_t i = 0; i < len; i++)
			fuzz_require(is_b32(a->code[i]), "non-base32 byte in recovery code");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > OTP_FIELD_MAX + 64)
		return 0;
	unsigned digits = (data[0] & 7) + 1;
	const uint8_t *text = data + 1;
	size_t len = size - 1;

	/* exact-size copy, no terminating NUL: parse must respect LEN */
	char *raw = malloc(len ? len : 1);
	if (!raw)
		abort();
	if (len)
		memcpy(raw, text, len);
	struct otp_answer a;
	if (otp_answer_parse(raw, len, digits, &a) == 0)
		check_answer(&a, digits);
	else
		fuzz_require(a.kind == ANSWER_INVALID, "failure leaves kind %d", a.kind);
	otp_answer_wipe(&a);

	size_t dlen = 0;
	char *dec = base64_decode(raw, len, 0, &dlen);
	if (dec) {
		fuzz_require(len % 4 == 0 && dlen <= len / 4 * 3, "decoded %zu from %zu", dlen, len);
		fuzz_require(dec[dlen] == '\0', "decoded text not terminated");
		free(dec);
	}
	free(raw);

	/* single field: a C string (the PAM item), so the text up to a NUL */
	char *field = fuzz_strndup(text, len);
	char *pw = NULL;
	if (otp_answer_split(field, digits, &pw, &a) == 0) {
		fuzz_require(pw != NULL, "success without a password");
		check_answer(&a, digits);
		if (strncmp(field, "SCRV1:", 6) != 0) {
			size_t pl = strlen(pw);
			fuzz_require(pl < strlen(field) && !memcmp(pw, field, pl),
				     "password is not a strict prefix of the field");
		}
		secure_free_str(pw);
	} else {
		fuzz_require(pw == NULL, "failure leaves a password");
	}
	otp_answer_wipe(&a);
	free(field);
	return 0;
}
