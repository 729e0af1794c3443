#include <config.h>
#include "break_glass.h"

#include <ctype.h>
#include <string.h>
#include <syslog.h>

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

bool bg_local_tty(const char *tty)
{
	if (!tty || !*tty)
		return false;
	if (tty[0] == ':') {   /* X display :N or :N.M on this host */
		const char *dot = strchr(tty + 1, '.');
		if (!dot)
			return all_digits(tty + 1);
		return dot > tty + 1 && strspn(tty + 1, "0123456789") == (size_t)(dot - tty - 1) &&
		       all_digits(dot + 1);
	}
	if (!strncmp(tty, "/dev/", 5))
		tty += 5;
	if (!strcmp(tty, "console"))
		return true;
	return !strncmp(tty, "tty", 3) && all_digits(tty + 3);
}

bool bg_local_rhost(const char *rhost)
{
	return !rhost || !*rhost || !strcmp(rhost, "localhost");
}

bool bg_listed(const char *list, const char *user)
{
	size_t ulen = strlen(user);
	if (!list || !ulen)
		return false;
	for (const char *p = list;;) {
		size_t n = strcspn(p, ",");
		if (n == ulen && !memcmp(p, user, n))
			return true;
		if (!p[n])
			return false;
		p += n + 1;
	}
}

int bg_fail(struct sosafe_ctx *c, int fail, const char *why)
{
	if (!c->break_glass || !c->user || !bg_listed(c->break_glass, c->user))
		return fail;
	if (!bg_local_rhost(c->rhost) || !bg_local_tty(c->tty)) {
		log_event(LOG_WARNING, &c->log, "break-glass-refused",
			  "listed for break-glass but not on a local console (tty %s)",
			  c->tty && *c->tty ? c->tty : "unset");
		return fail;
	}
	log_event(LOG_ALERT, &c->log, "break-glass",
		  "%s; local console %s: passed to the rest of the stack", why, c->tty);
	return PAM_IGNORE;
}
