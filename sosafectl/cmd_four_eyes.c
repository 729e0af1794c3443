/* request, approve, deny, requests: the four-eyes principle (R6).
 *
 * An action listed in four_eyes is refused when run directly (four_eyes_gate,
 * called by main before any command). `request` records the command line as
 * a pending request; `approve ID` by a different, identifiable admin runs
 * the same command with cli->fe_request set, and the command's own store
 * transaction claims the request (cli_action_audit / cli_four_eyes_claim):
 * the UPDATE from 'pending' to 'done' and the action commit together or not
 * at all, so two racing approvals cannot both carry it out. */
#include <config.h>

#include <errno.h>
#include <inttypes.h>
#include <pwd.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "audit/audit.h"
#include "cli.h"
#include "base/four_eyes.h"
#include "base/names.h"
#include "base/util.h"

#define FE_MAX_ARGS 24
#define FE_MAX_ARG 512
#define FE_SEP '\x1f'

struct fe_cmd {
	const char *cmd;    /* command word */
	const char *sub;    /* subcommand word, or NULL */
	int (*run)(struct cli *cli, int argc, char **argv);
	unsigned bit;
	bool has_user;      /* the first operand is a user name */
};

#define FE(b, c, s, r, u) { .cmd = (c), .sub = (s), .run = (r), .bit = (b), .has_user = (u) }
static const struct fe_cmd fe_cmds[] = {
	FE(FE_UNLOCK, "unlock", NULL, cmd_unlock, true),
	FE(FE_RESET_OTP, "reset-otp", NULL, cmd_reset_otp, true),
	FE(FE_RECOVERY_CODES, "recovery-codes", NULL, cmd_recovery_codes, true),
	FE(FE_ENROLL_WINDOW, "enroll-window", NULL, cmd_enroll_window, true),
	FE(FE_ENROLL, "enroll", NULL, cmd_enroll, true),
	FE(FE_PURGE, "purge", NULL, cmd_purge, false),
	FE(FE_AUDIT_PRUNE, "audit", "prune", cmd_audit, false),
	FE(FE_AUDIT_REVEAL, "audit", "reveal", cmd_audit, false),
	FE(FE_IMPORT, "import", NULL, cmd_import, false),
	FE(FE_BACKUP, "backup", NULL, cmd_backup, false),
};

/* options of the covered commands that take a value */
static bool takes_value(const char *opt)
{
	static const char *const v[] = { "--count", "--hours", "--until", "--secret", "--algorithm",
					 "--digits", "--period", "--now", "--passwd-file", "--group-file" };
	for (size_t i = 0; i < ARRAY_SIZE(v); i++)
		if (!strcmp(opt, v[i]))
			return true;
	return false;
}

static const struct fe_cmd *find_cmd(int argc, char **argv)
{
	if (argc < 1)
		return NULL;
	for (size_t i = 0; i < ARRAY_SIZE(fe_cmds); i++) {
		const struct fe_cmd *c = &fe_cmds[i];
		if (strcmp(argv[0], c->cmd))
			continue;
		if (!c->sub || (argc > 1 && !strcmp(argv[1], c->sub)))
			return c;
	}
	return NULL;
}

/* Does this command line weaken a control (and so need approval)? */
static bool weakens(const struct fe_cmd *c, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return false;
		if (c->bit == FE_ENROLL_WINDOW && !strcmp(argv[i], "--clear"))
			return false;   /* closing a window is no weakening */
		if (c->bit == FE_PURGE && (!strcmp(argv[i], "--report") || !strcmp(argv[i], "--dry-run")))
			return false;
	}
	return true;
}

static const char *target_of(const struct fe_cmd *c, int argc, char **argv)
{
	if (!c->has_user)
		return "";
	for (int i = 1; i < argc; i++) {
		if (takes_value(argv[i])) {
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
	char *av[FE_MAX_ARGS + 2];
	if (!cli->cfg.log_pseudonym || !target || !*target || argc > FE_MAX_ARGS) {
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

struct fe_who {
	char login[300];    /* name of the login uid, '' if unset or 0 */
	bool person;        /* cli->admin names an account other than root */
};

static void who_am_i(const struct cli *cli, struct fe_who *w)
{
	w->login[0] = '\0';
	FILE *f = fopen("/proc/self/loginuid", "re");
	if (f) {
		unsigned l;
		/* decimal uid or 4294967295 (unset); 0 is a direct root login:
		 * the shared account names nobody */
		if (fscanf(f, "%u", &l) == 1 && l != 4294967295U && l != 0) { /* NOLINT(cert-err34-c) */
			struct passwd *pw = getpwuid(l);
			if (pw)
				snprintf(w->login, sizeof(w->login), "%s", pw->pw_name);
			else
				snprintf(w->login, sizeof(w->login), "uid=%u", l);
		}
		fclose(f);
	}
	const char *a = cli->admin ? cli->admin : "";
	struct passwd *pw = *a ? getpwnam(a) : NULL;
	w->person = *a && strcmp(a, "root") && strcmp(a, "uid=0") && !(pw && pw->pw_uid == 0);
}

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

static int fe_audit(struct cli *cli, struct store *st, const char *user, const char *event,
		    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static int fe_audit(struct cli *cli, struct store *st, const char *user, const char *event,
		    const char *fmt, ...)
{
	char detail[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	struct log_ctx lc = cli->log;
	lc.user = user && *user ? user : NULL;
	log_event(LOG_NOTICE, &lc, event, "%s (by %s)", detail, cli->admin);
	return audit_append(st, &lc, event, cli->admin, "%s", detail);
}

/* Write one refusal record in its own transaction (best effort: the
 * refusal stands whether or not the store is there). */
static void audit_refusal(struct cli *cli, const char *user, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void audit_refusal(struct cli *cli, const char *user, const char *fmt, ...)
{
	char detail[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	struct store *st = NULL;
	char err[512];
	struct log_ctx lc = cli->log;
	lc.user = user && *user ? user : NULL;
	log_event(LOG_WARNING, &lc, "four-eyes-refused", "%s (by %s)", detail, cli->admin);
	if (store_open(&st, cli->cfg.state_dir, 0, cli->cfg.store_timeout_ms, err, sizeof(err)) != ST_OK)
		return;
	if (store_begin(st) == ST_OK) {
		if (audit_append(st, &lc, "four-eyes-refused", cli->admin, "%s", detail) ||
		    store_commit(st) != ST_OK)
			store_rollback(st);
	}
	store_close(st);
}

/* Mark pending requests past their expiry as expired, each with a record. */
static int sweep_expired(struct cli *cli, struct store *st, int64_t now)
{
	sqlite3 *db = store_db(st);
	sqlite3_stmt *q = NULL;
	int rc = sqlite3_prepare_v2(db, "SELECT id, action, target, requester FROM four_eyes_request"
				    " WHERE state = 'pending' AND expires <= ? ORDER BY id", -1, &q, NULL);
	if (rc != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(q, 1, now);
	int ret = 0;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW && !ret)
		ret = fe_audit(cli, st, (const char *)sqlite3_column_text(q, 2), "four-eyes-expired",
			       "request %lld (%s, requested by %s) expired without approval",
			       (long long)sqlite3_column_int64(q, 0), sqlite3_column_text(q, 1),
			       sqlite3_column_text(q, 3));
	sqlite3_finalize(q);
	if (ret || (rc != SQLITE_DONE && rc != SQLITE_ROW))
		return -1;
	q = NULL;
	rc = sqlite3_prepare_v2(db, "UPDATE four_eyes_request SET state = 'expired', decided = ?"
			       " WHERE state = 'pending' AND expires <= ?", -1, &q, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_int64(q, 1, now);
		sqlite3_bind_int64(q, 2, now);
		rc = sqlite3_step(q);
	}
	sqlite3_finalize(q);
	return rc == SQLITE_DONE ? 0 : -1;
}

struct fe_req {
	long long id;
	char action[32];
	char args[FE_MAX_ARGS * (FE_MAX_ARG + 1)];
	char target[SOSAFE_NAME_MAX + 1];
	char requester[300], requester_login[300], state[16], decided_by[300];
	int64_t created, expires;
};

static int copy_col(sqlite3_stmt *q, int i, char *out, size_t len)
{
	const char *s = (const char *)sqlite3_column_text(q, i);
	if (!s || strlen(s) >= len)
		return -1;
	memcpy(out, s, strlen(s) + 1);
	return 0;
}

/* 0 found, 1 unknown id, -1 error. */
static int req_get(struct store *st, long long id, struct fe_req *r)
{
	sqlite3_stmt *q = NULL;
	memset(r, 0, sizeof(*r));
	int rc = sqlite3_prepare_v2(store_db(st), "SELECT action, args, target, requester, requester_login,"
				    " state, decided_by, created, expires FROM four_eyes_request WHERE id = ?",
				    -1, &q, NULL);
	if (rc != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(q, 1, id);
	rc = sqlite3_step(q);
	int ret = rc == SQLITE_DONE ? 1 : -1;
	if (rc == SQLITE_ROW) {
		r->id = id;
		ret = copy_col(q, 0, r->action, sizeof(r->action)) || copy_col(q, 1, r->args, sizeof(r->args)) ||
		      copy_col(q, 2, r->target, sizeof(r->target)) ||
		      copy_col(q, 3, r->requester, sizeof(r->requester)) ||
		      copy_col(q, 4, r->requester_login, sizeof(r->requester_login)) ||
		      copy_col(q, 5, r->state, sizeof(r->state)) ||
		      copy_col(q, 6, r->decided_by, sizeof(r->decided_by)) ? -1 : 0;
		r->created = sqlite3_column_int64(q, 7);
		r->expires = sqlite3_column_int64(q, 8);
	}
	sqlite3_finalize(q);
	return ret;
}

/* Split the stored command line into ARGV (pointers into R->args). */
static int split_args(struct fe_req *r, char **argv, int max)
{
	int n = 0;
	char *p = r->args;
	while (n < max) {
		argv[n++] = p;
		char *sep = strchr(p, FE_SEP);
		if (!sep)
			break;
		*sep = '\0';
		p = sep + 1;
	}
	argv[n] = NULL;
	return n;
}

/* ---- the gate and the claim ------------------------------------------------------ */

int four_eyes_gate(struct cli *cli, int argc, char **argv)
{
	const struct fe_cmd *c = find_cmd(argc, argv);
	if (!c || !(cli->cfg.four_eyes & c->bit) || !weakens(c, argc, argv))
		return 0;
	char line[1024];
	shown_line(argc, argv, line, sizeof(line));
	cli_err("%s needs a second admin (four_eyes in %s).\n"
		"  Propose it with:     sosafectl request %s\n"
		"  then another admin:  sosafectl approve ID",
		four_eyes_name(c->bit), cli->cfg.conf_path, line);
	audit_refusal(cli, target_of(c, argc, argv), "direct %s refused: four_eyes needs a request "
		      "and a second admin", four_eyes_name(c->bit));
	return 1;
}

int cli_four_eyes_claim(struct cli *cli, struct store *st)
{
	if (!cli->fe_request || cli->fe_claimed)
		return 0;
	int64_t now = time(NULL);
	sqlite3 *db = store_db(st);
	sqlite3_stmt *q = NULL;
	int rc = sqlite3_prepare_v2(db, "UPDATE four_eyes_request SET state = 'done', decided_by = ?,"
				    " decided = ? WHERE id = ? AND state = 'pending' AND expires > ?"
				    " AND requester != ?", -1, &q, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(q, 1, cli->admin, -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 2, now);
		sqlite3_bind_int64(q, 3, cli->fe_request);
		sqlite3_bind_int64(q, 4, now);
		sqlite3_bind_text(q, 5, cli->admin, -1, SQLITE_STATIC);
		rc = sqlite3_step(q);
	}
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE) {
		cli_err("cannot claim request %lld: %s", cli->fe_request, sqlite3_errmsg(db));
		return -1;
	}
	if (sqlite3_changes(db) != 1) {
		cli_err("request %lld is no longer pending (approved by someone else meanwhile, denied "
			"or expired): nothing done", cli->fe_request);
		return -1;
	}
	if (fe_audit(cli, st, cli->fe_target, "four-eyes-approve", "request %lld: %s, requested by %s",
		     cli->fe_request, cli->fe_line, cli->fe_requester))
		return -1;
	cli->fe_claimed = true;
	return 0;
}

int cli_action_audit(struct cli *cli, struct store *st, const char *user, const char *event,
		     const char *fmt, ...)
{
	char detail[900];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	if (cli_four_eyes_claim(cli, st))
		return -1;
	struct log_ctx lc = cli->log;
	lc.user = user;
	if (cli->fe_request)
		return audit_append(st, &lc, event, cli->admin, "%s (four-eyes request %lld of %s)", detail,
				    cli->fe_request, cli->fe_requester);
	return audit_append(st, &lc, event, cli->admin, "%s", detail);
}

/* ---- commands ------------------------------------------------------------------- */

static bool arg_ok(const char *a)
{
	size_t n = strlen(a);
	if (n > FE_MAX_ARG)
		return false;
	for (const unsigned char *p = (const unsigned char *)a; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return false;
	return true;
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
	const struct fe_cmd *c = find_cmd(n, av);
	if (!c) {
		cli_err("request: '%s' is not an action four_eyes can cover (unlock, reset-otp, "
			"recovery-codes, enroll-window, enroll, purge, audit prune, audit reveal, import, "
			"backup)", av[0]);
		return EXIT_USAGE;
	}
	const char *name = four_eyes_name(c->bit);
	if (!(cli->cfg.four_eyes & c->bit)) {
		cli_err("request: %s is not listed in four_eyes (%s): run it directly", name,
			cli->cfg.conf_path);
		return EXIT_USAGE;
	}
	if (!weakens(c, n, av)) {
		cli_err("request: this form of %s needs no approval: run it directly", name);
		return EXIT_USAGE;
	}
	if (n > FE_MAX_ARGS) {
		cli_err("request: too many arguments");
		return EXIT_USAGE;
	}
	char args[FE_MAX_ARGS * (FE_MAX_ARG + 1)];
	size_t used = 0;
	for (int i = 0; i < n; i++) {
		if (!arg_ok(av[i])) {
			cli_err("request: argument %d is too long or has control characters", i + 1);
			return EXIT_USAGE;
		}
		if (!strcmp(av[i], "--secret")) {
			/* the request table is no place for a secret */
			cli_err("request: enroll --secret cannot be requested (the secret would be stored "
				"in the request); the approver's enroll creates the secret");
			return EXIT_USAGE;
		}
		size_t l = strlen(av[i]);
		if (i)
			args[used++] = FE_SEP;
		memcpy(args + used, av[i], l);
		used += l;
	}
	args[used] = '\0';
	const char *target = target_of(c, n, av);
	if (c->has_user && !*target) {
		cli_err("request: %s needs a USER", name);
		return EXIT_USAGE;
	}
	if (*target && !cli_valid_user(target))
		return EXIT_USAGE;
	struct fe_who w;
	who_am_i(cli, &w);
	char line[1024], logged[1024];
	shown_line(n, av, line, sizeof(line));
	_cleanup_store_ struct store *st = cli_open_store(cli, 0);
	if (!st)
		return EXIT_STORE;
	logged_line(cli, n, av, target, logged, sizeof(logged));
	int64_t now = time(NULL), expires = now + cli->cfg.four_eyes_ttl;
	if (store_begin(st) != ST_OK) {
		cli_err("%s", store_error(st));
		return EXIT_STORE;
	}
	sqlite3 *db = store_db(st);
	sqlite3_stmt *q = NULL;
	int rc = sweep_expired(cli, st, now) ? SQLITE_ERROR : SQLITE_OK;
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(db, "INSERT INTO four_eyes_request (action, args, target, requester,"
					" requester_login, created, expires) VALUES (?, ?, ?, ?, ?, ?, ?)", -1,
					&q, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 2, args, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 3, target, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 4, cli->admin, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 5, w.login, -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 6, now);
		sqlite3_bind_int64(q, 7, expires);
		rc = sqlite3_step(q) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
	}
	sqlite3_finalize(q);
	long long id = (long long)sqlite3_last_insert_rowid(db);
	char tb[32];
	if (rc != SQLITE_OK) {
		cli_err("cannot record the request: %s", sqlite3_errmsg(db));
		store_rollback(st);
		return EXIT_STORE;
	}
	if (fe_audit(cli, st, target, "four-eyes-request", "request %lld: %s (expires %s)", id, logged,
		     fmt_time(expires, tb, sizeof(tb)))) {
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
static int load_pending(struct cli *cli, const char *verb, long long id, struct fe_req *r,
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
		cli_err("cannot read the requests: %s", sqlite3_errmsg(store_db(st)));
		return EXIT_STORE;
	}
	int g = req_get(st, id, r);
	char why[600] = "";
	if (g < 0) {
		store_rollback(st);
		cli_err("cannot read request %lld: %s", id, sqlite3_errmsg(store_db(st)));
		return EXIT_STORE;
	}
	struct fe_who w;
	who_am_i(cli, &w);
	if (g == 1)
		snprintf(why, sizeof(why), "no request %lld", id);
	else if (strcmp(r->state, "pending"))
		snprintf(why, sizeof(why), "request %lld is %s%s%s, not pending", id, r->state,
			 *r->decided_by ? " by " : "", r->decided_by);
	else if (check_person && !w.person)
		snprintf(why, sizeof(why), "request %lld: %s is root without a login uid or SUDO_USER "
			 "(a cron job or a direct root login): an approver must be a named admin",
			 id, cli->admin);
	else if (check_person && same_person(r->requester, r->requester_login, cli->admin, w.login))
		snprintf(why, sizeof(why), "request %lld was made by %s: the same admin cannot approve "
			 "it; a second, different admin must", id, r->requester);
	int ret = EXIT_OK;
	if (*why) {
		cli_err("%s refused: %s", verb, why);
		if (fe_audit(cli, st, g == 0 ? r->target : NULL, "four-eyes-refused", "%s refused: %s",
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

int cmd_approve(struct cli *cli, int argc, char **argv)
{
	if (cli_wants_help(argc, argv, "approve ID",
			   "Carries out request ID (see 'sosafectl requests') as its command line\n"
			   "says, exactly once. The approver must be a named admin (SUDO_USER or login\n"
			   "uid) other than the one who made the request; the request must not have\n"
			   "expired. The action, its audit record and the approval commit together."))
		return EXIT_OK;
	long long id;
	if (argc != 2 || parse_id(argv[1], &id)) {
		cli_err("approve: give one request ID (a positive number)");
		return EXIT_USAGE;
	}
	struct fe_req *r = calloc(1, sizeof(*r));
	if (!r) {
		cli_err("out of memory");
		return EXIT_FAIL;
	}
	int rc = load_pending(cli, "approve", id, r, true);
	if (rc != EXIT_OK) {
		free(r);
		return rc;
	}
	char *av[FE_MAX_ARGS + 2];
	int n = split_args(r, av, FE_MAX_ARGS);
	const struct fe_cmd *c = find_cmd(n, av);
	char line[1024], logged[1024];
	shown_line(n, av, line, sizeof(line));
	logged_line(cli, n, av, r->target, logged, sizeof(logged));
	if (!c) {
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
	rc = c->run(cli, n, av);
	/* What happened is what the store says, not what the command returned. */
	_cleanup_store_ struct store *st = cli_open_store(cli, 0);
	struct fe_req after;
	if (!st || store_begin(st) != ST_OK || req_get(st, id, &after) != 0) {
		cli_err("cannot tell whether request %lld was carried out: read 'sosafectl requests --all'", id);
		free(r);
		return EXIT_STORE;
	}
	if (!strcmp(after.state, "pending") && rc == EXIT_OK) {
		/* the command succeeded without changing anything (nothing to
		 * unlock, nobody to purge): the request is settled all the same */
		cli->fe_claimed = false;   /* any earlier claim was rolled back */
		if (cli_four_eyes_claim(cli, st) == 0 &&
		    fe_audit(cli, st, r->target, "four-eyes-noop", "request %lld: %s changed nothing", id,
			     logged) == 0 && store_commit(st) == ST_OK)
			snprintf(after.state, sizeof(after.state), "done");
		else
			rc = EXIT_FAIL;
	}
	store_rollback(st);
	bool done = !strcmp(after.state, "done") && (cli->fe_claimed || !strcmp(after.decided_by, cli->admin));
	FILE *out = cli->json ? stderr : stdout;
	if (done)
		fprintf(out, "request %lld (%s, by %s) approved by %s and carried out\n", id, line,
			r->requester, cli->admin);
	else if (!strcmp(after.state, "pending"))
		fprintf(stderr, "sosafectl: request %lld not carried out (the action failed); it stays "
			"pending until it expires or is denied\n", id);
	else
		fprintf(stderr, "sosafectl: request %lld not carried out by this approval (it is %s%s%s)\n",
			id, after.state, *after.decided_by ? " by " : "", after.decided_by);
	cli->fe_request = 0;
	free(r);
	if (done)
		return rc == EXIT_OK ? EXIT_OK : rc;
	return rc == EXIT_OK ? EXIT_FAIL : rc;
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
	struct fe_req *r = calloc(1, sizeof(*r));
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
	sqlite3 *db = store_db(st);
	sqlite3_stmt *q = NULL;
	int sr = store_begin(st) == ST_OK ? SQLITE_OK : SQLITE_ERROR;
	if (sr == SQLITE_OK)
		sr = sqlite3_prepare_v2(db, "UPDATE four_eyes_request SET state = 'denied', decided_by = ?,"
					" decided = ? WHERE id = ? AND state = 'pending'", -1, &q, NULL);
	if (sr == SQLITE_OK) {
		sqlite3_bind_text(q, 1, cli->admin, -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 2, (int64_t)time(NULL));
		sqlite3_bind_int64(q, 3, id);
		sr = sqlite3_step(q) == SQLITE_DONE && sqlite3_changes(db) == 1 ? SQLITE_OK : SQLITE_ERROR;
	}
	sqlite3_finalize(q);
	if (sr != SQLITE_OK ||
	    fe_audit(cli, st, r->target, "four-eyes-deny", "request %lld (%s by %s) denied", id,
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
	sqlite3 *db = store_db(st);
	sqlite3_stmt *q = NULL;
	store_begin_read(st);
	int rc = sqlite3_prepare_v2(db, all ? "SELECT id, action, args, requester, created, expires, state,"
					      " decided_by FROM four_eyes_request ORDER BY id"
					    : "SELECT id, action, args, requester, created, expires, state,"
					      " decided_by FROM four_eyes_request WHERE state = 'pending'"
					      " ORDER BY id", -1, &q, NULL);
	if (rc != SQLITE_OK) {
		cli_err("cannot read the requests: %s", sqlite3_errmsg(db));
		store_rollback(st);
		return EXIT_STORE;
	}
	if (cli->json)
		fputs("[", stdout);
	unsigned n = 0;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct fe_req r;
		memset(&r, 0, sizeof(r));
		copy_col(q, 2, r.args, sizeof(r.args));
		char *av[FE_MAX_ARGS + 2], line[1024], b1[32], b2[32];
		int na = split_args(&r, av, FE_MAX_ARGS);
		shown_line(na, av, line, sizeof(line));
		long long id = sqlite3_column_int64(q, 0);
		const char *action = (const char *)sqlite3_column_text(q, 1);
		const char *by = (const char *)sqlite3_column_text(q, 3);
		const char *state = (const char *)sqlite3_column_text(q, 6);
		const char *dby = (const char *)sqlite3_column_text(q, 7);
		fmt_time(sqlite3_column_int64(q, 4), b1, sizeof(b1));
		fmt_time(sqlite3_column_int64(q, 5), b2, sizeof(b2));
		if (cli->json) {
			printf("%s{\"id\":%lld,\"action\":", n ? ",\n" : "", id);
			json_str(stdout, action);
			fputs(",\"command\":", stdout);
			json_str(stdout, line);
			fputs(",\"requester\":", stdout);
			json_str(stdout, by);
			printf(",\"created\":\"%s\",\"expires\":\"%s\",\"state\":", b1, b2);
			json_str(stdout, state);
			fputs(",\"decided_by\":", stdout);
			if (dby && *dby)
				json_str(stdout, dby);
			else
				fputs("null", stdout);
			fputs("}", stdout);
		} else {
			if (n == 0)
				printf("%-5s %-8s %-16s %-20s %-20s %s\n", "ID", "STATE", "REQUESTER", "CREATED",
				       "EXPIRES", "COMMAND");
			printf("%-5lld %-8s %-16s %-20s %-20s %s%s%s\n", id, state, by, b1, b2, line,
			       dby && *dby ? "  # by " : "", dby && *dby ? dby : "");
		}
		n++;
	}
	sqlite3_finalize(q);
	store_rollback(st);
	if (cli->json)
		fputs("]\n", stdout);
	else if (n == 0)
		printf("no %srequests\n", all ? "" : "pending ");
	return rc == SQLITE_DONE ? EXIT_OK : EXIT_STORE;
}
