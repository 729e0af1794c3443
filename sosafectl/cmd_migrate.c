/* store migrate: copy this host's SQLite store into another store (the
 * fleet's shared database), user by user, in one transaction. A user who
 * already has state there is reported and left alone: two hosts' tallies
 * or two enrollments are never merged silently. */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "action.h"
#include "audit/audit.h"
#include "cli.h"
#include "conf_guard.h"
#include "store/secret_store.h"

struct names {
	char **v;
	size_t n, cap;
	bool oom;
};

static int add_name(const char *user, void *ctx)
{
	struct names *ns = ctx;
	if (ns->n == ns->cap) {
		size_t cap = ns->cap ? ns->cap * 2 : 64;
		char **v = realloc(ns->v, cap * sizeof(char *));
		if (!v) {
			ns->oom = true;
			return 1;
		}
		ns->v = v;
		ns->cap = cap;
	}
	ns->v[ns->n] = strdup(user);
	if (!ns->v[ns->n]) {
		ns->oom = true;
		return 1;
	}
	ns->n++;
	return 0;
}

static void names_free(struct names *ns)
{
	for (size_t i = 0; i < ns->n; i++)
		free(ns->v[i]);
	free(ns->v);
}

struct tally_out {
	long users, rows, tombstones, reports;
	struct names kept;   /* users left alone */
	enum store_status audit_failed;
};

/* Everything inside one write transaction of TO; DRY_RUN rolls it back. */
static enum store_status copy_all(struct cli *cli, struct store *from, struct store *to,
				  const struct names *users, bool dry_run, struct tally_out *o)
{
	enum store_status s = store_begin_read(from);
	if (s != ST_OK)
		return s;
	s = store_begin(to);
	for (size_t i = 0; s == ST_OK && i < users->n; i++) {
		bool present;
		s = store_user_present(to, users->v[i], &present);
		if (s != ST_OK)
			break;
		if (present) {
			if (add_name(users->v[i], &o->kept))
				s = ST_NOMEM;
			continue;
		}
		long rows;
		s = store_copy_user(from, to, users->v[i], &rows);
		o->users++;
		o->rows += rows;
	}
	if (s == ST_OK)
		s = store_copy_lifecycle(from, to, &o->tombstones, &o->reports);
	if (s == ST_OK && !dry_run &&
	    audit_append(to, &cli->log, "store-migrate", cli->admin,
			 "from %s: %ld users (%ld rows), %zu left alone, %ld retired uids, "
			 "%ld deletion reports", store_path(from), o->users, o->rows, o->kept.n,
			 o->tombstones, o->reports))
		o->audit_failed = s = ST_ERROR;
	if (s == ST_OK && !dry_run)
		s = store_commit(to);
	else
		store_rollback(to);
	store_rollback(from);
	return s;
}

static void print_result(struct cli *cli, const char *to_conf, bool dry_run,
			 const struct tally_out *o)
{
	if (cli->json) {
		printf("{\"to\":");
		json_str(stdout, to_conf);
		printf(",\"dry_run\":%s,\"users\":%ld,\"rows\":%ld,\"retired_uids\":%ld,"
		       "\"deletion_reports\":%ld,\"left_alone\":[", dry_run ? "true" : "false",
		       o->users, o->rows, o->tombstones, o->reports);
		for (size_t i = 0; i < o->kept.n; i++) {
			if (i)
				putchar(',');
			json_str(stdout, o->kept.v[i]);
		}
		printf("]}\n");
		return;
	}
	for (size_t i = 0; i < o->kept.n; i++)
		printf("%s: already has state in the target store; left alone (compare with "
		       "sosafectl status on both and resolve by hand)\n", o->kept.v[i]);
	printf("%s %ld user(s) (%ld rows), %ld retired uid(s), %ld deletion report(s); "
	       "%zu user(s) left alone\n", dry_run ? "would copy" : "copied", o->users, o->rows,
	       o->tombstones, o->reports, o->kept.n);
	if (!dry_run)
		printf("this host's audit trail stays in its own store: keep an export "
		       "(sosafectl audit export) before switching this host to %s\n", to_conf);
}

int cmd_store(struct cli *cli, int argc, char **argv)
{
	if (cli_wants_help(argc, argv, "store migrate --to FILE.conf [--dry-run] [--json]",
			   "Copies this host's SQLite store (failure counts, TOTP secrets and replay\n"
			   "steps, recovery codes, enrollment windows, reviews, directory users,\n"
			   "retired uids, deletion reports) into the store FILE.conf names, usually\n"
			   "the fleet's PostgreSQL database, in one transaction. A user who already\n"
			   "has state there is reported and left alone (exit 1). The audit trail and\n"
			   "four-eyes requests stay here. --dry-run copies and rolls back."))
		return EXIT_OK;
	const char *to_conf = NULL;
	bool dry_run = false;
	if (argc < 2 || strcmp(argv[1], "migrate")) {
		cli_err("store: the subcommand is migrate");
		return EXIT_USAGE;
	}
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--to") && i + 1 < argc)
			to_conf = argv[++i];
		else if (!strcmp(argv[i], "--dry-run"))
			dry_run = true;
		else if (!strcmp(argv[i], "--json"))
			cli->json = true;
		else {
			cli_err("store migrate: unexpected argument '%s'", argv[i]);
			return EXIT_USAGE;
		}
	}
	if (!to_conf) {
		cli_err("store migrate: give the target's configuration: --to FILE.conf");
		return EXIT_USAGE;
	}
	if (cli->cfg.store_backend != STORE_BACKEND_SQLITE) {
		cli_err("store migrate copies a host's SQLite store; this configuration already "
			"names the shared store");
		return EXIT_USAGE;
	}
	struct sosafe_config to_cfg;
	int rc = cli_load_config(&to_cfg, to_conf);
	if (rc)
		return rc;
	if (to_cfg.store_backend == STORE_BACKEND_SQLITE &&
	    !strcmp(to_cfg.state_dir, cli->cfg.state_dir)) {
		cli_err("store migrate: %s names this very store", to_conf);
		return EXIT_USAGE;
	}
	_cleanup_store_ struct store *from = cli_open_store(cli, STORE_RDONLY);
	if (!from)
		return EXIT_STORE;
	struct store_target t;
	store_target_from_config(&t, &to_cfg);
	struct sosafe_err err;
	_cleanup_store_ struct store *to = NULL;
	if (store_open_target(&to, &t, STORE_CREATE, &err) != ST_OK) {
		cli_err("%s", err.msg);
		return EXIT_STORE;
	}
	/* rows are copied as they are: sealed, for the fleet's key file */
	bool plain = false;
	if (secret_plaintext(from, &plain) != ST_OK || plain) {
		cli_err("store migrate: %s", plain ? "this store still holds plaintext secrets; "
			"run sosafectl init first (it seals them)" : store_error(from));
		return EXIT_FAIL;
	}
	store_set_keyring(to, cli_keys(cli));
	struct names users = { 0 };
	struct tally_out o = { 0 };
	enum store_status s = store_foreach_user(from, add_name, &users);
	if (s == ST_OK && users.oom)
		s = ST_NOMEM;
	if (s != ST_OK) {
		cli_err("%s", store_error(from));
		names_free(&users);
		return EXIT_STORE;
	}
	s = copy_all(cli, from, to, &users, dry_run, &o);
	names_free(&users);
	if (s != ST_OK) {
		cli_err("store migrate: nothing copied: %s",
			o.audit_failed ? "its audit record could not be written"
				       : store_error(to)[0] ? store_error(to) : store_error(from));
		names_free(&o.kept);
		return EXIT_FAIL;
	}
	print_result(cli, to_conf, dry_run, &o);
	if (!dry_run) {
		log_event(LOG_NOTICE, &cli->log, "store-migrate", "to %s by %s: %ld users, %zu left alone",
			  to_conf, cli->admin, o.users, o.kept.n);
		(void)action_record_after(cli, NULL, "store-migrate", "to %s: %ld users, %zu left alone",
					  to_conf, o.users, o.kept.n);
	}
	bool kept = o.kept.n > 0;
	names_free(&o.kept);
	return kept ? EXIT_FAIL : EXIT_OK;
}
