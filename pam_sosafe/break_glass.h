/* Break-glass: when the module itself cannot work (configuration
 * unreadable or invalid, daemon unreachable, late, garbled, or its store
 * unusable), the accounts named by the line's break_glass=USER[,USER...]
 * on a local console pass to the rest of the stack (PAM_IGNORE: the
 * password modules still decide), with a LOG_ALERT event=break-glass line.
 * Never when the daemon works and says no. The list lives on the PAM line,
 * not in sosafe.conf, so that a broken sosafe.conf cannot hide it. */
#ifndef PAM_SOSAFE_BREAK_GLASS_H
#define PAM_SOSAFE_BREAK_GLASS_H

#include <stdbool.h>

#include "context.h"

/* Is TTY a local console: /dev/ttyN, ttyN, /dev/console, console, or an X
 * display :N[.M]? Pseudo-terminals, serial lines, "ssh" and an unset TTY
 * are not. */
bool bg_local_tty(const char *tty);

/* Is RHOST empty (unset) or "localhost"? */
bool bg_local_rhost(const char *rhost);

/* Is USER one of the comma-separated names in LIST? */
bool bg_listed(const char *list, const char *user);

/* The module cannot work for WHY (already logged at LOG_CRIT/LOG_ERR):
 * PAM_IGNORE with a LOG_ALERT line when break-glass applies, else FAIL. */
int bg_fail(struct sosafe_ctx *c, int fail, const char *why);

#endif
