/* The passwd fields a directory gives (gecos, home, shell) end up in
 * getent output, in `ls -l`, in every terminal that prints them: a ':'
 * shifts the fields of the passwd line, a control byte (ESC, a C1 CSI)
 * drives the admin's terminal. The full name is only shown, so it is
 * neutralised; a home or a shell cannot be guessed, so the record is
 * quarantined instead (its user left out of the sync, the rest published). */
#include <config.h>
#include "directory/parse.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Length of the unsafe sequence at S (0 when safe): ':', C0 controls,
 * DEL, and C1 controls as UTF-8 (U+0080..U+009F: 0xC2 0x80..0x9F). */
static size_t unsafe_at(const unsigned char *s)
{
	if (*s == ':' || *s < 0x20 || *s == 0x7f)
		return 1;
	if (s[0] == 0xc2 && s[1] >= 0x80 && s[1] <= 0x9f)
		return 2;
	return 0;
}

bool field_safe(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (unsafe_at(p))
			return false;
	return true;
}

void field_neutralise(char *s)
{
	unsigned char *p = (unsigned char *)s, *o = p;
	while (*p) {
		size_t n = unsafe_at(p);
		if (!n) {
			*o++ = *p++;
			continue;
		}
		*o++ = ' ';
		p += n;
	}
	*o = 0;
}

int directory_hold(struct dir_user *u, struct sosafe_err *e, const char *fmt, ...)
{
	if (u->held)
		return 0;   /* the first reason is enough */
	va_list ap;
	va_start(ap, fmt);
	int r = vasprintf(&u->held, fmt, ap);
	va_end(ap);
	if (r < 0) {
		u->held = NULL;
		return err_set(e, "out of memory");
	}
	return 0;
}

int user_field(struct dir_user *u, const char *attr, char **slot, char *v, unsigned line,
	       struct sosafe_err *e)
{
	*slot = NULL;
	if (!v || field_safe(v)) {
		*slot = v;
		return 0;
	}
	free(v);
	return directory_hold(u, e, "line %u: %s holds ':' or a control character (would break "
			      "the passwd line or drive a terminal)", line, attr);
}
