#include <config.h>
#include "identity.h"

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/accounts.h"
#include "cli.h"

static bool parse_uid(const char *s, unsigned *out)
{
	if (!s || *s < '0' || *s > '9')
		return false;
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || *end || v > 0xfffffffeUL)
		return false;
	*out = (unsigned)v;
	return true;
}

/* SUDO_USER names the caller only if it is the account of SUDO_UID and of
 * the login uid: anyone who can set the environment can set it. */
static bool sudo_user_trusted(const char *sudo, bool login_set, unsigned login)
{
	unsigned sudo_uid;
	if (getuid() != 0 || !sudo || !*sudo || !login_set ||
	    !parse_uid(getenv("SUDO_UID"), &sudo_uid) || sudo_uid != login)
		return false;
	struct passwd *pw = getpwnam(sudo);
	return pw && pw->pw_uid == login;
}

static void approver_check(struct admin_id *id, bool login_set, unsigned login,
			   const char *admin_group)
{
	size_t len = sizeof(id->not_approver);
	if (!login_set) {
		snprintf(id->not_approver, len, "%s has no login uid (a cron job, a service, or a "
			 "process not started by a login): an approver must be a named admin who "
			 "logged in", id->name);
		return;
	}
	if (login == 0) {
		snprintf(id->not_approver, len, "the login uid is root's (a direct root login names "
			 "nobody): an approver must be a named admin");
		return;
	}
	struct passwd *pw = getpwuid(login);
	if (!pw || pw->pw_uid == 0) {
		snprintf(id->not_approver, len, "login uid %u is no account of this host: an approver "
			 "must be an existing account", login);
		return;
	}
	bool is_root = false, is_admin = false;
	if (*admin_group &&
	    (!account_privilege(id->login, admin_group, &is_root, &is_admin) || !is_admin))
		snprintf(id->not_approver, len, "%s is not a member of admin_group %s", id->login,
			 admin_group);
}

void admin_id_init(struct admin_id *id, const char *admin_group)
{
	memset(id, 0, sizeof(*id));
	unsigned login = 0;
	bool login_set = cli_login_uid(&login);
	const char *sudo = getenv("SUDO_USER");
	if (sudo_user_trusted(sudo, login_set, login))
		snprintf(id->name, sizeof(id->name), "%s", sudo);
	else
		cli_uid_name(login_set ? login : (unsigned)getuid(), id->name, sizeof(id->name));
	if (login_set && login != 0)
		cli_uid_name(login, id->login, sizeof(id->login));
	approver_check(id, login_set, login, admin_group);
}
