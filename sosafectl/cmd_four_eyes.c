/* request, approve, deny, requests: the four-eyes principle.
 *
 * An action listed in four_eyes is refused when run directly (four_eyes_gate,
 * called by main before any command). `request` records the command line as
 * a pending request; `approve ID` by a different, identifiable admin runs
 * the same command from the command table with cli->fe_request set, and the
 * command's own action (action.h) claims the request: the claim and the
 * change commit together or not at all, so two racing approvals cannot both
 * carry it out. Which command lines need approval is said by the
 * four_eyes forms in each command's table row. */
#include <config.h>

#include <errno.h>
#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "action.h"
#include "audit/audit.h"
#include "base/four_eyes.h"
#include "base/util.h"
#include "cli.h"
#include "store/four_eyes_store.h"

/* Is WORD one of the space-separated words of LIST? */
static bool in_list(const char *list, const char *word)
{
	size_t n = strlen(word);
	for (const char *p = list; p && *p;) {
		size_t l = strcspn(p, " ");
		if (l == n && !strncmp(p, word, n))
			return true;
		p += l;
		p += strspn(p, " ");
	}
	return false;
}

/* The form of a four-eyes action this command line is, or NULL. */
static const struct four_eyes_form *find_form(int argc, char **argv, const struct command **cmd)
{
	const struct command *c = argc > 0 ? cli_command(argv[0]) : NULL;
	for (const struct four_eyes_form *f = c ? c->four_eyes : NULL; f && f->bit; f++)
		if (!f->sub || (argc > 1 && !strcmp(argv[1], f->sub))) {
			if (cmd)
				*cmd = c;
			return f;
		}
	return NULL;
}

/* Does this command line weaken a control (and so need approval)? */
static bool weakens(const struct four_eyes_form *f, int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h") || in_list(f->harmless_opts, argv[i]))
			return false;
	return true;
}

static const char *target_of(const struct four_eyes_form *f, int argc, char **argv)
{
	if (!f->has_user)
		return "";
	for (int i = 1; i < argc; i++) {
		if (in_list(f->value_opts, argv[i])) {
			i++;
			continue;
		}
		if (argv[i][0] != '-')
			return argv[i];
	}
	return "";
}

/* The command line as a shell would take it back (for messages). */
static void shown_line(int argc, char **argv, char *out, size_t len)
{
	size_t n = 0;
	out[0] = '\0';
	for (int i = 0; i < argc && n + 4 < len; i++) {
		const char *a = argv[i];
		bool quote = !*a || strpbrk(a, " \t'\"\\$`;&|<>()*?[]#~!{}") != NULL;
		if (i)
			out[n++] = ' ';
		if (quote)
			out[n++] = '\'';
		for (; *a && n + 6 < len; a++) {
			if (*a == '\'') {
				memcpy(out + n, "'\\''", 4);
				n += 4;
			} else {
				out[n++] = *a;
			}
		}
		if (quote && n + 2 < len)
			out[n++] = '\'';
		out[n] = '\0';
	}
}

/* The command line for audit records and syslog: with log_identity =
 * pseudonym the user it concerns appears as its pseudonym, never by name. */
static void logged_line(const struct cli *cli, int argc, char **argv, const char *target, char *out,
			size_t len)
{
	char pseudo[AUDIT_PSEUDO_LEN];
	unsigned char key[AUDIT_KEY_LEN];
	char *av[FOUR_EYES_MAX_ARGS + 2];
	if (!cli->cfg.log_pseudonym || !target || !*target || argc > FOUR_EYES_MAX_ARGS) {
		shown_line(argc, argv, out, len);
		return;
	}
	if (audit_key_load(cli->cfg.state_dir, false, key, NULL) == 0)
		audit_pseudonym(key, target, pseudo);
	else
		snprintf(pseudo, sizeof(pseudo), "%s", AUDIT_PSEUDO_PREFIX "unavailable");
	explicit_bzero(key, sizeof(key));
	for (int i = 0; i < argc; i++)
		av[i] = strcmp(argv[i], target) ? argv[i] : pseudo;
	shown_line(argc, av, out, len);
}

/* ---- identities ------------------------------------------------------------- */

/* Same person if any of the two identities of one side names the other. */
static bool same_person(const char *req_admin, const char *req_login, const char *admin,
			const char *login)
{
	if (!strcmp(req_admin, admin))
		return true;
	if (*login && (!strcmp(login, req_admin) || (*req_login && !strcmp(login, req_login))))
		return true;
	return *req_login && !strcmp(req_login, admin);
}

/* ---- records ------------------------------------------------------------------ */

struct sweep {
	struct cli *cli;
	struct store *st;
};

static int record_expiry(const struct four_eyes_request *r, void *ctx)
{
	struct sweep *sw = ctx;
	return action_record(sw->cli, sw->st, r->target, "four-eyes-expired",
			     "request %lld (%s, requested by %s) expired without approval", r->id, r->action,
			     r->requester);
}

/* Mark pending requests past their expiry as expired, each with a record. */
static int sweep_expired(struct cli *cli, struct store *st, int64_t now)
{
	struct sweep sw = { cli, st };
	return four_eyes_expire(st, now, record_expiry, &sw) == ST_OK ? 0 : -1;
}

/* Split the stored command line ARGS into ARGV (pointers into ARGS). */
static int split_args(char *args, char **argv, int max)
{
	int n = 0;
	char *p = args;
	while (n < max) {
		argv[n++] = p;
		char *sep = strchr(p, FOUR_EYES_SEP);
		if (!sep)
			break;
		*sep = '\0';
		p = sep + 1;
	}
	argv[n] = NULL;
	return n;
}

/* ---- the gate ------------------------------------------------------------------- */

int four_eyes_gate(struct cli *cli, int argc, char **argv)
{
	const struct four_eyes_form *f = find_form(argc, argv, NULL);
	if (!f || !(cli->cfg.four_eyes & f->bit) || !weakens(f, argc, argv))
		return 0;
	char line[1024];
	shown_line(argc, argv, line, sizeof(line));
	cli_err("%s needs a second admin (four_eyes in %s).\n"
		"  Propose it with:     sosafectl request %s\n"
		"  then another admin:  sosafectl approve ID",
		four_eyes_name(f->bit), cli->cfg.conf_path, line);
	action_record_refusal(cli, target_of(f, argc, argv), "four-eyes-refused",
			      "direct %s refused: four_eyes needs a request and a second admin",
			      four_eyes_name(f->bit));
	return 1;
}

/* ---- commands ------------------------------------------------------------------- */

static bool arg_ok(const char *a)
{
	size_t n = strlen(a);
	if (n > FOUR_EYES_MAX_ARG)
		return false;
	for (const unsigned char *p = (const unsigned char *)a; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return false;
	return true;
}

/* Join the command line into R->args (checked); EXIT_OK or EXIT_USAGE. */
static int join_args(int n, char **av, struct four_eyes_request *r)
{
	if (n > FOUR_EYES_MAX_ARGS) {
		cli_err("request: too many arguments");
		return EXIT_USAGE;
	}
	size_t used = 0;
	for (int i = 0; i < n; i++) {
		if (!arg_ok(av[i])) {
			cli_err("request: argument %d is too long or has control characters", i + 1);
			return EXIT_USAGE;
		}
		/* --secret, --secret-file, --secret=X and their abbreviations: the
		 * request table is no place for a secret, and a known secret would
		 * let the requester share the user's second factor */
		if (!strncmp(av[i], "--se", 4)) {
			cli_err("request: enroll --secret/--secret-file cannot be requested (the requester "
				"would know the secret); the approver's enroll creates the secret");
			return EXIT_USAGE;
		}
		size_t l = strlen(av[i]);
		if (i)
			r->args[used++] = FOUR_EYES_SEP;
		memcpy(r->args + used, av[i], l);
		used += l;
	}
	r->args[used] = '\0';
	return EXIT_OK;
}

/* Store request R (args filled) for the command line AV and print its id. */
static int record_request(struct cli *cli, int n, char **av, const char *target,
			  struct four_eyes_request *r)
{
	const char *name = r->action;
	char line[1024], logged[1024];
	shown_line(n, av, line, sizeof(line));
	_cleanup_store_ struct store *st = cli_open_store(cli, 0);
	if (!st)
		return EXIT_STORE;
	logged_line(cli, n, av, target, logged, sizeof(logged));
	r->created = time(NULL);
	r->expires = r->created + cli->cfg.four_eyes_ttl;
	snprintf(r->target, sizeof(r->target), "%s", target);
	snprintf(r->requester, sizeof(r->requester), "%s", cli->admin);
	snprintf(r->requester_login, sizeof(r->requester_login), "%s", cli->id.login);
	if (store_begin(st) != ST_OK) {
		cli_err("%s", store_error(st));
		return EXIT_STORE;
	}
	long long id = 0;
	if (sweep_expired(cli, st, r->created) || four_eyes_add(st, r, &id) != ST_OK) {
		cli_err("cannot record the request: %s", store_error(st));
		store_rollback(st);
		return EXIT_STORE;
	}
	char tb[32];
	if (action_record(cli, st, target, "four-eyes-request", "request %lld: %s (expires %s)", id, logged,
			  fmt_time(r->expires, tb, sizeof(tb)))) {
		store_rollback(st);
		cli_err("audit record not written: request refused");
		return EXIT_FAIL;
	}
	if (store_commit(st) != ST_OK) {
		cli_err("%s", store_error(st));
		return EXIT_STORE;
	}
	if (cli->json) {
		printf("{\"id\":%lld,\"action\":\"%s\",\"command\":", id, name);
		json_str(stdout, line);
		fputs(",\"requester\":", stdout);
		json_str(stdout, cli->admin);
		printf(",\"expires\":\"%s\"}\n", tb);
	} else {
		printf("request %lld recorded: %s (by %s, expires %s)\n", id, line, cli->admin, tb);
		printf("a different admin carries it out with: sosafectl approve %lld\n", id);
	}
	return EXIT_OK;
}

int cmd_request(struct cli *cli, int argc, char **argv)
{
	if (cli_wants_help(argc, argv, "request ACTION [ARGS...]",
			   "Proposes an action that four_eyes reserves for two admins, for example\n"
			   "  sosafectl request unlock alice\n"
			   "  sosafectl request enroll-window bob --hours 8\n"
			   "  sosafectl request audit reveal pn:0123456789abcdef\n"
			   "and prints the request id. A different admin carries it out with\n"
			   "'sosafectl approve ID' before four_eyes_ttl runs out."))
		return EXIT_OK;
	if (argc < 2) {
		cli_err("request: give the action and its arguments, as you would run it");
		return EXIT_USAGE;
	}
	int n = argc - 1;
	char **av = argv + 1;
	const struct four_eyes_form *f = find_form(n, av, NULL);
	if (!f) {
		cli_err("request: '%s' is not an action four_eyes can cover (unlock, reset-otp, "
			"recovery-codes, enroll-window, enroll, purge, audit prune, audit reveal, import, "
			"backup)", av[0]);
		return EXIT_USAGE;
	}
	const char *name = four_eyes_name(f->bit);
	if (!(cli->cfg.four_eyes & f->bit)) {
		cli_err("request: %s is not listed in four_eyes (%s): run it directly", name,
			cli->cfg.conf_path);
		return EXIT_USAGE;
	}
	if (!weakens(f, n, av)) {
		cli_err("request: this form of %s needs no approval: run it directly", name);
		return EXIT_USAGE;
	}
	struct four_eyes_request *r = calloc(1, sizeof(*r));
	if (!r) {
		cli_err("out of memory");
		return EXIT_FAIL;
	}
	int ret = join_args(n, av, r);
	const char *target = target_of(f, n, av);
	if (ret == EXIT_OK && f->has_user && !*target) {
		cli_err("request: %s needs a USER", name);
		ret = EXIT_USAGE;
	}
	if (ret == EXIT_OK && *target && !cli_valid_user(target))
		ret = EXIT_USAGE;
	snprintf(r->action, sizeof(r->action), "%s", name);
	if (ret == EXIT_OK)
		ret = record_request(cli, n, av, target, r);
	free(r);
	return ret;
}

static int parse_id(const char *s, long long *id)
{
	char *end = NULL;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || !*s || *end || v <= 0)
		return -1;
	*id = v;
	return 0;
}

/* Common start of approve and deny: the request, checked and swept.
 * Returns EXIT_OK with *R filled, or the exit code (after the message). */
static int load_pending(struct cli *cli, const char *verb, long long id, struct four_eyes_request *r,
			bool check_person)
{
	_cleanup_store_ struct store *st = cli_open_store(cli, 0);
	if (!st)
		return EXIT_STORE;
	int64_t now = time(NULL);
	if (store_begin(st) != ST_OK) {
		cli_err("%s", store_error(st));
		return EXIT_STORE;
	}
	if (sweep_expired(cli, st, now)) {
		store_rollback(st);
		cli_err("cannot read the requests: %s", store_error(st));
		return EXIT_STORE;
	}
	enum store_status g = four_eyes_get(st, id, r);
	char why[600] = "";
	if (g != ST_OK && g != ST_NOTFOUND) {
		store_rollback(st);
		cli_err("cannot read request %lld: %s", id, store_error(st));
		return EXIT_STORE;
	}
	if (g == ST_NOTFOUND)
		snprintf(why, sizeof(why), "no request %lld", id);
	else if (r->state != FE_STATE_PENDING)
		snprintf(why, sizeof(why), "request %lld is %s%s%s, not pending", id,
			 four_eyes_state_name(r->state), *r->decided_by ? " by " : "", r->decided_by);
	else if (check_person && *cli->id.not_approver)
		snprintf(why, sizeof(why), "request %lld: %s", id, cli->id.not_approver);
	else if (check_person && same_person(r->requester, r->requester_login, cli->admin, cli->id.login))
		snprintf(why, sizeof(why), "request %lld was made by %s: the same admin cannot approve "
			 "it; a second, different admin must", id, r->requester);
	int ret = EXIT_OK;
	if (*why) {
		cli_err("%s refused: %s", verb, why);
		if (action_record(cli, st, g == ST_OK ? r->target : NULL, "four-eyes-refused", "%s refused: %s",
				  verb, why)) {
			store_rollback(st);
			return EXIT_FAIL;
		}
		ret = EXIT_FAIL;
	}
	if (store_commit(st) != ST_OK) {   /* the expiry and refusal records */
		cli_err("%s", store_error(st));
		return EXIT_STORE;
	}
	return ret;
}

/* After `approve` ran the command of request R: settle a request the
 * command left pending although it succeeded (it changed nothing: nothing
 * to unlock, nobody to purge), and say what happened. What happened is
 * what the store says, not what the command returned. */
static int settle(struct cli *cli, const struct four_eyes_request *r, const char *line,
		  const char *logged, int rc)
{
	long long id = r->id;
	_cleanup_store_ struct store *st = cli_open_store(cli, 0);
	struct four_eyes_request *after = calloc(1, sizeof(*after));
	if (!after || !st || store_begin(st) != ST_OK || four_eyes_get(st, id, after) != ST_OK) {
		cli_err("cannot tell whether request %lld was carried out: read 'sosafectl requests --all'", id);
		free(after);
		return EXIT_STORE;
	}
	if (after->state == FE_STATE_PENDING && rc == EXIT_OK) {
		cli->fe_claimed = false;   /* any earlier claim was rolled back */
		if (action_claim(cli, st) == 0 &&
		    action_record(cli, st, r->target, "four-eyes-noop", "request %lld: %s changed nothing", id,
				  logged) == 0 && store_commit(st) == ST_OK)
			after->state = FE_STATE_DONE;
		else
			rc = EXIT_FAIL;
	}
	store_rollback(st);
	bool done = after->state == FE_STATE_DONE &&
		    (cli->fe_claimed || !strcmp(after->decided_by, cli->admin));
	FILE *out = cli->json ? stderr : stdout;
	if (done)
		fprintf(out, "request %lld (%s, by %s) approved by %s and carried out\n", id, line,
			r->requester, cli->admin);
	else if (after->state == FE_STATE_PENDING)
		fprintf(stderr, "sosafectl: request %lld not carried out (the action failed); it stays "
			"pending until it expires or is denied\n", id);
	else
		fprintf(stderr, "sosafectl: request %lld not carried out by this approval (it is %s%s%s)\n",
			id, four_eyes_state_name(after->state), *after->decided_by ? " by " : "",
			after->decided_by);
	free(after);
	if (done)
		return rc;
	return rc == EXIT_OK ? EXIT_FAIL : rc;
}

int cmd_approve(struct cli *cli, int argc, char **argv)
{
	if (cli_wants_help(argc, argv, "approve ID",
			   "Carries out request ID (see 'sosafectl requests') as its command line\n"
			   "says, exactly once. The approver must be a named admin other than the one\n"
			   "who made the request: a login uid (set at login, kept across su and sudo)\n"
			   "of an existing account other than root, in admin_group if that is set.\n"
			   "The request must not have expired. The action, its audit record and the\n"
			   "approval commit together."))
		return EXIT_OK;
	long long id;
	if (argc != 2 || parse_id(argv[1], &id)) {
		cli_err("approve: give one request ID (a positive number)");
		return EXIT_USAGE;
	}
	struct four_eyes_request *r = calloc(1, sizeof(*r));
	if (!r) {
		cli_err("out of memory");
		return EXIT_FAIL;
	}
	int rc = load_pending(cli, "approve", id, r, true);
	if (rc != EXIT_OK) {
		free(r);
		return rc;
	}
	char *av[FOUR_EYES_MAX_ARGS + 2];
	int n = split_args(r->args, av, FOUR_EYES_MAX_ARGS);
	const struct command *cmd = NULL;
	const struct four_eyes_form *f = find_form(n, av, &cmd);
	char line[1024], logged[1024];
	shown_line(n, av, line, sizeof(line));
	logged_line(cli, n, av, r->target, logged, sizeof(logged));
	if (!f) {
		cli_err("approve: request %lld holds no known action", id);
		free(r);
		return EXIT_FAIL;
	}
	cli->fe_request = id;
	cli->fe_requester = r->requester;
	cli->fe_target = r->target;
	cli->fe_line = logged;
	cli->fe_claimed = false;
	optind = 1;   /* the commands use getopt */
	rc = settle(cli, r, line, logged, cmd->run(cli, n, av));
	cli->fe_request = 0;
	free(r);
	return rc;
}

int cmd_deny(struct cli *cli, int argc, char **argv)
{
	if (cli_wants_help(argc, argv, "deny ID",
			   "Closes pending request ID without carrying it out (any admin, also the\n"
			   "one who made it, to withdraw it). Audited."))
		return EXIT_OK;
	long long id;
	if (argc != 2 || parse_id(argv[1], &id)) {
		cli_err("deny: give one request ID (a positive number)");
		return EXIT_USAGE;
	}
	struct four_eyes_request *r = calloc(1, sizeof(*r));
	if (!r)
		return EXIT_FAIL;
	int rc = load_pending(cli, "deny", id, r, false);
	if (rc != EXIT_OK) {
		free(r);
		return rc;
	}
	_cleanup_store_ struct store *st = cli_open_store(cli, 0);
	if (!st) {
		free(r);
		return EXIT_STORE;
	}
	if (store_begin(st) != ST_OK || four_eyes_deny(st, id, cli->admin, time(NULL)) != ST_OK ||
	    action_record(cli, st, r->target, "four-eyes-deny", "request %lld (%s by %s) denied", id,
			  r->action, r->requester) ||
	    store_commit(st) != ST_OK) {
		store_rollback(st);
		cli_err("deny of request %lld failed (no longer pending, or the store refused)", id);
		free(r);
		return EXIT_FAIL;
	}
	printf("request %lld denied by %s\n", id, cli->admin);
	free(r);
	return EXIT_OK;
}

struct listing {
	bool json;
	unsigned n;
};

static int print_request(const struct four_eyes_request *r, void *ctx)
{
	struct listing *l = ctx;
	char args[sizeof(r->args)];
	memcpy(args, r->args, sizeof(args));
	char *av[FOUR_EYES_MAX_ARGS + 2], line[1024], b1[32], b2[32];
	int na = split_args(args, av, FOUR_EYES_MAX_ARGS);
	shown_line(na, av, line, sizeof(line));
	fmt_time(r->created, b1, sizeof(b1));
	fmt_time(r->expires, b2, sizeof(b2));
	const char *state = four_eyes_state_name(r->state), *dby = r->decided_by;
	if (l->json) {
		printf("%s{\"id\":%lld,\"action\":", l->n ? ",\n" : "", r->id);
		json_str(stdout, r->action);
		fputs(",\"command\":", stdout);
		json_str(stdout, line);
		fputs(",\"requester\":", stdout);
		json_str(stdout, r->requester);
		printf(",\"created\":\"%s\",\"expires\":\"%s\",\"state\":", b1, b2);
		json_str(stdout, state);
		fputs(",\"decided_by\":", stdout);
		if (*dby)
			json_str(stdout, dby);
		else
			fputs("null", stdout);
		fputs("}", stdout);
	} else {
		if (l->n == 0)
			printf("%-5s %-8s %-16s %-20s %-20s %s\n", "ID", "STATE", "REQUESTER", "CREATED",
			       "EXPIRES", "COMMAND");
		printf("%-5lld %-8s %-16s %-20s %-20s %s%s%s\n", r->id, state, r->requester, b1, b2, line,
		       *dby ? "  # by " : "", dby);
	}
	l->n++;
	return 0;
}

int cmd_requests(struct cli *cli, int argc, char **argv)
{
	if (cli_wants_help(argc, argv, "requests [--all] [--json]",
			   "Lists pending four-eyes requests (--all: also done, denied and expired\n"
			   "ones). Requests past four_eyes_ttl are marked expired (audited) first."))
		return EXIT_OK;
	bool all = false;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--all"))
			all = true;
		else if (strcmp(argv[i], "--json")) {
			cli_err("requests: unexpected argument '%s'", argv[i]);
			return EXIT_USAGE;
		}
	}
	_cleanup_store_ struct store *st = cli_open_store(cli, 0);
	if (!st)
		return EXIT_STORE;
	if (store_begin(st) != ST_OK || sweep_expired(cli, st, time(NULL)) || store_commit(st) != ST_OK) {
		store_rollback(st);
		cli_err("cannot update the requests: %s", store_error(st));
		return EXIT_STORE;
	}
	struct listing l = { cli->json, 0 };
	if (cli->json)
		fputs("[", stdout);
	enum store_status s = store_begin_read(st);
	if (s == ST_OK)
		s = four_eyes_foreach(st, all, print_request, &l);
	store_rollback(st);
	if (cli->json)
		fputs("]\n", stdout);
	else if (l.n == 0 && s == ST_OK)
		printf("no %srequests\n", all ? "" : "pending ");
	if (s != ST_OK) {
		cli_err("cannot read the requests: %s", store_error(st));
		return EXIT_STORE;
	}
	return EXIT_OK;
}
