/* status and unlock: the lockout as the admin sees it. */
#include <config.h>

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/accounts.h"
#include "action.h"
#include "cli.h"
#include "lockout/attempt.h"
#include "lockout/lockout.h"
#include "store/lockout_store.h"

static void policy_for(const struct cli *cli, const char *user, struct lock_policy *p)
{
	bool root = false, admin = false;
	account_privilege(user, cli->cfg.admin_group, &root, &admin);
	lock_policy_from_conf(p, &cli->cfg, root, admin);
}

/* Until when the second factor of an exempt account is locked; 0 if not
 * (CODE NULL: not read). */
static int64_t code_locked_until(const struct lock_policy *p, const struct tally *code, int64_t now)
{
	struct lock_policy cp = *p;
	cp.exempt = false;
	return p->exempt && code && lockout_is_locked(&cp, code, now) ? code->locked_until : 0;
}

static void print_status(const struct cli *cli, const char *user, const struct tally *t,
			 const struct tally *code, int64_t now, bool *first)
{
	struct lock_policy p;
	policy_for(cli, user, &p);
	int64_t code_until = code_locked_until(&p, code, now);
	char b3[32];
	bool locked = lockout_is_locked(&p, t, now);
	unsigned fails = lockout_recent_failures(&p, t, now);
	char b1[32], b2[32];
	const char *until = locked ? fmt_time(t->locked_until, b1, sizeof(b1)) : "-";
	const char *why = locked ? (t->locked_until == INT64_MAX ? "escalation cap or unlock_time=0: admin unlock needed"
								 : "too many failures")
				 : "-";
	if (cli->json) {
		fputs(*first ? "" : ",\n", stdout);
		fputs("{\"user\":", stdout);
		json_str(stdout, user);
		printf(",\"locked\":%s,\"failures\":%u,\"locked_until\":", locked ? "true" : "false", fails);
		if (!locked)
			fputs("null", stdout);
		else if (t->locked_until == INT64_MAX)
			fputs("\"admin-unlock\"", stdout);
		else
			json_str(stdout, until);
		printf(",\"locked_until_epoch\":%" PRId64 ",\"lock_level\":%u,\"attempts\":%" PRId64
		       ",\"refused\":%" PRId64 ",\"last_success\":",
		       locked ? t->locked_until : 0, t->lock_level, t->attempts, t->refused);
		if (t->last_success)
			json_str(stdout, fmt_time(t->last_success, b2, sizeof(b2)));
		else
			fputs("null", stdout);
		fputs(",\"reason\":", stdout);
		if (locked)
			json_str(stdout, why);
		else
			fputs("null", stdout);
		fputs(p.exempt ? ",\"exempt\":true" : ",\"exempt\":false", stdout);
		if (code) {
			fputs(",\"second_factor_locked_until\":", stdout);
			if (code_until)
				json_str(stdout, fmt_time(code_until, b3, sizeof(b3)));
			else
				fputs("null", stdout);
		}
		fputs("}", stdout);
	} else {
		printf("%-20s %-8s failures=%u/%u locked_until=%s lock_level=%u attempts=%" PRId64
		       " refused=%" PRId64 " last_success=%s%s%s\n",
		       user, locked ? "LOCKED" : "ok", fails, p.deny, until, t->lock_level, t->attempts,
		       t->refused, fmt_time(t->last_success, b2, sizeof(b2)),
		       locked ? " reason=" : "", locked ? why : "");
		if (p.exempt && fails >= p.deny)
			printf("%-20s (root/admin_group: exempt unless even_deny_root)\n", "");
		if (code_until)
			printf("%-20s second factor locked until %s (too many wrong codes; the "
			       "account is not locked)\n", "", fmt_time(code_until, b3, sizeof(b3)));
	}
	*first = false;
}

struct all_ctx {
	const struct cli *cli;
	int64_t now;
	bool first;
	unsigned shown;
};

static int show_interesting(const char *user, const struct tally *t, void *vctx)
{
	struct all_ctx *a = vctx;
	struct lock_policy p;
	policy_for(a->cli, user, &p);
	if (!lockout_is_locked(&p, t, a->now) && lockout_recent_failures(&p, t, a->now) == 0)
		return 0;
	print_status(a->cli, user, t, NULL, a->now, &a->first);
	a->shown++;
	return 0;
}

int cmd_status(struct cli *cli, int argc, char **argv)
{
	if (cli_wants_help(argc, argv, "status USER [--json] | status --all [--json]",
			   "Shows failures in the interval, whether USER is locked, until when and why.\n"
			   "--all lists only users with failures or locks."))
		return EXIT_OK;
	const char *user = NULL;
	bool all = false;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--all"))
			all = true;
		else if (!strcmp(argv[i], "--json"))
			continue;
		else if (argv[i][0] == '-' || user) {
			cli_err("status: unexpected argument '%s' (try status --help)", argv[i]);
			return EXIT_USAGE;
		} else
			user = argv[i];
	}
	if (all == (user != NULL)) {
		cli_err("status: give one USER or --all");
		return EXIT_USAGE;
	}
	if (user && !cli_valid_user(user))
		return EXIT_USAGE;
	_cleanup_store_ struct store *st = cli_open_store(cli, STORE_RDONLY);
	if (!st)
		return EXIT_STORE;
	int64_t now = time(NULL);
	bool first = true;
	if (user) {
		struct tally t, code;
		enum store_status s = store_tally_get(st, user, &t);
		if (s == ST_OK || s == ST_NOTFOUND)
			s = store_code_tally_get(st, user, &code);
		if (s != ST_OK && s != ST_NOTFOUND) {
			cli_err("%s", store_error(st));
			return EXIT_STORE;
		}
		print_status(cli, user, &t, &code, now, &first);
		if (cli->json)
			fputc('\n', stdout);
		return EXIT_OK;
	}
	struct all_ctx a = { cli, now, true, 0 };
	if (cli->json)
		fputs("[", stdout);
	enum store_status s = store_tally_foreach(st, show_interesting, &a);
	if (cli->json)
		fputs("]\n", stdout);
	else if (a.shown == 0)
		printf("no users with failures or locks\n");
	if (s != ST_OK) {
		cli_err("%s", store_error(st));
		return EXIT_STORE;
	}
	return EXIT_OK;
}

/* Clear USER's tally and second-factor tally (accounts the lockout never
 * locks: their codes are limited on their own); ST_NOTFOUND if neither
 * exists. */
static enum store_status clear_tally(struct store *st, struct action *a)
{
	bool *was_locked = a->ctx;
	struct tally t, code;
	enum store_status s = store_tally_get(st, a->user, &t);   /* T, CODE zeroed if missing */
	if (s != ST_OK && s != ST_NOTFOUND)
		return s;
	enum store_status cs = store_code_tally_get(st, a->user, &code);
	if (cs != ST_OK && cs != ST_NOTFOUND)
		return cs;
	if (s == ST_NOTFOUND && cs == ST_NOTFOUND)
		return ST_NOTFOUND;
	*was_locked = t.locked_until != 0 || code.locked_until != 0;
	/* refusals after the lock's first have no record of their own */
	int64_t unrecorded = attempt_refusals_unrecorded(&t);
	char what[128];
	if (unrecorded)
		snprintf(what, sizeof(what), "was locked; %lld attempts refused during the lock",
			 (long long)unrecorded + 1);
	else
		snprintf(what, sizeof(what), "%s", t.locked_until ? "was locked" : "was not locked");
	snprintf(a->detail, sizeof(a->detail), "%s%s", what,
		 code.locked_until ? "; second factor was locked" : "");
	lockout_clear(&t);
	if (s == ST_OK)
		s = store_tally_put(st, a->user, &t);
	if (s == ST_OK || s == ST_NOTFOUND)
		s = cs == ST_OK ? store_code_tally_delete(st, a->user) : ST_OK;
	return s;
}

int cmd_unlock(struct cli *cli, int argc, char **argv)
{
	if (cli_wants_help(argc, argv, "unlock USER",
			   "Clears the failures, the lock and the escalation of USER.\n"
			   "Logged to syslog (authpriv) with the admin who did it."))
		return EXIT_OK;
	if (argc != 2) {
		cli_err("unlock: give exactly one USER");
		return EXIT_USAGE;
	}
	const char *user = argv[1];
	if (!cli_valid_user(user))
		return EXIT_USAGE;
	_cleanup_store_ struct store *st = cli_open_store(cli, 0);
	if (!st)
		return EXIT_STORE;
	bool was_locked = false;
	struct action a = { .event = "unlock", .user = user, .change = clear_tally, .ctx = &was_locked,
			    .refused = "audit record not written: unlock refused" };
	enum action_result r = action_run(cli, st, &a);
	if (r == ACTION_UNCHANGED)
		printf("%s has no failures or lock\n", user);
	if (r != ACTION_DONE)
		return action_exit(r);
	cli->log.user = user;
	log_event(LOG_NOTICE, &cli->log, "unlock", "by %s%s", cli->admin,
		  was_locked ? "" : " (was not locked)");
	printf("%s unlocked by %s\n", user, cli->admin);
	return EXIT_OK;
}
