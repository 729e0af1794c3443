#include <config.h>
#include "otp/otp_answer.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/base64.h"
#include "base/util.h"

void otp_answer_wipe(struct otp_answer *out)
{
	explicit_bzero(out, sizeof(*out));
}

static bool is_digit(char c) { return c >= '0' && c <= '9'; }
static bool is_space(char c) { return c == ' ' || c == '\t'; }

static int b32_upper(char c)
{
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 'A';
	if ((c >= 'A' && c <= 'Z') || (c >= '2' && c <= '7'))
		return c;
	return -1;
}

/* Recovery code from IN[0..LEN): 16 base32 characters, dashes and spaces
 * between them ignored. */
static int parse_recovery(const char *in, size_t len, struct otp_answer *out)
{
	size_t n = 0;
	for (size_t i = 0; i < len; i++) {
		if (in[i] == '-' || is_space(in[i]))
			continue;
		int c = b32_upper(in[i]);
		if (c < 0 || n >= RECOVERY_LEN)
			return -1;
		out->code[n++] = (char)c;
	}
	if (n != RECOVERY_LEN)
		return -1;
	out->code[n] = '\0';
	out->kind = ANSWER_RECOVERY;
	return 0;
}

int otp_answer_parse(const char *in, size_t len, unsigned digits, struct otp_answer *out)
{
	otp_answer_wipe(out);
	if (!in || len == 0 || len > OTP_ANSWER_MAX || digits < 1 || digits > 8 ||
	    memchr(in, '\0', len))
		goto bad;
	while (len && is_space(in[0])) {
		in++;
		len--;
	}
	while (len && is_space(in[len - 1]))
		len--;
	if (len == 0)
		goto bad;
	bool all_digits = true;
	for (size_t i = 0; i < len; i++)
		all_digits &= is_digit(in[i]);
	if (all_digits) {
		if (len != digits)
			goto bad;
		memcpy(out->code, in, len);
		out->code[len] = '\0';
		out->kind = ANSWER_TOTP;
		return 0;
	}
	if (parse_recovery(in, len, out) == 0)
		return 0;
bad:
	otp_answer_wipe(out);
	return -1;
}

static int split_scrv1(const char *in, size_t len, unsigned digits, char **password,
		       struct otp_answer *out)
{
	const char *p = in + 6;
	const char *colon = memchr(p, ':', len - 6);
	if (!colon)
		return -1;
	size_t pwlen = 0, resplen = 0;
	char *pw = base64_decode(p, (size_t)(colon - p), 0, &pwlen);
	if (!pw)
		return -1;
	char *resp = base64_decode(colon + 1, len - (size_t)(colon + 1 - in), 0, &resplen);
	int rc = -1;
	/* a password with a NUL byte would be cut short by every consumer */
	if (resp && pwlen == strlen(pw) && otp_answer_parse(resp, resplen, digits, out) == 0) {
		*password = pw;
		pw = NULL;
		rc = 0;
	}
	if (resp) {
		explicit_bzero(resp, resplen);
		free(resp);
	}
	if (pw) {
		explicit_bzero(pw, pwlen);
		free(pw);
	}
	return rc;
}

int otp_answer_split(const char *in, unsigned digits, char **password, struct otp_answer *out)
{
	*password = NULL;
	otp_answer_wipe(out);
	if (!in || digits < 1 || digits > 8)
		return -1;
	size_t len = strnlen(in, OTP_FIELD_MAX + 1);
	if (len == 0 || len > OTP_FIELD_MAX)
		return -1;
	if (len > 6 && !memcmp(in, "SCRV1:", 6))
		return split_scrv1(in, len, digits, password, out);
	size_t cut = 0;
	bool tail_digits = len >= digits;
	for (size_t i = len - (tail_digits ? digits : 0); tail_digits && i < len; i++)
		tail_digits &= is_digit(in[i]);
	if (tail_digits) {
		cut = len - digits;
		memcpy(out->code, in + cut, digits);
		out->code[digits] = '\0';
		out->kind = ANSWER_TOTP;
	} else if (len >= RECOVERY_SHOWN_LEN) {
		/* a recovery code at the end must keep its dashes: XXXX-XXXX-XXXX-XXXX */
		const char *r = in + len - RECOVERY_SHOWN_LEN;
		for (unsigned g = 1; g < 4; g++)
			if (r[g * 5 - 1] != '-')
				return -1;
		if (parse_recovery(r, RECOVERY_SHOWN_LEN, out))
			return -1;
		cut = len - RECOVERY_SHOWN_LEN;
	} else {
		return -1;
	}
	*password = strndup(in, cut);
	if (!*password) {
		otp_answer_wipe(out);
		return -1;
	}
	return 0;
}
