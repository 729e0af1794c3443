/* Fuzz user-name validation and everything that puts a name into a log
 * line: name_is_valid(), name_for_log() at every output size, log_format().
 *
 * name_is_valid() is checked against an independent UTF-8 decoder written
 * the slow, obvious way; the log functions must produce one line of
 * printable text, terminated inside the buffer, whatever the input. */
#include <config.h>

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "base/log.h"
#include "base/names.h"

/* Reference: decode one code point the long way; 0 = ill-formed. */
static size_t ref_decode(const unsigned char *s, size_t avail, uint32_t *cp)
{
	size_t need;
	uint32_t v, min;
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	} else if ((s[0] & 0xe0) == 0xc0) {
		need = 2, v = s[0] & 0x1f, min = 0x80;
	} else if ((s[0] & 0xf0) == 0xe0) {
		need = 3, v = s[0] & 0x0f, min = 0x800;
	} else if ((s[0] & 0xf8) == 0xf0) {
		need = 4, v = s[0] & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (avail < need)
		return 0;
	for (size_t i = 1; i < need; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		v = (v << 6) | (s[i] & 0x3f);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return need;
}

static bool ref_name_is_valid(const char *name)
{
	size_t len = strlen(name);
	if (len == 0 || len > SOSAFE_NAME_MAX || !strcmp(name, ".") || !strcmp(name, ".."))
		return false;
	const unsigned char *p = (const unsigned char *)name;
	size_t i = 0;
	while (i < len) {
		uint32_t cp;
		size_t n = ref_decode(p + i, len - i, &cp);
		if (n == 0 || cp < 0x20 || cp == 0x7f || cp == '/' || cp == '\\' || cp == ':')
			return false;
		i += n;
	}
	return true;
}

static void check_escaped(const char *out, size_t outlen)
{
	size_t len = strnlen(out, outlen);
	fuzz_require(len < outlen, "name_for_log output not terminated in %zu bytes", outlen);
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)out[i];
		fuzz_require(ch >= 0x20 && ch != 0x7f && ch != ' ' && ch != '"' && ch != '=',
			     "unescaped byte 0x%02x in name_for_log output", ch);
		if (ch == '\\')
			fuzz_require(out[i + 1] == 'x', "backslash not part of an \\x escape");
	}
}

/* Parse LINE the way a log collector would (space-separated key=value,
 * a value in double quotes runs to the next unescaped quote) and require
 * exactly the fields log_format writes, in order: a hostile value must not
 * forge or hide a field. */
static void check_fields(const char *line)
{
	static const char *const want[] = { "event", "user", "service", "rhost", "reason" };
	const char *p = line;
	size_t k = 0;
	while (*p) {
		const char *eq = strchr(p, '=');
		fuzz_require(eq != NULL, "field without '=' in: %s", line);
		fuzz_require(k < 5, "more than 5 fields in: %s", line);
		size_t klen = (size_t)(eq - p);
		fuzz_require(klen == strlen(want[k]) && !strncmp(p, want[k], klen),
			     "field %zu is not %s in: %s", k, want[k], line);
		p = eq + 1;
		if (*p == '"') {
			p++;
			while (*p && *p != '"')
				p += (*p == '\\' && p[1]) ? 2 : 1;
			fuzz_require(*p == '"', "unterminated quoted value in: %s", line);
			p++;
		} else {
			while (*p && *p != ' ')
				p++;
		}
		k++;
		if (*p == ' ')
			p++;
	}
	fuzz_require(k == 5, "%zu fields in: %s", k, line);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 20000)
		return 0;
	char *name = fuzz_strndup(data, size);

	/* validation agrees with the reference (on the part before any NUL,
	 * which is all a C caller can pass) */
	bool valid = name_is_valid(name);
	fuzz_require(valid == ref_name_is_valid(name), "name_is_valid=%d, reference disagrees",
		     valid);
	if (valid)
		fuzz_require(!strchr(name, '/') && strlen(name) <= SOSAFE_NAME_MAX,
			     "a path-like or long name passed");

	/* name_for_log at sizes 1..40 and a normal one; sentinel after the end */
	size_t sizes[] = { 1, 2, 3, 4, 5, 8, 13, 40, 300 };
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		size_t outlen = sizes[k];
		char *out = malloc(outlen); /* exact size: ASan catches a write past it */
		if (!out)
			abort();
		name_for_log(name, out, outlen);
		check_escaped(out, outlen);
		free(out);
	}

	/* log_format with the name in every field, and split into the fields */
	char line[1024];
	struct log_ctx ctx = { .ident = "fuzz", .user = name, .service = name, .rhost = name };
	log_format(line, sizeof(line), &ctx, name, name);
	fuzz_check_log_line(line);
	if (strlen(line) < sizeof(line) - 1)
		check_fields(line);

	/* small output buffers */
	for (size_t len = 0; len < 24; len++) {
		char *small = malloc(len ? len : 1);
		if (!small)
			abort();
		log_format(small, len, &ctx, "e", name);
		if (len)
			fuzz_require(memchr(small, '\0', len) != NULL, "log_format not terminated");
		free(small);
	}
	free(name);
	return 0;
}
