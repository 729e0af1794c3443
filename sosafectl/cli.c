#include <config.h>
#include "cli.h"

#include <pwd.h>
#include <stdarg.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "lockout/lockout.h"
#include "base/names.h"
#include "store/keyring.h"

void cli_err(const char *fmt, ...)
{
	va_list ap;
	fputs("sosafectl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

struct store *cli_open_store(struct cli *cli, unsigned flags)
{
	struct store *st = NULL;
	struct sosafe_err err;
	struct store_target t;
	store_target_from_config(&t, &cli->cfg);
	/* before connecting: a run that fails warns too */
	if (t.backend == STORE_BACKEND_POSTGRESQL && t.pg_insecure)
		fprintf(stderr, "sosafectl: warning: pg_insecure = yes: the database link need not be "
			"verified TLS 1.2+ (for tests only)\n");
	enum store_status s = store_open_target(&st, &t, flags, &err);
	if (s != ST_OK) {
		cli_err("%s", err.msg);
		return NULL;
	}
	store_set_keyring(st, cli_keys(cli));
	return st;
}

struct keyring *cli_keys(struct cli *cli)
{
	if (!cli->keys)
		cli->keys = keyring_load(cli->cfg.secret_key_file);
	return cli->keys;
}

bool cli_wants_help(int argc, char **argv, const char *usage, const char *text)
{
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			printf("Usage: sosafectl %s\n\n%s\n", usage, text);
			return true;
		}
	return false;
}

bool cli_login_uid(unsigned *uid)
{
	FILE *f = fopen("/proc/self/loginuid", "re");
	if (!f)
		return false;
	unsigned l;
	/* the kernel writes a decimal uid or 4294967295 (unset): no overflow to detect */
	bool set = fscanf(f, "%u", &l) == 1 && l != 4294967295U; /* NOLINT(cert-err34-c) */
	fclose(f);
	if (set)
		*uid = l;
	return set;
}

void cli_uid_name(unsigned uid, char *out, size_t len)
{
	struct passwd *pw = getpwuid(uid);
	if (pw)
		snprintf(out, len, "%s", pw->pw_name);
	else
		snprintf(out, len, "uid=%u", uid);
}

bool cli_valid_user(const char *name)
{
	if (name_is_valid(name))
		return true;
	char shown[80];
	name_for_log(name, shown, sizeof(shown));
	cli_err("invalid user name '%s' (1-256 bytes of UTF-8, no '/', ':', '\\' or control characters)",
		shown);
	return false;
}

bool cli_test_options_allowed(const struct cli *cli)
{
	return strcmp(cli->cfg.state_dir, SOSAFE_STATE_DIR) != 0;
}

void json_str(FILE *out, const char *s)
{
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)s; p && *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(out, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(out, "\\u%04x", *p);
		else
			fputc(*p, out);
	}
	fputc('"', out);
}

const char *fmt_time(long long t, char *buf, size_t len)
{
	if (t == 0)
		return "-";
	if (t == INT64_MAX)
		return "until-unlocked";
	time_t tt = (time_t)t;
	struct tm tm;
	if (!gmtime_r(&tt, &tm))
		return "?";
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return buf;
}
