/* audit verify|export|reveal|prune: the tamper-evident audit trail. */
#include <config.h>

#include <inttypes.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "action.h"
#include "audit/audit.h"
#include "cli.h"
#include "base/util.h"

/* Seconds since the epoch, or YYYY-MM-DD[THH:MM[:SS]][Z] in UTC. */
static int cli_parse_time(const char *s, long long *out)
{
	char *end;
	if (!*s)
		return -1;
	long long n = strtoll(s, &end, 10);
	if (!*end && n >= 0) {
		*out = n;
		return 0;
	}
	static const char *const fmts[] = { "%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%MZ",
					    "%Y-%m-%dT%H:%M", "%Y-%m-%d" };
	for (size_t i = 0; i < ARRAY_SIZE(fmts); i++) {
		struct tm tm;
		memset(&tm, 0, sizeof(tm));
		const char *rest = strptime(s, fmts[i], &tm);
		if (rest && !*rest) {
			*out = (long long)timegm(&tm);
			return 0;
		}
	}
	return -1;
}

static int load_key(struct cli *cli, unsigned char key[AUDIT_KEY_LEN])
{
	struct sosafe_err err;
	if (audit_key_load(cli->cfg.state_dir, false, key, &err)) {
		cli_err("%s (the audit key is root-only; run as root)", err.msg);
		return -1;
	}
	return 0;
}

static int audit_verify_cmd(struct cli *cli)
{
	_cleanup_store_ struct store *st = cli_open_store(cli, STORE_RDONLY);
	if (!st)
		return EXIT_STORE;
	unsigned char key[AUDIT_KEY_LEN];
	if (load_key(cli, key))
		return EXIT_FAIL;
	long count = 0;
	long long bad = 0;
	struct sosafe_err e;
	const char *why = e.msg;
	store_begin_read(st);
	int r = audit_verify(st, key, &count, &bad, &e);
	store_rollback(st);
	explicit_bzero(key, sizeof(key));
	if (cli->json) {
		printf("{\"ok\":%s,\"records\":%ld,\"first_bad\":", r == 0 ? "true" : "false", count);
		if (r == 1 && bad)
			printf("%lld", bad);
		else
			fputs("null", stdout);
		fputs(",\"message\":", stdout);
		json_str(stdout, why);
		fputs("}\n", stdout);
	} else if (r == 0) {
		printf("audit trail OK: %s\n", why);
	} else {
		printf("audit trail BROKEN: %s\n", why);
	}
	if (r != 0)
		log_event(LOG_ALERT, &cli->log, "audit-verify-failed", "%s (checked by %s)", why, cli->admin);
	return r == 0 ? EXIT_OK : r == 1 ? EXIT_FAIL : EXIT_STORE;
}

struct export_ctx {
	bool json, pseudonym;
	unsigned char key[AUDIT_KEY_LEN];
	bool have_key;
	long n;
};

static int export_one(const struct audit_record *r, void *vctx)
{
	struct export_ctx *x = vctx;
	char tb[32], pseudo[AUDIT_PSEUDO_LEN];
	const char *user = r->user;
	if (x->pseudonym && *user && strncmp(user, AUDIT_PSEUDO_PREFIX, 3)) {
		if (x->have_key) {
			audit_pseudonym(x->key, user, pseudo);
			user = pseudo;
		} else {
			user = AUDIT_PSEUDO_PREFIX "unavailable";
		}
	}
	const char *names[] = { "event", "user", "service", "rhost", "actor", "detail" };
	const char *vals[] = { r->event, user, r->service, r->rhost, r->actor, r->detail };
	if (x->json) {
		printf("{\"seq\":%lld,\"time\":", r->seq);
		json_str(stdout, fmt_time(r->time, tb, sizeof(tb)));
		printf(",\"epoch\":%lld", r->time);
		for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
			printf(",\"%s\":", names[i]);
			json_str(stdout, vals[i]);
		}
		fputs("}\n", stdout);
	} else {
		printf("seq=%lld time=%s", r->seq, fmt_time(r->time, tb, sizeof(tb)));
		for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
			/* same escaping as syslog: values cannot forge fields */
			fputs(" ", stdout);
			fputs(names[i], stdout);
			fputs("=\"", stdout);
			for (const unsigned char *p = (const unsigned char *)vals[i]; *p; p++) {
				if (*p < 0x20 || *p == 0x7f || *p == '"' || *p == '\\')
					printf("\\x%02x", *p);
				else
					putchar(*p);
			}
			fputs("\"", stdout);
		}
		fputs("\n", stdout);
	}
	x->n++;
	return 0;
}

static int audit_export_cmd(struct cli *cli, int argc, char **argv)
{
	long long since = 0;
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--since") && i + 1 < argc) {
			if (cli_parse_time(argv[++i], &since)) {
				cli_err("audit export: bad time '%s' (epoch seconds or YYYY-MM-DD[THH:MM:SSZ])",
					argv[i]);
				return EXIT_USAGE;
			}
		} else if (strcmp(argv[i], "--json")) {
			cli_err("audit export: unexpected argument '%s'", argv[i]);
			return EXIT_USAGE;
		}
	}
	_cleanup_store_ struct store *st = cli_open_store(cli, STORE_RDONLY);
	if (!st)
		return EXIT_STORE;
	struct export_ctx x = { .json = cli->json, .pseudonym = cli->cfg.log_pseudonym };
	x.have_key = audit_key_load(cli->cfg.state_dir, false, x.key, NULL) == 0;
	store_begin_read(st);
	int r = audit_foreach(st, since, export_one, &x);
	store_rollback(st);
	explicit_bzero(x.key, sizeof(x.key));
	if (r) {
		cli_err("cannot read the audit trail: %s", store_cause(st));
		return EXIT_STORE;
	}
	return EXIT_OK;
}

struct reveal {
	const unsigned char *key;
	const char *want;
	char *found;
	size_t flen;
};

static int match_pseudonym(const char *user, void *ctx)
{
	struct reveal *rv = ctx;
	char pseudo[AUDIT_PSEUDO_LEN];
	audit_pseudonym(rv->key, user, pseudo);
	if (strcmp(pseudo, rv->want))
		return 0;
	snprintf(rv->found, rv->flen, "%s", user);
	return 1;
}

/* Every name the host knows: store tables, then the passwd database. */
static int add_candidates(struct store *st, const unsigned char key[AUDIT_KEY_LEN], const char *want,
			  char *found, size_t flen)
{
	struct reveal rv = { key, want, found, flen };
	/* an unreadable store still leaves the passwd database to search */
	if (store_foreach_user(st, match_pseudonym, &rv) == ST_OK && *found)
		return 1;
	struct passwd *pw;
	setpwent();
	while ((pw = getpwent())) {
		if (match_pseudonym(pw->pw_name, &rv)) {
			endpwent();
			return 1;
		}
	}
	endpwent();
	return 0;
}

static int audit_reveal_cmd(struct cli *cli, int argc, char **argv)
{
	if (argc != 3 || strncmp(argv[2], AUDIT_PSEUDO_PREFIX, 3) || strlen(argv[2]) != AUDIT_PSEUDO_LEN - 1) {
		cli_err("audit reveal: give one PSEUDONYM (" AUDIT_PSEUDO_PREFIX "and 16 hex digits)");
		return EXIT_USAGE;
	}
	_cleanup_store_ struct store *st = cli_open_store(cli, 0);
	if (!st)
		return EXIT_STORE;
	unsigned char key[AUDIT_KEY_LEN];
	if (load_key(cli, key))
		return EXIT_FAIL;
	char found[300] = "";
	int hit = add_candidates(st, key, argv[2], found, sizeof(found));
	explicit_bzero(key, sizeof(key));
	/* revealing a person is itself audited */
	struct action a = { .event = "audit-reveal", .fail_closed = true,
			    .refused = "audit record not written: reveal refused" };
	snprintf(a.detail, sizeof(a.detail), "%s %s", argv[2], hit ? "revealed" : "not found");
	enum action_result r = action_run(cli, st, &a);
	if (r != ACTION_DONE)
		return action_exit(r);
	struct log_ctx lc = cli->log;
	lc.user = NULL;
	log_event(LOG_NOTICE, &lc, "audit-reveal", "%s by %s", a.detail, cli->admin);
	if (!hit) {
		printf("%s: no known user has this pseudonym\n", argv[2]);
		return EXIT_FAIL;
	}
	printf("%s\n", found);
	return EXIT_OK;
}

struct prune {
	struct cli *cli;
	int64_t now;
	long pruned;
};

/* A prune records itself: the chained checkpoint after the records it deletes. */
static int prune_records(struct store *st, struct action *a)
{
	struct prune *p = a->ctx;
	return audit_prune(st, &p->cli->log, p->cli->admin, p->cli->cfg.audit_retention_days, p->now,
			   &p->pruned);
}

static int audit_prune_cmd(struct cli *cli, int argc, char **argv)
{
	struct prune p = { cli, time(NULL), 0 };
	if (argc != 2) {
		cli_err("audit prune takes no arguments (retention: audit_retention_days)");
		return EXIT_USAGE;
	}
	_cleanup_store_ struct store *st = cli_open_store(cli, 0);
	if (!st)
		return EXIT_STORE;
	struct action a = { .record = prune_records, .ctx = &p,
			    .refused = "audit prune failed; nothing deleted" };
	enum action_result r = action_run(cli, st, &a);
	if (r != ACTION_DONE)
		return action_exit(r);
	if (p.pruned)
		log_event(LOG_NOTICE, &cli->log, "audit-prune", "%ld records older than %u days pruned by %s",
			  p.pruned, cli->cfg.audit_retention_days, cli->admin);
	printf("%ld audit records pruned (retention %u days)\n", p.pruned, cli->cfg.audit_retention_days);
	return EXIT_OK;
}

int cmd_audit(struct cli *cli, int argc, char **argv)
{
	if (cli_wants_help(argc, argv, "audit verify | export [--since TIME] [--json] | reveal PSEUDONYM | prune",
			   "verify   check the HMAC chain; names the first edited, deleted or reordered\n"
			   "         record (exit 1). Needs the root-only state_dir/audit.key.\n"
			   "export   records since TIME (epoch or YYYY-MM-DD[THH:MM:SSZ]) for a SIEM, one per\n"
			   "         line (key=\"value\" or JSON); user names are pseudonyms when\n"
			   "         log_identity = pseudonym.\n"
			   "reveal   map a pseudonym back to the user name (audited).\n"
			   "prune    delete records older than audit_retention_days (>= 90) and append a\n"
			   "         chained checkpoint; verify stays green."))
		return EXIT_OK;
	if (argc < 2) {
		cli_err("audit: give verify, export, reveal or prune (try audit --help)");
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "verify") && argc == 2 + (argc > 2 && !strcmp(argv[2], "--json")))
		return audit_verify_cmd(cli);
	if (!strcmp(argv[1], "export"))
		return audit_export_cmd(cli, argc, argv);
	if (!strcmp(argv[1], "reveal"))
		return audit_reveal_cmd(cli, argc, argv);
	if (!strcmp(argv[1], "prune"))
		return audit_prune_cmd(cli, argc, argv);
	cli_err("audit: unknown subcommand '%s' (try audit --help)", argv[1]);
	return EXIT_USAGE;
}
