/* init, backup, restore, check, config: looking after the state store. */
#include <config.h>

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "action.h"
#include "audit/audit.h"
#include "cli.h"
#include "keys.h"
#include "snapshot/snapshot_age.h"

int cmd_init(struct cli *cli, int argc, char **argv)
{
	if (cli_wants_help(argc, argv, "init",
			   "Creates state_dir (0755, root), the store (0600, root) and secret_key_file\n"
			   "(0600, root) if missing, brings the schema up to date and seals secrets\n"
			   "stored before sealing existed. Safe to run again."))
		return EXIT_OK;
	if (argc != 1) {
		cli_err("init takes no arguments");
		return EXIT_USAGE;
	}
	_cleanup_store_ struct store *st = cli_open_store(cli, STORE_CREATE);
	if (!st)
		return EXIT_STORE;
	unsigned char key[AUDIT_KEY_LEN];
	struct sosafe_err err;
	int k = audit_key_load(cli->cfg.state_dir, true, key, &err);
	explicit_bzero(key, sizeof(key));
	if (k) {
		cli_err("%s", err.msg);
		return EXIT_STORE;
	}
	int rc = keys_init(cli, st);
	if (rc != EXIT_OK)
		return rc;
	printf("state store ready: %s\n", store_path(st));
	return EXIT_OK;
}

int cmd_backup(struct cli *cli, int argc, char **argv)
{
	if (cli_wants_help(argc, argv, "backup FILE",
			   "Writes a consistent copy of the live store to FILE (mode 0600; FILE must\n"
			   "not exist). Authentication goes on while it runs."))
		return EXIT_OK;
	if (argc != 2) {
		cli_err("backup: give exactly one FILE");
		return EXIT_USAGE;
	}
	_cleanup_store_ struct store *st = cli_open_store(cli, 0);
	if (!st)
		return EXIT_STORE;
	if (store_backup(st, argv[1]) != ST_OK) {
		cli_err("%s", store_error(st));
		return EXIT_FAIL;
	}
	/* a copy of every secret exists only with its record: no record, no copy */
	char refused[PATH_MAX + 64];
	snprintf(refused, sizeof(refused), "audit record not written: backup %s removed again", argv[1]);
	struct action a = { .event = "backup", .refused = refused, .fail_closed = true };
	snprintf(a.detail, sizeof(a.detail), "to %s", argv[1]);
	if (action_run(cli, st, &a) != ACTION_DONE) {
		unlink(argv[1]);
		return EXIT_FAIL;
	}
	log_event(LOG_NOTICE, &cli->log, "backup", "to %s by %s", argv[1], cli->admin);
	printf("backup written to %s\n", argv[1]);
	return EXIT_OK;
}

int cmd_restore(struct cli *cli, int argc, char **argv)
{
	if (cli_wants_help(argc, argv, "restore FILE [--user USER]",
			   "Checks FILE (integrity and schema), then replaces the live store with it,\n"
			   "or with --user only the rows of USER. A damaged FILE changes nothing."))
		return EXIT_OK;
	const char *file = NULL, *user = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--user") && i + 1 < argc)
			user = argv[++i];
		else if (argv[i][0] != '-' && !file)
			file = argv[i];
		else {
			cli_err("restore: unexpected argument '%s'", argv[i]);
			return EXIT_USAGE;
		}
	}
	if (!file) {
		cli_err("restore: give the backup FILE");
		return EXIT_USAGE;
	}
	if (user && !cli_valid_user(user))
		return EXIT_USAGE;
	_cleanup_store_ struct store *st = cli_open_store(cli, STORE_CREATE);
	if (!st)
		return EXIT_STORE;
	long rows = 0;
	if (store_restore(st, file, user, &rows) != ST_OK) {
		cli_err("%s", store_error(st));
		return EXIT_FAIL;
	}
	cli->log.user = user;
	log_event(LOG_NOTICE, &cli->log, "restore", "from %s by %s", file, cli->admin);
	if (action_record_after(cli, user, "restore", "from %s%s", file, user ? " (one user)" : ""))
		return EXIT_FAIL;
	if (user)
		printf("restored %ld row(s) of %s from %s\n", rows, user, file);
	else
		printf("store restored from %s\n", file);
	return EXIT_OK;
}

/* The directory snapshot's age against max_snapshot_age: a line, a syslog
 * warning from 50 %, and EXIT_FAIL from 90 % (directory users are refused
 * at 100 %) or when it cannot be read. No snapshot: no directory sync here. */
static int check_snapshot_age(struct cli *cli)
{
	struct sosafe_err e = { "" };
	int64_t generated_at = 0, now = time(NULL);
	int r = snap_age_read(cli->cfg.state_dir, &generated_at, &e);
	if (r > 0)
		return EXIT_OK;
	if (r < 0) {
		printf("directory snapshot: %s\n", e.msg);
		return EXIT_FAIL;
	}
	unsigned max = cli->cfg.max_snapshot_age;
	enum snap_age level = snap_age_warn(&cli->log, NULL, generated_at, now, max);
	static const char *const verdict[] = {
		[SNAP_AGE_FRESH] = "ok",
		[SNAP_AGE_HALF] = "warning: past 50 % (is the sync timer running?)",
		[SNAP_AGE_LATE] = "failing: past 90 %, directory users are refused soon; run "
				  "sosafectl sync",
		[SNAP_AGE_STALE] = "failing: stale, directory users are refused; run sosafectl sync",
	};
	printf("directory snapshot: %lld s old (max_snapshot_age %u s): %s\n",
	       (long long)(now - generated_at), max, verdict[level]);
	return level >= SNAP_AGE_LATE ? EXIT_FAIL : EXIT_OK;
}

int cmd_check(struct cli *cli, int argc, char **argv)
{
	if (cli_wants_help(argc, argv, "check",
			   "Runs SQLite's integrity check on the live store, and checks the age\n"
			   "of the directory snapshot: a warning from 50 % of max_snapshot_age,\n"
			   "a failure (exit 1) from 90 %, when directory users are about to be\n"
			   "refused."))
		return EXIT_OK;
	_cleanup_store_ struct store *st = cli_open_store(cli, STORE_RDONLY);
	if (!st)
		return EXIT_STORE;
	struct sosafe_err msg;
	enum store_status s = store_check(st, &msg);
	printf("%s: %s\n", store_path(st), msg.msg);
	if (s != ST_OK)
		return EXIT_STORE;
	return check_snapshot_age(cli);
}

int cmd_config(struct cli *cli, int argc, char **argv)
{
	if (cli_wants_help(argc, argv, "config [--template]",
			   "Prints every key with its effective value (after the file).\n"
			   "--template: the example file instead (every key commented out with its\n"
			   "default and description)."))
		return EXIT_OK;
	if (argc > 1 && !strcmp(argv[1], "--template")) {
		config_write_template(stdout);
		return EXIT_OK;
	}
	printf("# from %s\n", cli->cfg.conf_path);
	config_dump(&cli->cfg, stdout);
	return EXIT_OK;
}
