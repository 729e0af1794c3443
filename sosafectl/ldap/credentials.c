/* The secrets a pull binds with: the bind password file and the client
 * key of SASL EXTERNAL must be root's (or the caller's) regular files
 * that nobody else may read. */
#include <config.h>
#include "pull_parts.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>


int read_password(const char *path, char *pw, size_t pwlen, struct sosafe_err *e)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return err_set(e, "ldap_bind_password_file %s: %s", path, strerror(errno));
	struct stat sb;
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return err_set(e, "ldap_bind_password_file %s: not a regular file", path);
	}
	if (sb.st_uid != 0 && sb.st_uid != geteuid()) {
		close(fd);
		return err_set(e, "ldap_bind_password_file %s: must be owned by root", path);
	}
	if (sb.st_mode & 077) {
		close(fd);
		return err_set(e, "ldap_bind_password_file %s: readable by group or others "
			    "(mode %03o); chmod 600 it", path, (unsigned)(sb.st_mode & 0777));
	}
	size_t got = 0;
	for (;;) {
		ssize_t n = read(fd, pw + got, pwlen - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int why = errno;
			close(fd);
			explicit_bzero(pw, pwlen);
			return err_set(e, "ldap_bind_password_file %s: %s", path, strerror(why));
		}
		if (n == 0)
			break;
		got += (size_t)n;
		if (got == pwlen - 1) {
			close(fd);
			explicit_bzero(pw, pwlen);
			return err_set(e, "ldap_bind_password_file %s: longer than %d bytes",
				    path, PASSWORD_MAX - 1);
		}
	}
	close(fd);
	pw[got] = 0;
	while (got && (pw[got - 1] == '\n' || pw[got - 1] == '\r'))
		pw[--got] = 0;
	if (!got)
		return err_set(e, "ldap_bind_password_file %s: empty", path);
	return 0;
}

/* The client key of SASL EXTERNAL: a regular file of root's (or the
 * caller's) that nobody else may read. */
int check_key_file(const struct sosafe_config *cfg, struct sosafe_err *e)
{
	if (!cfg->ldap_tls_cert[0] || !cfg->ldap_tls_key[0])
		return err_set(e, "ldap_tls_cert and ldap_tls_key go together");
	int fd = open(cfg->ldap_tls_key, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return err_set(e, "ldap_tls_key %s: %s", cfg->ldap_tls_key, strerror(errno));
	struct stat sb;
	int r = fstat(fd, &sb);
	close(fd);
	if (r < 0 || !S_ISREG(sb.st_mode))
		return err_set(e, "ldap_tls_key %s: not a regular file", cfg->ldap_tls_key);
	if (sb.st_uid != 0 && sb.st_uid != geteuid())
		return err_set(e, "ldap_tls_key %s: must be owned by root", cfg->ldap_tls_key);
	if (sb.st_mode & 077)
		return err_set(e, "ldap_tls_key %s: readable by group or others (mode %03o); "
			    "chmod 600 it", cfg->ldap_tls_key, (unsigned)(sb.st_mode & 0777));
	if (access(cfg->ldap_tls_cert, R_OK))
		return err_set(e, "ldap_tls_cert %s: %s", cfg->ldap_tls_cert, strerror(errno));
	return 0;
}
