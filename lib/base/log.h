/* One structured syslog line (LOG_AUTHPRIV) per security decision:
 *   pam_sosafe(sshd:auth): event=lock user=alice service=sshd rhost=192.0.2.7 reason="6 failures in 900 s"
 * The prefix is pam_syslog's form, so the lines are found by their text
 * (journalctl -g '^pam_sosafe\(') whichever process writes them and under
 * whatever syslog tag; without a phase it is "IDENT: " (sosafectl).
 * Values are escaped so that a hostile name cannot forge fields or lines.
 * Never pass secrets or typed input here.
 *
 * THREAD SAFETY: log_event() and log_format() keep no state; everything a
 * line depends on comes from its struct log_ctx, which the caller owns (one
 * per PAM call or sosafectl run). The one process-wide setting is the sink,
 * changed only by sosafectl, tests and fuzzers before any thread starts; the
 * PAM module never changes it. */
#ifndef SOSAFE_LOG_H
#define SOSAFE_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <syslog.h>

/* log_identity = pseudonym: lines name a user by a keyed pseudonym, never by
 * name. Filled in by audit_identity_init() (audit.h), which owns the key. */
struct log_identity {
	bool pseudonym;
	/* What to show for USER: text written into BUF (LEN bytes) or a constant. */
	const char *(*shown)(const struct log_identity *id, const char *user, char *buf,
			     size_t len);
};

struct log_ctx {
	const char *ident;   /* "pam_sosafe" or "sosafectl" */
	const char *user;
	const char *service;
	const char *rhost;
	const struct log_identity *identity;   /* NULL: plain names */
	const char *phase;   /* PAM phase ("auth", "account"): prefix IDENT(SERVICE:PHASE);
	                      * NULL: prefix IDENT */
};

typedef void (*log_sink_fn)(int priority, const char *line);

/* Replace where lines go (default: syslog(LOG_AUTHPRIV | priority)) for
 * the whole process. Returns the previous sink. For tests, fuzzers and
 * sosafectl only: a module inside a host process never calls it. */
log_sink_fn log_set_sink(log_sink_fn sink);

/* Format and emit one event line. REASON_FMT may be NULL. */
void log_event(int priority, const struct log_ctx *ctx, const char *event,
	       const char *reason_fmt, ...) __attribute__((format(printf, 4, 5)));

/* Format an event line into BUF (used by log_event and by tests). */
void log_format(char *buf, size_t len, const struct log_ctx *ctx, const char *event,
		const char *reason);

/* The line's prefix without the ": " (see struct log_ctx.phase). */
void log_prefix(char *buf, size_t len, const struct log_ctx *ctx);

#endif
