/* report and review: the access-review report (R7). */
#include <config.h>

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "action.h"
#include "audit/audit.h"
#include "base/accounts.h"
#include "cli.h"
#include "base/util.h"
#include "store/report_store.h"

enum fmt { F_TEXT, F_JSON, F_CSV };

/* Every account of the host's passwd file, read as a file: through NSS the
 * directory's users (nss_sosafe) would come back as local ones. NIS compat
 * lines (+name, -name) are no accounts of their own. Returns an exit code. */
static int add_local_accounts(struct store *st, struct report_cursor *cur, const char *path)
{
	FILE *f = fopen(path, "re");
	if (!f) {
		cli_err("cannot read the local accounts in %s: %s", path, strerror(errno));
		return EXIT_FAIL;
	}
	const struct passwd *pw;
	int rc = EXIT_OK;
	while (rc == EXIT_OK && (pw = fgetpwent(f))) {
		if (pw->pw_name[0] == '+' || pw->pw_name[0] == '-')
			continue;
		if (report_add_local(cur, pw->pw_name) != ST_OK) {
			cli_err("cannot read the store: %s", store_cause(st));
			rc = EXIT_STORE;
		}
	}
	fclose(f);
	return rc;
}

/* When USER's access review is due: REVIEWED plus the interval of its kind
 * (privileged or not); 0 if it was never reviewed (due now). */
static int64_t review_due_at(const struct sosafe_config *cfg, bool privileged, int64_t reviewed)
{
	unsigned days = privileged ? cfg->privileged_review_days : cfg->review_days;
	return reviewed ? reviewed + (int64_t)days * SOSAFE_DAY : 0;
}

/* The privileged groups of privileged_groups, each looked up once. */
#define PRIV_MAX 32
struct priv_group {
	char name[257];
	bool found;
	gid_t gid;
	char **members;     /* NULL-terminated copy */
};
struct priv_set {
	struct priv_group g[PRIV_MAX];
	unsigned n;
};

static void priv_load(struct priv_set *ps, const char *list)
{
	memset(ps, 0, sizeof(*ps));
	const char *p = list;
	while (*p && ps->n < PRIV_MAX) {
		while (*p == ',' || *p == ' ' || *p == '\t')
			p++;
		size_t len = strcspn(p, ",");
		size_t l = len;
		while (l && (p[l - 1] == ' ' || p[l - 1] == '\t'))
			l--;
		if (l && l < sizeof(ps->g[0].name)) {
			struct priv_group *g = &ps->g[ps->n++];
			memcpy(g->name, p, l);
			g->name[l] = '\0';
			struct group *gr = getgrnam(g->name);
			if (gr) {
				size_t k = 0;
				while (gr->gr_mem && gr->gr_mem[k])
					k++;
				g->members = calloc(k + 1, sizeof(char *));
				for (size_t i = 0; g->members && i < k; i++)
					g->members[i] = strdup(gr->gr_mem[i]);
				g->found = g->members != NULL;
				g->gid = gr->gr_gid;
			}
		}
		p += len;
	}
	endgrent();
}

static void priv_free(struct priv_set *ps)
{
	for (unsigned i = 0; i < ps->n; i++) {
		for (char **m = ps->g[i].members; m && *m; m++)
			free(*m);
		free(ps->g[i].members);
	}
}

/* Privileged groups of USER (primary group or listed member), joined by SEP. */
static void priv_of(const struct priv_set *ps, const char *user, const char *sep, char *out, size_t len)
{
	struct passwd *pw = getpwnam(user);
	size_t used = 0;
	out[0] = '\0';
	for (unsigned i = 0; i < ps->n; i++) {
		const struct priv_group *g = &ps->g[i];
		if (!g->found)
			continue;
		bool in = pw && pw->pw_gid == g->gid;
		for (char **m = g->members; !in && m && *m; m++)
			in = !strcmp(*m, user);
		if (!in)
			continue;
		int w = snprintf(out + used, len - used, "%s%s", used ? sep : "", g->name);
		if (w < 0 || (size_t)w >= len - used)
			break;
		used += (size_t)w;
	}
}

/* One RFC 4180 cell. A cell a spreadsheet would run as a formula (it starts
 * with = + - @, a tab or a CR) gets a leading ' and quotes: any name a remote
 * client typed reaches this report. */
static void csv_field(const char *s, bool last)
{
	bool formula = *s && strchr("=+-@\t\r", *s);
	bool quote = formula || strpbrk(s, ",\"\r\n") != NULL;
	if (quote) {
		putchar('"');
		if (formula)
			putchar('\'');
		for (; *s; s++) {
			if (*s == '"')
				putchar('"');
			putchar(*s);
		}
		putchar('"');
	} else {
		fputs(s, stdout);
	}
	putchar(last ? '\n' : ',');
}

int cmd_report(struct cli *cli, int argc, char **argv)
{
	if (cli_wants_help(argc, argv, "report [--days N] [--json|--csv]",
			   "One line per account of the host (every entry of /etc/passwd and every\n"
			   "directory user) and nothing else: status, locked, TOTP enrolled, recovery\n"
			   "codes left, last successful login, locks in the last N days (default 90,\n"
			   "from the audit trail), last review and reviewer, whether a review is due\n"
			   "(review_days, privileged_review_days) and when the next one is, and the\n"
			   "privileged groups (privileged_groups in sosafe.conf) the account is in."))
		return EXIT_OK;
	enum fmt f = cli->json ? F_JSON : F_TEXT;
	unsigned days = 90;
	const char *passwd_path = "/etc/passwd";
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--passwd-file") && i + 1 < argc) {
			if (!cli_test_options_allowed(cli)) {
				cli_err("--passwd-file is a test option: refused for the compiled-in "
					"state_dir %s", SOSAFE_STATE_DIR);
				return EXIT_USAGE;
			}
			passwd_path = argv[++i];
		} else if (!strcmp(argv[i], "--json"))
			f = F_JSON;
		else if (!strcmp(argv[i], "--csv"))
			f = F_CSV;
		else if (!strcmp(argv[i], "--days") && i + 1 < argc &&
			 sscanf(argv[i + 1], "%u", &days) == 1 && days > 0 && days <= 36500) /* NOLINT(cert-err34-c) */
			i++;
		else {
			cli_err("report: unexpected argument '%s' (try report --help)", argv[i]);
			return EXIT_USAGE;
		}
	}
	_cleanup_store_ struct store *st = cli_open_store(cli, STORE_RDONLY);
	if (!st)
		return EXIT_STORE;
	unsigned char key[AUDIT_KEY_LEN];
	bool have_key = audit_key_load(cli->cfg.state_dir, false, key, NULL) == 0;
	int64_t now = time(NULL), since = now - (int64_t)days * SOSAFE_DAY;
	struct report_cursor *cur = NULL;
	store_begin_read(st);
	enum store_status s = report_open(st, since, &cur);
	int rc = s == ST_OK ? add_local_accounts(st, cur, passwd_path) : EXIT_OK;
	if (rc != EXIT_OK) {
		explicit_bzero(key, sizeof(key));
		report_close(cur);
		store_rollback(st);
		return rc;
	}
	if (s != ST_OK) {
		cli_err("cannot read the store: %s", store_cause(st));
		explicit_bzero(key, sizeof(key));
		store_rollback(st);
		return EXIT_STORE;
	}
	struct priv_set ps;
	priv_load(&ps, cli->cfg.privileged_groups);
	if (f == F_CSV)
		printf("user,source,status,locked,totp,recovery_codes_left,last_success,locks_in_period,"
		       "last_review,reviewer,privileged_groups,review_due,next_review\n");
	else if (f == F_JSON)
		fputs("[", stdout);
	else
		printf("%-20s %-9s %-11s %-6s %-4s %-5s %-20s %-5s %-20s %-16s %-3s %-20s %s\n", "USER",
		       "SOURCE", "STATUS", "LOCKED", "TOTP", "CODES", "LAST-SUCCESS", "LOCKS", "LAST-REVIEW",
		       "REVIEWER", "DUE", "NEXT-REVIEW", "PRIVILEGED");
	unsigned n = 0;
	struct report_row row;
	while ((s = report_next(cur, &row)) == ST_OK) {
		const char *user = row.user, *reviewer = row.reviewer;
		bool dir = row.directory, totp = row.totp;
		int64_t deact = row.deactivated_at, until = row.locked_until;
		long codes = row.recovery_left;
		int64_t last = row.last_success, rtime = row.review_time;
		char pseudo[AUDIT_PSEUDO_LEN] = "";
		if (have_key)
			audit_pseudonym(key, user, pseudo);
		long nlocks = report_locks(cur, user, pseudo);
		const char *source = dir ? "directory" : "local";
		const char *status = dir && deact ? "deactivated" : "active";
		bool locked = until > now;
		char b1[32], b2[32];
		const char *ls = fmt_time(last, b1, sizeof(b1)), *rs = fmt_time(rtime, b2, sizeof(b2));
		char codes_s[24], locks_s[24], priv[1200];
		priv_of(&ps, user, f == F_CSV ? ";" : f == F_JSON ? "\x1f" : ",", priv, sizeof(priv));
		bool is_root = false, is_admin = false;
		account_privilege(user, cli->cfg.admin_group, &is_root, &is_admin);
		bool privileged = *priv || is_root || is_admin;
		int64_t due_at = review_due_at(&cli->cfg, privileged, rtime);
		bool due = !due_at || due_at <= now;
		char b3[32];
		const char *ns = fmt_time(due_at, b3, sizeof(b3));
		snprintf(codes_s, sizeof(codes_s), "%ld", codes);
		snprintf(locks_s, sizeof(locks_s), "%ld", nlocks);
		if (f == F_JSON) {
			fputs(n ? ",\n{\"user\":" : "{\"user\":", stdout);
			json_str(stdout, user);
			printf(",\"source\":\"%s\",\"status\":\"%s\",\"locked\":%s,\"totp\":%s,"
			       "\"recovery_codes_left\":%ld,\"last_success\":",
			       source, status, locked ? "true" : "false", totp ? "true" : "false", codes);
			if (last)
				json_str(stdout, ls);
			else
				fputs("null", stdout);
			printf(",\"locks_in_period\":%ld,\"last_review\":", nlocks);
			if (rtime)
				json_str(stdout, rs);
			else
				fputs("null", stdout);
			fputs(",\"reviewer\":", stdout);
			if (*reviewer)
				json_str(stdout, reviewer);
			else
				fputs("null", stdout);
			printf(",\"review_due\":%s,\"next_review\":", due ? "true" : "false");
			if (due_at)
				json_str(stdout, ns);
			else
				fputs("null", stdout);
			printf(",\"privileged\":%s,\"privileged_groups\":[", privileged ? "true" : "false");
			for (char *g = priv, *next; *g; g = next) {
				next = strchr(g, '\x1f');
				if (next)
					*next++ = '\0';
				else
					next = g + strlen(g);
				if (g != priv)
					fputc(',', stdout);
				json_str(stdout, g);
			}
			fputs("]}", stdout);
		} else if (f == F_CSV) {
			const char *fields[] = { user, source, status, locked ? "yes" : "no", totp ? "yes" : "no",
						 codes_s, last ? ls : "", locks_s, rtime ? rs : "", reviewer, priv,
						 due ? "yes" : "no", due_at ? ns : "" };
			for (size_t i = 0; i < ARRAY_SIZE(fields); i++)
				csv_field(fields[i], i + 1 == ARRAY_SIZE(fields));
		} else {
			printf("%-20s %-9s %-11s %-6s %-4s %-5ld %-20s %-5ld %-20s %-16s %-3s %-20s %s\n", user,
			       source, status, locked ? "yes" : "no", totp ? "yes" : "no", codes, ls, nlocks, rs,
			       *reviewer ? reviewer : "-", due ? "yes" : "no", ns, *priv ? priv : "-");
		}
		n++;
	}
	if (f == F_JSON)
		fputs("]\n", stdout);
	priv_free(&ps);
	explicit_bzero(key, sizeof(key));
	report_close(cur);
	store_rollback(st);
	if (s != ST_NOTFOUND) {
		cli_err("cannot read the store: %s", store_cause(st));
		return EXIT_STORE;
	}
	return EXIT_OK;
}

struct review {
	const char *user, *by;
};

static enum store_status put_review(struct store *st, struct action *a)
{
	const struct review *rv = a->ctx;
	return report_review_put(st, rv->user, (int64_t)time(NULL), rv->by);
}

int cmd_review(struct cli *cli, int argc, char **argv)
{
	if (cli_wants_help(argc, argv, "review USER --by NAME",
			   "Records that NAME reviewed the access of USER now (shown by report,\n"
			   "written to the audit trail with the acting admin)."))
		return EXIT_OK;
	const char *user = NULL, *by = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--by") && i + 1 < argc)
			by = argv[++i];
		else if (argv[i][0] != '-' && !user)
			user = argv[i];
		else {
			cli_err("review: unexpected argument '%s' (try review --help)", argv[i]);
			return EXIT_USAGE;
		}
	}
	if (!user || !by) {
		cli_err("review: give USER and --by NAME");
		return EXIT_USAGE;
	}
	if (!cli_valid_user(user) || !cli_valid_user(by))
		return EXIT_USAGE;
	_cleanup_store_ struct store *st = cli_open_store(cli, 0);
	if (!st)
		return EXIT_STORE;
	struct review rv = { user, by };
	struct action a = { .event = "review", .user = user, .change = put_review, .ctx = &rv };
	snprintf(a.detail, sizeof(a.detail), "reviewed by %s", by);
	cli->log.user = user;
	enum action_result r = action_run(cli, st, &a);
	if (r != ACTION_DONE)
		return action_exit(r);
	log_event(LOG_NOTICE, &cli->log, "review", "reviewed by %s (recorded by %s)", by, cli->admin);
	printf("review of %s by %s recorded\n", user, by);
	return EXIT_OK;
}
