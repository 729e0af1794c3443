/* One structured syslog line (LOG_AUTHPRIV) per security decision:
 *   event=lock user=alice service=sshd rhost=192.0.2.7 reason="6 failures in 900 s"
 * Values are escaped so that a hostile name cannot forge fields or lines.
 * Never pass secrets or typed input here. */
#ifndef SOSAFE_LOG_H
#define SOSAFE_LOG_H

#include <stdarg.h>
#include <stddef.h>
#include <syslog.h>

struct log_ctx {
	const char *ident;   /* "pam_sosafe" or "sosafectl" */
	const char *user;
	const char *service;
	const char *rhost;
};

typedef void (*log_sink_fn)(int priority, const char *line);

/* Replace where lines go (default: syslog(LOG_AUTHPRIV | priority)).
 * Returns the previous sink. For tests and for sosafectl's stderr echo. */
log_sink_fn log_set_sink(log_sink_fn sink);

/* Replace the user field by what FN writes into BUF (log_identity =
 * pseudonym, see audit.h); NULL restores plain names. Returns the previous one. */
typedef const char *(*log_user_fn)(const char *user, char *buf, size_t len);
log_user_fn log_set_user_filter(log_user_fn fn);

/* Format and emit one event line. REASON_FMT may be NULL. */
void log_event(int priority, const struct log_ctx *ctx, const char *event,
	       const char *reason_fmt, ...) __attribute__((format(printf, 4, 5)));

/* Format an event line into BUF (used by log_event and by tests). */
void log_format(char *buf, size_t len, const struct log_ctx *ctx, const char *event,
		const char *reason);

#endif
