/* See err.h. */
#include <config.h>
#include "base/err.h"

#include <stdio.h>
#include <string.h>

int err_setv(struct sosafe_err *e, const char *fmt, va_list ap)
{
	if (e)
		vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	return -1;
}

int err_set(struct sosafe_err *e, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	err_setv(e, fmt, ap);
	va_end(ap);
	return -1;
}

int err_prefix(struct sosafe_err *e, const char *fmt, ...)
{
	if (!e)
		return -1;
	char head[256];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(head, sizeof(head), fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	char old[SOSAFE_ERR_MAX];
	memcpy(old, e->msg, sizeof(old));
	old[sizeof(old) - 1] = '\0';
	if (old[0])
		snprintf(e->msg, sizeof(e->msg), "%s: %s", head, old);
	else
		snprintf(e->msg, sizeof(e->msg), "%s", head);
	return -1;
}
