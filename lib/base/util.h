/* Small helpers used everywhere: cleanup attributes, sizes, secret wiping. */
#ifndef SOSAFE_UTIL_H
#define SOSAFE_UTIL_H

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Seconds in a day, for day-based settings and retention periods. */
#define SOSAFE_DAY 86400
#define SOSAFE_EXPORT __attribute__((visibility("default")))

static inline void freep(void *p) { free(*(void **)p); }
static inline void closep(int *fd) { if (*fd >= 0) close(*fd); }
#define _cleanup_free_ __attribute__((cleanup(freep)))
#define _cleanup_close_ __attribute__((cleanup(closep)))

/* Wipe then free a NUL-terminated secret. */
static inline void secure_free_str(char *s)
{
	if (s) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}
static inline void secure_free_strp(char **s) { secure_free_str(*s); }
#define _cleanup_secret_ __attribute__((cleanup(secure_free_strp)))

/* Compare two buffers of equal length without data-dependent timing. */
static inline int ct_memeq(const void *a, const void *b, size_t n)
{
	const volatile unsigned char *x = a, *y = b;
	unsigned char d = 0;
	for (size_t i = 0; i < n; i++)
		d |= x[i] ^ y[i];
	return d == 0;
}

#endif
