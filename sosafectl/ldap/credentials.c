/* The secrets a pull binds with: the bind password file and the client
 * key of SASL EXTERNAL must be root's (or the caller's) regular files
 * that nobody else may read. */
#include <config.h>
#include "pull_parts.h"

#include "base/fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>


int read_password(const char *path, char *pw, size_t pwlen, struct sosafe_err *e)
{
	return fs_read_private("ldap_bind_password_file", path, pw, pwlen, e);
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
