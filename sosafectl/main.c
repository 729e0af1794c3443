/* sosafectl: the admin command of sosafe. See sosafectl(8). */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit/audit.h"
#include "base/four_eyes.h"
#include "base/util.h"
#include "cli.h"
#include "conf_guard.h"
#include "store/keyring.h"

/* Forms four_eyes can cover, in the command's own table row. */
#define FE_FORMS(...) ((const struct four_eyes_form[]){ __VA_ARGS__, { 0 } })
#define FE_USER(bit, value_opts) FE_FORMS({ (bit), NULL, true, (value_opts), NULL })

static const struct command commands[] = {
	{ "init", cmd_init, "init", "create the state directory, store and key file (idempotent)", NULL },
	{ "rekey", cmd_rekey, "rekey [--json]", "seal every secret under a new key", NULL },
	{ "status", cmd_status, "status USER | --all [--json]", "show failures and locks", NULL },
	{ "unlock", cmd_unlock, "unlock USER", "clear failures and lock of USER", FE_USER(FE_UNLOCK, "") },
	{ "backup", cmd_backup, "backup FILE", "online backup of the state store",
	  FE_FORMS({ FE_BACKUP, NULL, false, NULL, NULL }) },
	{ "restore", cmd_restore, "restore FILE [--user USER]", "restore the store, or one user", NULL },
	{ "store", cmd_store, "store migrate --to FILE.conf", "copy this host's store into the fleet's shared one",
	  FE_FORMS({ FE_BACKUP, "migrate", false, "--to", "--dry-run" }) },
	{ "check", cmd_check, "check", "integrity check of the state store", NULL },
	{ "config", cmd_config, "config [--template]", "print the effective configuration", NULL },
	{ "enroll", cmd_enroll, "enroll USER [--secret -|--secret-file F]", "create and confirm a TOTP secret (QR code)",
	  FE_USER(FE_ENROLL, "--secret --secret-file --algorithm --digits --period") },
	{ "reset-otp", cmd_reset_otp, "reset-otp USER", "revoke the TOTP secret and recovery codes",
	  FE_USER(FE_RESET_OTP, "") },
	{ "recovery-codes", cmd_recovery_codes, "recovery-codes USER [--count N]", "issue single-use recovery codes",
	  FE_USER(FE_RECOVERY_CODES, "--count") },
	{ "enroll-window", cmd_enroll_window, "enroll-window USER --hours N|--clear", "let USER in without a secret until a deadline",
	  FE_FORMS({ FE_ENROLL_WINDOW, NULL, true, "--hours --until", "--clear" }) },
	{ "import", cmd_import, "import --oath-usersfile F | --google-authenticator F", "migrate secrets from pam_oath / google-authenticator",
	  FE_FORMS({ FE_IMPORT, NULL, false, NULL, NULL }) },
	{ "sync", cmd_sync, "sync --from FILE [--dry-run]", "apply a directory export, write the NSS snapshot", NULL },
	{ "purge", cmd_purge, "purge [--report] [--dry-run]", "purge users past grace_days; show deletions",
	  FE_FORMS({ FE_PURGE, NULL, false, NULL, "--report --dry-run" }) },
	{ "audit", cmd_audit, "audit verify|export|reveal|prune", "check, export, prune the audit trail",
	  FE_FORMS({ FE_AUDIT_PRUNE, "prune", false, NULL, NULL },
		   { FE_AUDIT_REVEAL, "reveal", false, NULL, NULL }) },
	{ "report", cmd_report, "report [--days N] [--json|--csv]", "access-review report of every account", NULL },
	{ "review", cmd_review, "review USER --by NAME", "record a completed access review", NULL },
	{ "request", cmd_request, "request ACTION [ARGS]", "propose a four-eyes action (prints its ID)", NULL },
	{ "approve", cmd_approve, "approve ID", "carry out another admin's request, once", NULL },
	{ "deny", cmd_deny, "deny ID", "close a pending request without carrying it out", NULL },
	{ "requests", cmd_requests, "requests [--all] [--json]", "list four-eyes requests", NULL },
};

const struct command *cli_command(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (!strcmp(name, commands[i].name))
			return &commands[i];
	return NULL;
}

static void usage(FILE *out)
{
	fprintf(out, "Usage: sosafectl [--conf FILE] [--json] COMMAND [ARGS]\n\nCommands:\n");
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		fprintf(out, "  %-32s %s\n", commands[i].args, commands[i].summary);
	fprintf(out, "\nEvery command takes --help. Exit codes: 0 ok, 1 refused or failed, 2 usage,\n"
		     "3 configuration error, 4 state store error. See sosafectl(8).\n");
}

int main(int argc, char **argv)
{
	struct cli cli;
	const char *conf = NULL;
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
	int crc = cli_load_config(&cli.cfg, conf);
	if (crc)
		return crc;
	admin_id_init(&cli.id, cli.cfg.admin_group);
	cli.admin = cli.id.name;
	audit_identity_init(&cli.identity, &cli.cfg);
	cli.log.identity = &cli.identity.log;
	cli.log.ident = "sosafectl";
	cli.log.service = "sosafectl";
	const struct command *c = cli_command(argv[i]);
	if (!c) {
		cli_err("unknown command '%s' (try --help)", argv[i]);
		return EXIT_USAGE;
	}
	/* --json may also follow the command */
	for (int j = i + 1; j < argc; j++)
		if (!strcmp(argv[j], "--json"))
			cli.json = true;
	int rc = four_eyes_gate(&cli, argc - i, argv + i) ? EXIT_FAIL : c->run(&cli, argc - i, argv + i);
	audit_identity_wipe(&cli.identity);
	keyring_unref(cli.keys);
	return rc;
}
