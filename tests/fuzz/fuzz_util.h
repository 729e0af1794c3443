/* Shared helpers of the libFuzzer harnesses (tests/fuzz/fuzz_*.c).
 *
 * A harness turns a property into a crash: fuzz_require() aborts with a
 * message, which libFuzzer reports and saves as a reproducer, exactly like
 * an ASan or UBSan finding. */
#ifndef SOSAFE_FUZZ_UTIL_H
#define SOSAFE_FUZZ_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define fuzz_require(cond, ...)                                                    \
	do {                                                                       \
		if (!(cond)) {                                                     \
			fprintf(stderr, "property violated at %s:%d: %s: ", __FILE__, \
				__LINE__, #cond);                                  \
			fprintf(stderr, __VA_ARGS__);                              \
			fputc('\n', stderr);                                       \
			abort();                                                   \
		}                                                                  \
	} while (0)

/* A heap copy of DATA with a terminating NUL, so that ASan sees every read
 * past the end of the string the code under test was given. */
static inline char *fuzz_strndup(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (!s)
		abort();
	if (size)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* Every log line must stay one line of printable text: a hostile value must
 * never inject a newline, a control character or a second record. */
static inline void fuzz_check_log_line(const char *line)
{
	size_t len = strlen(line);
	fuzz_require(len < 1024, "log line of %zu bytes", len);
	for (size_t i = 0; i < len; i++)
		fuzz_require((unsigned char)line[i] >= 0x20 && (unsigned char)line[i] != 0x7f,
			     "control byte 0x%02x at %zu in log line", (unsigned char)line[i], i);
}

/* Log sink for harnesses: checks the line, never calls syslog (which would
 * fall back to /dev/console and cost half a millisecond per line). */
static inline void fuzz_log_sink(int priority, const char *line)
{
	(void)priority;
	fuzz_check_log_line(line);
}

#endif
