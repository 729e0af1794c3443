/* Preloaded (LD_PRELOAD) into an integration test and the sosafed it
 * starts: every syslog line goes to the file named by SOSAFE_TEST_SYSLOG
 * as "PRIORITY LINE" (PRIORITY without the facility), so a test reads
 * what the module and the daemon logged without a syslog daemon or root.
 * One O_APPEND write per line: lines of several processes never mix. */
#include <config.h>

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <syslog.h>
#include <unistd.h>

#define EXPORT __attribute__((visibility("default")))
EXPORT void syslog(int priority, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
EXPORT void vsyslog(int priority, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
EXPORT void __syslog_chk(int priority, int flag, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
EXPORT void __vsyslog_chk(int priority, int flag, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

void vsyslog(int priority, const char *fmt, va_list ap)
{
	const char *path = getenv("SOSAFE_TEST_SYSLOG");
	char line[2048];
	if (!path)
		return;
	int n = snprintf(line, sizeof(line), "%d ", LOG_PRI(priority));
	int m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
	if (len > sizeof(line) - 2)
		len = sizeof(line) - 2;
	line[len++] = '\n';
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	(void)!write(fd, line, len);
	close(fd);
}

void syslog(int priority, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsyslog(priority, fmt, ap);
	va_end(ap);
}

void __vsyslog_chk(int priority, int flag, const char *fmt, va_list ap)
{
	(void)flag;
	vsyslog(priority, fmt, ap);
}

void __syslog_chk(int priority, int flag, const char *fmt, ...)
{
	va_list ap;
	(void)flag;
	va_start(ap, fmt);
	vsyslog(priority, fmt, ap);
	va_end(ap);
}
