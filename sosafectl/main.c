/* sosafectl: the admin command of sosafe. See sosafectl(8). */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <pwd.h>

#include "audit/audit.h"
#include "cli.h"
#include "base/util.h"

static const struct command commands[] = {
	{ "init", cmd_init, "init", "create the state directory and store (idempotent)" },
	{ "status", cmd_status, "status USER | --all [--json]", "show failures and locks" },
	{ "unlock", cmd_unlock, "unlock USER", "clear failures and lock of USER" },
	{ "backup", cmd_backup, "backup FILE", "online backup of the state store" },
	{ "restore", cmd_restore, "restore FILE [--user USER]", "restore the store, or one user" },
	{ "check", cmd_check, "check", "integrity check of the state store" },
	{ "config", cmd_config, "config", "print the effective configuration" },
	{ "enroll", cmd_enroll, "enroll USER [--secret B32] [--no-confirm]", "create and confirm a TOTP secret (QR code)" },
	{ "reset-otp", cmd_reset_otp, "reset-otp USER", "revoke the TOTP secret and recovery codes" },
	{ "recovery-codes", cmd_recovery_codes, "recovery-codes USER [--count N]", "issue single-use recovery codes" },
	{ "enroll-window", cmd_enroll_window, "enroll-window USER --hours N|--clear", "let USER in without a secret until a deadline" },
	{ "import", cmd_import, "import --oath-usersfile F | --google-authenticator F", "migrate secrets from pam_oath / google-authenticator" },
	{ "sync", cmd_sync, "sync --from FILE [--dry-run]", "apply a directory export, write the NSS snapshot" },
	{ "purge", cmd_purge, "purge [--report] [--dry-run]", "purge users past grace_days; show deletions" },
	{ "audit", cmd_audit, "audit verify|export|reveal|prune", "check, export, prune the audit trail" },
	{ "report", cmd_report, "report [--days N] [--json|--csv]", "access-review report of every account" },
	{ "review", cmd_review, "review USER --by NAME", "record a completed access review" },
	{ "request", cmd_request, "request ACTION [ARGS]", "propose a four-eyes action (prints its ID)" },
	{ "approve", cmd_approve, "approve ID", "carry out another admin's request, once" },
	{ "deny", cmd_deny, "deny ID", "close a pending request without carrying it out" },
	{ "requests", cmd_requests, "requests [--all] [--json]", "list four-eyes requests" },
};

static void usage(FILE *out)
{
	fprintf(out, "Usage: sosafectl [--conf FILE] [--json] COMMAND [ARGS]\n\nCommands:\n");
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		fprintf(out, "  %-32s %s\n", commands[i].args, commands[i].summary);
	fprintf(out, "\nEvery command takes --help. Exit codes: 0 ok, 1 refused or failed, 2 usage,\n"
		     "3 configuration error, 4 state store error. See sosafectl(8).\n");
}

/* Who is acting: the sudo caller, else the login uid, else the uid. */
static const char *admin_identity(void)
{
	static char name[300];
	const char *sudo = getenv("SUDO_USER");
	if (sudo && *sudo && getuid() == 0) {
		snprintf(name, sizeof(name), "%s", sudo);
		return name;
	}
	unsigned uid = (unsigned)getuid();
	FILE *f = fopen("/proc/self/loginuid", "re");
	if (f) {
		unsigned l;
		/* the kernel writes a decimal uid or 4294967295 (unset): no overflow to detect */
		if (fscanf(f, "%u", &l) == 1 && l != 4294967295U) /* NOLINT(cert-err34-c) */
			uid = l;
		fclose(f);
	}
	struct passwd *pw = getpwuid(uid);
	if (pw)
		snprintf(name, sizeof(name), "%s", pw->pw_name);
	else
		snprintf(name, sizeof(name), "uid=%u", uid);
	return name;
}

int main(int argc, char **argv)
{
	struct cli cli;
	const char *conf = NULL;
	char err[512];
	int i;

	umask(077);
	memset(&cli, 0, sizeof(cli));
	config_defaults(&cli.cfg);
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--conf") && i + 1 < argc)
			conf = argv[++i];
		else if (!strncmp(argv[i], "--conf=", 7))
			conf = argv[i] + 7;
		else if (!strcmp(argv[i], "--json"))
			cli.json = true;
		else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return EXIT_OK;
		} else if (!strcmp(argv[i], "--version")) {
			printf("sosafectl %s\n", PACKAGE_VERSION);
			return EXIT_OK;
		} else {
			cli_err("unknown option '%s' (try --help)", argv[i]);
			return EXIT_USAGE;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (config_load_file(&cli.cfg, conf ? conf : SOSAFE_CONF, conf == NULL, err, sizeof(err))) {
		cli_err("%s", err);
		return EXIT_CONFIG;
	}
	cli.admin = admin_identity();
	audit_identity_init(&cli.identity, &cli.cfg);
	cli.log.identity = &cli.identity.log;
	cli.log.ident = "sosafectl";
	cli.log.service = "sosafectl";
	for (size_t c = 0; c < ARRAY_SIZE(commands); c++) {
		if (strcmp(argv[i], commands[c].name))
			continue;
		/* --json may also follow the command */
		for (int j = i + 1; j < argc; j++)
			if (!strcmp(argv[j], "--json"))
				cli.json = true;
		if (four_eyes_gate(&cli, argc - i, argv + i))
			return EXIT_FAIL;
		int rc = commands[c].run(&cli, argc - i, argv + i);
		audit_identity_wipe(&cli.identity);
		return rc;
	}
	cli_err("unknown command '%s' (try --help)", argv[i]);
	return EXIT_USAGE;
}
