/* The one error idiom: a function that can fail takes a `struct sosafe_err *`
 * as its last parameter, returns -1 (or a failing status) and leaves one
 * sentence in it for the admin: what is wrong and, where it helps, what to
 * do. The caller decides where the sentence goes (syslog, stderr, JSON).
 * E may be NULL when the caller does not want the text.
 *
 *     if (fs_check_dir(dir, &e) < 0)
 *             return err_prefix(&e, "state_dir");
 *
 * Never put secrets or raw input bytes in a message: it reaches logs. */
#ifndef SOSAFE_ERR_H
#define SOSAFE_ERR_H

#include <stdarg.h>
#include <stddef.h>

#define SOSAFE_ERR_MAX 1024

struct sosafe_err {
	char msg[SOSAFE_ERR_MAX];
};

/* Replace E's message; returns -1 so that `return err_set(e, ...)` reads as
 * the failure it is. */
int err_set(struct sosafe_err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int err_setv(struct sosafe_err *e, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

/* Put "CONTEXT: " in front of E's message (which may be empty); returns -1. */
int err_prefix(struct sosafe_err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static inline void err_clear(struct sosafe_err *e)
{
	if (e)
		e->msg[0] = '\0';
}

/* The message, or "" for a NULL or empty E. */
static inline const char *err_msg(const struct sosafe_err *e)
{
	return e ? e->msg : "";
}

#endif
