#include <config.h>
#include "base/log.h"

#include <stdio.h>
#include <string.h>

#include "base/names.h"

static void syslog_sink(int priority, const char *line)
{
	syslog(LOG_AUTHPRIV | priority, "%s", line);
}

static log_sink_fn current_sink = syslog_sink;

log_sink_fn log_set_sink(log_sink_fn sink)
{
	log_sink_fn old = current_sink;
	current_sink = sink ? sink : syslog_sink;
	return old;
}

/* Append " key=value" with VALUE escaped; quoted when it has spaces. */
static size_t append_field(char *buf, size_t len, size_t pos, const char *key, const char *value,
			   int quote)
{
	char esc[300];
	if (pos >= len)
		return pos;
	if (!value || !*value)
		value = "-";
	if (quote) {
		/* reason text is ours, but may embed names: escape quotes and controls only */
		size_t o = 0;
		for (const unsigned char *p = (const unsigned char *)value; *p && o + 5 < sizeof(esc); p++) {
			if (*p < 0x20 || *p == 0x7f || *p == '"' || *p == '\\')
				o += (size_t)snprintf(esc + o, sizeof(esc) - o, "\\x%02x", *p);
			else
				esc[o++] = (char)*p;
		}
		esc[o] = '\0';
		int n = snprintf(buf + pos, len - pos, "%s%s=\"%s\"", pos ? " " : "", key, esc);
		return n < 0 ? pos : pos + (size_t)n;
	}
	name_for_log(value, esc, sizeof(esc));
	int n = snprintf(buf + pos, len - pos, "%s%s=%s", pos ? " " : "", key, esc);
	return n < 0 ? pos : pos + (size_t)n;
}

void log_format(char *buf, size_t len, const struct log_ctx *ctx, const char *event,
		const char *reason)
{
	size_t pos = 0;
	if (!len)
		return;
	buf[0] = '\0';
	pos = append_field(buf, len, pos, "event", event, 0);
	/* cppcheck-suppress variableScope ; user may point into pseudo after the if */
	char pseudo[64];
	const char *user = ctx ? ctx->user : NULL;
	if (user && *user && ctx->identity && ctx->identity->shown)
		user = ctx->identity->shown(ctx->identity, user, pseudo, sizeof(pseudo));
	pos = append_field(buf, len, pos, "user", user, 0);
	pos = append_field(buf, len, pos, "service", ctx ? ctx->service : NULL, 0);
	pos = append_field(buf, len, pos, "rhost", ctx ? ctx->rhost : NULL, 0);
	if (reason)
		append_field(buf, len, pos, "reason", reason, 1);
}

/* A PAM service name as pam_syslog shows it, but with anything that could
 * close the prefix early or forge a line (":", ")", blanks, controls) as \xNN. */
static void service_for_prefix(const char *service, char *out, size_t len)
{
	size_t o = 0;
	if (!service || !*service)
		service = "-";
	for (const unsigned char *p = (const unsigned char *)service; *p && o + 5 < len; p++) {
		bool plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			     (*p >= '0' && *p <= '9') || strchr("-_.+@", *p);
		if (plain)
			out[o++] = (char)*p;
		else
			o += (size_t)snprintf(out + o, len - o, "\\x%02x", *p);
	}
	out[o] = '\0';
}

void log_prefix(char *buf, size_t len, const struct log_ctx *ctx)
{
	const char *ident = ctx && ctx->ident ? ctx->ident : "sosafe";
	if (!ctx || !ctx->phase) {
		snprintf(buf, len, "%s", ident);
		return;
	}
	char service[68];
	service_for_prefix(ctx->service, service, sizeof(service));
	snprintf(buf, len, "%s(%s:%s)", ident, service, ctx->phase);
}

void log_event(int priority, const struct log_ctx *ctx, const char *event,
	       const char *reason_fmt, ...)
{
	char reason[256];
	char line[1024];
	if (reason_fmt) {
		va_list ap;
		va_start(ap, reason_fmt);
		vsnprintf(reason, sizeof(reason), reason_fmt, ap);
		va_end(ap);
	}
	char body[960];
	log_format(body, sizeof(body), ctx, event, reason_fmt ? reason : NULL);
	char prefix[112];
	log_prefix(prefix, sizeof(prefix), ctx);
	snprintf(line, sizeof(line), "%s: %s", prefix, body);
	current_sink(priority, line);
}
