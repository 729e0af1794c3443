/* sync and purge: the directory lifecycle (see sosafectl(8), nss_sosafe(8)). */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "action.h"
#include "cli.h"
#include "directory/directory.h"
#include "ldap/ldap_pull.h"
#include "base/names.h"
#include "snapshot/snapshot_age.h"

/* min_sync_fraction: refuse a pull whose active users are fewer than that
 * share of the users active in the store now. */
static int check_fraction(struct store *st, const struct sosafe_config *cfg,
			  const struct directory *d, long long now, struct sosafe_err *e)
{
	long long known = 0;
	const char *entitled;
	if (directory_entitled(d, cfg, &entitled, e))
		return -1;
	if (dir_users_active_count(st, &known) != ST_OK)
		return err_set(e, "cannot read the store: %s", store_error(st));
	size_t active = 0;
	for (size_t i = 0; i < d->nusers; i++) {
		const char *why;
		if (directory_user_active(d, &d->users[i], entitled, now, &why))
			active++;
	}
	if (known > 0 && (long long)active * 1000 < known * (long long)cfg->min_sync_permille)
		return err_set(e, "the directory gave %zu active user(s) where %lld are active "
			    "now (below min_sync_fraction %u.%03u): refusing to deactivate them "
			    "(wrong filter or base, or an empty replica?)", active, known,
			    cfg->min_sync_permille / 1000, cfg->min_sync_permille % 1000);
	return 0;
}

/* Why a sync was refused, for syslog and the audit trail: an export's
 * errors name users and uids, so with pseudonyms only the terminal has them. */
static const char *refusal_logged(const struct cli *cli, const char *err)
{
	return audit_hides_names(&cli->log)
		       ? "refused; the reason names users, shown on the terminal only "
			 "(log_identity = pseudonym)"
		       : err;
}

/* A sync that did not publish: said on the terminal and in syslog, with
 * how close the snapshot in place is to refusing every directory user (a
 * timer runs this path daily; its failure must be heard before that). */
static void sync_refused(struct cli *cli, const char *what, const char *why, int64_t now)
{
	cli_err("%s, snapshot unchanged: %s", what, why);
	log_event(LOG_ERR, &cli->log, "sync-refused", "%s", refusal_logged(cli, why));
	int64_t generated_at;
	struct sosafe_err e;
	if (snap_age_read(cli->cfg.state_dir, &generated_at, &e) != 0)
		return;
	unsigned max = cli->cfg.max_snapshot_age;
	if (snap_age_warn(&cli->log, NULL, generated_at, now, max) != SNAP_AGE_FRESH)
		cli_err("warning: the directory snapshot is %lld s old; at %u s "
			"(max_snapshot_age) every directory user is refused",
			(long long)(now - generated_at), max);
}

struct common_opts {
	struct sync_opts o;
	const char *from;
	bool report;
	bool quiet;
};

static int parse_opts(struct cli *cli, int argc, char **argv, struct common_opts *c, bool sync)
{
	memset(c, 0, sizeof(*c));
	c->o.now = time(NULL);
	c->o.admin = cli->admin;
	bool test = false;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *next = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--json")) {
			cli->json = true;
		} else if (sync && !strcmp(a, "--quiet")) {
			c->quiet = true;
		} else if (!strcmp(a, "--dry-run")) {
			c->o.dry_run = true;
		} else if (sync && !strcmp(a, "--from") && next) {
			c->from = argv[++i];
		} else if (!sync && !strcmp(a, "--report")) {
			c->report = true;
		} else if (!strcmp(a, "--now") && next) {
			char *end;
			errno = 0;
			long long v = strtoll(next, &end, 10);
			if (errno || *end || v <= 0) {
				cli_err("--now wants unix seconds");
				return EXIT_USAGE;
			}
			c->o.now = v;
			test = true;
			i++;
		} else if (!strcmp(a, "--passwd-file") && next) {
			c->o.passwd_path = argv[++i];
			test = true;
		} else if (!strcmp(a, "--group-file") && next) {
			c->o.group_path = argv[++i];
			test = true;
		} else {
			cli_err("unexpected argument '%s' (try --help)", a);
			return EXIT_USAGE;
		}
	}
	if (test && !cli_test_options_allowed(cli)) {
		cli_err("--now, --passwd-file and --group-file are test options: refused for the "
			"compiled-in state_dir %s", SOSAFE_STATE_DIR);
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

/* A change's uid as shown: "-" for a quarantined user who never had one. */
static const char *uid_text(long long uid, char buf[24])
{
	if (uid < 0)
		return "-";
	snprintf(buf, 24, "%lld", uid);
	return buf;
}

static size_t count_changes(const struct sync_result *r, const char *what)
{
	size_t n = 0;
	for (size_t i = 0; i < r->nchanges; i++)
		n += !strcmp(r->changes[i].what, what);
	return n;
}

static void print_result(struct cli *cli, const struct sync_result *r, bool dry_run)
{
	size_t held = count_changes(r, "quarantined");
	if (cli->json) {
		printf("{\"dry_run\":%s,\"serial\":%llu,\"published\":%zu,\"active\":%zu,"
		       "\"deactivated\":%zu,\"groups\":%zu,\"idle_tallies_pruned\":%ld,"
		       "\"quarantined\":%zu,\"changes\":[",
		       dry_run ? "true" : "false", (unsigned long long)r->serial, r->published,
		       r->active, r->deactivated, r->groups, r->idle_pruned, held);
		for (size_t i = 0; i < r->nchanges; i++) {
			const struct sync_change *c = &r->changes[i];
			printf("%s{\"user\":", i ? "," : "");
			json_str(stdout, c->user);
			char u[24];
			printf(",\"uid\":%s,\"change\":\"%s\",\"why\":",
			       c->uid < 0 ? "null" : uid_text(c->uid, u), c->what);
			json_str(stdout, c->why);
			printf("}");
		}
		printf("]}\n");
		return;
	}
	for (size_t i = 0; i < r->nchanges; i++) {
		const struct sync_change *c = &r->changes[i];
		char shown[80];
		name_for_log(c->user, shown, sizeof(shown));
		char u[24];
		printf("%-12s %-20s uid=%-10s %s\n", c->what, shown, uid_text(c->uid, u), c->why);
	}
	if (r->idle_pruned)
		printf("%ld idle lockout record(s) forgotten (never logged in, nothing in force)\n",
		       r->idle_pruned);
	printf("%s%zu user(s) published (%zu active, %zu deactivated), %zu group(s), "
	       "snapshot serial %llu%s\n", dry_run ? "dry run: " : "", r->published, r->active,
	       r->deactivated, r->groups, (unsigned long long)r->serial,
	       dry_run ? " (nothing written)" : "");
	if (held)
		printf("%zu record(s) quarantined: left out, as they were before; fix them in the "
		       "directory\n", held);
}

/* Each quarantined record on the terminal (stderr, also under --json), so
 * that whoever runs the sync sees it even when the rest went through. */
static void warn_quarantined(const struct sync_result *r)
{
	for (size_t i = 0; i < r->nchanges; i++) {
		const struct sync_change *c = &r->changes[i];
		if (strcmp(c->what, "quarantined"))
			continue;
		char shown[80];
		name_for_log(c->user, shown, sizeof(shown));
		cli_err("warning: %s quarantined (left out of this sync): %s", shown, c->why);
	}
}

/* Up to this many new users in one sync, each gets its own syslog line and
 * audit record; beyond (a first sync of a large directory: 100k records
 * were a third of its time) the new users are listed by name and uid in
 * grouped lines of about 400 bytes, one audit record per line. Every other
 * change (renamed, deactivated, reactivated, purged) always has its own. */
#define PER_USER_NEW_MAX 1000
#define GROUP_BYTES 360   /* + one entry + prefix stays below the 512-byte audit detail */

static bool group_new_users(const struct sync_result *r)
{
	size_t nnew = 0;
	for (size_t i = 0; i < r->nchanges; i++)
		nnew += !strcmp(r->changes[i].what, "new");
	return nnew > PER_USER_NEW_MAX;
}

static bool grouped(const struct sync_change *c, bool group_new)
{
	return group_new && !strcmp(c->what, "new");
}

/* Calls FN with each line of grouped new users ("name(uid) name(uid) ...";
 * with pseudonyms, "pn:... pn:..." without uids), the number listed so far
 * and the total. */
static int foreach_new_group(const struct log_ctx *lc, const struct sync_result *r,
			     int (*fn)(const char *line, size_t done, size_t total, void *ctx),
			     void *ctx)
{
	bool hide = audit_hides_names(lc);
	size_t total = 0;
	for (size_t i = 0; i < r->nchanges; i++)
		total += !strcmp(r->changes[i].what, "new");
	char line[GROUP_BYTES + 128];
	size_t len = 0, in_line = 0, done = 0;
	for (size_t i = 0; i <= r->nchanges; i++) {
		const struct sync_change *c = i < r->nchanges ? &r->changes[i] : NULL;
		if (c && strcmp(c->what, "new"))
			continue;
		if (in_line && (!c || len > GROUP_BYTES)) {
			done += in_line;
			if (fn(line, done, total, ctx))
				return -1;
			len = in_line = 0;
		}
		if (!c)
			break;
		char shown[80];
		int w;
		if (hide) {
			w = snprintf(line + len, sizeof(line) - len, "%s%s", len ? " " : "",
				     audit_name_shown(lc, c->user, shown, sizeof(shown)));
		} else {
			name_for_log(c->user, shown, sizeof(shown));
			w = snprintf(line + len, sizeof(line) - len, "%s%s(%lld)", len ? " " : "", shown,
				     c->uid);
		}
		if (w > 0 && (size_t)w < sizeof(line) - len)
			len += (size_t)w;
		in_line++;
	}
	return 0;
}

struct group_log {
	struct cli *cli;
	const char *cmd;
	struct store *st;
};

static int log_group(const char *line, size_t done, size_t total, void *vctx)
{
	struct group_log *g = vctx;
	log_event(LOG_NOTICE, &g->cli->log, "new", "%s: new users %zu of %zu: %s (by %s)", g->cmd,
		  done, total, line, g->cli->admin);
	return 0;
}

static int audit_group(const char *line, size_t done, size_t total, void *vctx)
{
	struct group_log *g = vctx;
	return action_audit(g->cli, g->st, NULL, "new", "%s: new users %zu of %zu: %s", g->cmd,
				done, total, line);
}

/* The text of change C for its syslog line and audit record. With
 * pseudonyms the user field alone says who (pseudonymised): no uid, and a
 * rename names the old name by its pseudonym, without the stable id. */
static void change_detail(const struct cli *cli, const struct sync_change *c, const char *cmd,
			  char *buf, size_t len)
{
	char shown[AUDIT_PSEUDO_LEN];
	if (!audit_hides_names(&cli->log)) {
		char u[24];
		snprintf(buf, len, "%s: uid %s; %s", cmd, uid_text(c->uid, u), c->why);
	} else if (c->from) {
		snprintf(buf, len, "%s: renamed from %s; %s", cmd,
			 audit_name_shown(&cli->log, c->from, shown, sizeof(shown)),
			 c->why_anon ? c->why_anon : "");
	} else {
		snprintf(buf, len, "%s: %s", cmd, c->why_anon ? c->why_anon : c->why);
	}
}

static void log_changes(struct cli *cli, const struct sync_result *r, const char *cmd)
{
	bool group_new = group_new_users(r);
	for (size_t i = 0; i < r->nchanges; i++) {
		const struct sync_change *c = &r->changes[i];
		if (grouped(c, group_new))
			continue;
		char detail[512];
		change_detail(cli, c, cmd, detail, sizeof(detail));
		cli->log.user = c->user;
		log_event(strcmp(c->what, "quarantined") ? LOG_NOTICE : LOG_WARNING, &cli->log, c->what,
			  "%s (by %s)", detail, cli->admin);
	}
	cli->log.user = NULL;
	struct group_log g = { cli, cmd, NULL };
	if (group_new)
		foreach_new_group(&cli->log, r, log_group, &g);
}

struct audit_hook {
	struct cli *cli;
	const char *cmd;
};

/* Inside the sync or purge transaction: one record per change (new users
 * of a large sync grouped, see above) and one for the sync as a whole, so
 * the changes commit with their records. */
static int audit_in_tx(struct store *st, const struct sync_result *r, void *vctx)
{
	struct audit_hook *h = vctx;
	if (action_claim(h->cli, st))   /* an approved purge: claimed with whatever it does */
		return -1;
	bool group_new = group_new_users(r);
	for (size_t i = 0; i < r->nchanges; i++) {
		const struct sync_change *c = &r->changes[i];
		if (grouped(c, group_new))
			continue;
		char detail[512];
		change_detail(h->cli, c, h->cmd, detail, sizeof(detail));
		if (action_audit(h->cli, st, c->user, c->what, "%s", detail))
			return -1;
	}
	struct group_log g = { h->cli, h->cmd, st };
	if (group_new && foreach_new_group(&h->cli->log, r, audit_group, &g))
		return -1;
	if (!strcmp(h->cmd, "sync") &&
	    action_audit(h->cli, st, NULL, "sync", "%zu active, %zu deactivated, %zu change(s)",
			     r->active, r->deactivated, r->nchanges))
		return -1;
	return 0;
}

int cmd_sync(struct cli *cli, int argc, char **argv)
{
	if (cli_wants_help(argc, argv, "sync [--from FILE] [--dry-run] [--json] [--quiet]",
			   "Without --from, pulls users and groups from the directory named by\n"
			   "ldap_uri (TLS 1.2 or later, certificate checked against ldap_ca_file).\n"
			   "With --from, reads a directory export (LDIF as ldapsearch prints Active Directory\n"
			   "entries, or the JSON form described in sosafectl(8)), purges users deactivated\n"
			   "longer than grace_days, records who is active (enabled, not expired,\n"
			   "member of entitled_group), allocates uids in uid_min..uid_max where the\n"
			   "directory gives none, and replaces the snapshot served by nss_sosafe.\n"
			   "A bad export is refused with the line that is wrong; nothing changes.\n"
			   "On a terminal the pull shows a progress line on stderr; --quiet (or no\n"
			   "terminal: cron, systemd) turns it off."))
		return EXIT_OK;
	struct common_opts c;
	int rc = parse_opts(cli, argc, argv, &c, true);
	if (rc)
		return rc;
	struct sosafe_err e = { "" };
	const char *err = e.msg;
	struct directory d;
	if (c.from) {
		if (directory_parse_file(c.from, &d, &e)) {
			sync_refused(cli, "export refused", err, c.o.now);
			return EXIT_FAIL;
		}
	} else {
		if (!cli->cfg.ldap_uri[0]) {
			cli_err("sync: set ldap_uri in %s, or give an export with --from FILE",
				cli->cfg.conf_path);
			return EXIT_USAGE;
		}
		struct ldap_pull_info info;
		bool progress = !c.quiet && !cli->json && isatty(STDERR_FILENO);
		if (ldap_pull(&cli->cfg, &d, &info, progress, &e)) {
			sync_refused(cli, "directory pull failed", err, c.o.now);
			return EXIT_FAIL;
		}
		if (info.insecure) {
			cli_err("warning: plain LDAP without TLS to %s (ldap_insecure = yes)", info.uri);
			log_event(LOG_WARNING, &cli->log, "sync-insecure",
				  "directory read over plain LDAP from %s (ldap_insecure)", info.uri);
		}
		if (d.skipped_unsafe) {
			cli_err("warning: %zu directory account(s) left out: their name is not a safe "
				"Unix user name (e.g. a space or a trailing $); they cannot log in here",
				d.skipped_unsafe);
			log_event(LOG_WARNING, &cli->log, "sync-skipped",
				  "%zu account(s) with names unusable on Unix left out",
				  d.skipped_unsafe);
		}
		log_event(LOG_INFO, &cli->log, "sync-pull", "%s%s%s: %zu entries in %zu page(s)",
			  info.uri, info.tls[0] ? " over " : "", info.tls, info.entries, info.pages);
		if (!cli->json)
			printf("pulled %zu user(s), %zu group(s) from %s (%s, %zu page(s))\n",
			       d.nusers, d.ngroups, info.uri, info.tls[0] ? info.tls : "no TLS",
			       info.pages);
	}
	_cleanup_store_ struct store *st = cli_open_store(cli, STORE_CREATE);
	if (!st) {
		directory_free(&d);
		return EXIT_STORE;
	}
	if (!c.from && check_fraction(st, &cli->cfg, &d, c.o.now, &e)) {
		directory_free(&d);
		sync_refused(cli, "sync refused", err, c.o.now);
		return EXIT_FAIL;
	}
	struct sync_result r;
	struct audit_hook hook = { cli, "sync" };
	c.o.in_tx = audit_in_tx;
	c.o.in_tx_ctx = &hook;
	rc = directory_sync(st, &cli->cfg, &d, &c.o, &r, &e);
	directory_free(&d);
	if (rc) {
		sync_refused(cli, "sync refused", err, c.o.now);
		action_record_after(cli, NULL, "sync-refused", "%s", refusal_logged(cli, err));
		sync_result_free(&r);
		return EXIT_FAIL;
	}
	if (!c.o.dry_run) {
		log_changes(cli, &r, "sync");
		log_event(LOG_INFO, &cli->log, "sync", "serial %llu: %zu published, %zu deactivated "
			  "(by %s)", (unsigned long long)r.serial, r.published, r.deactivated,
			  cli->admin);
	}
	warn_quarantined(&r);
	print_result(cli, &r, c.o.dry_run);
	sync_result_free(&r);
	return EXIT_OK;
}

struct report_ctx {
	struct cli *cli;
	size_t n;
};

static int print_row(const struct deletion_row *row, void *vctx)
{
	struct report_ctx *ctx = vctx;
	char a[64], b[64];
	if (ctx->cli->json) {
		printf("%s{\"id\":%lld,\"user\":", ctx->n ? "," : "", row->id);
		json_str(stdout, row->user);
		printf(",\"uid\":%lld,\"deactivated_at\":\"%s\",\"purged_at\":\"%s\",\"records\":%lld,"
		       "\"rule\":", row->uid, fmt_time(row->deactivated_at, a, sizeof(a)),
		       fmt_time(row->purged_at, b, sizeof(b)), row->records);
		json_str(stdout, row->rule);
		printf(",\"by\":");
		json_str(stdout, row->admin);
		printf("}");
	} else {
		if (ctx->n == 0)
			printf("%-5s %-20s %-10s %-20s %-20s %-7s %-12s %s\n", "id", "user", "uid",
			       "deactivated", "purged", "records", "by", "rule");
		char shown[80];
		name_for_log(row->user, shown, sizeof(shown));
		printf("%-5lld %-20s %-10lld %-20s %-20s %-7lld %-12s %s\n", row->id, shown, row->uid,
		       fmt_time(row->deactivated_at, a, sizeof(a)),
		       fmt_time(row->purged_at, b, sizeof(b)), row->records, row->admin, row->rule);
	}
	ctx->n++;
	return 0;
}

int cmd_purge(struct cli *cli, int argc, char **argv)
{
	if (cli_wants_help(argc, argv, "purge [--report] [--dry-run] [--json]",
			   "Deletes users deactivated longer than grace_days: every per-user record\n"
			   "in the state store, and their entry in the snapshot. Their uid is never\n"
			   "handed out again. Each purge writes a deletion report row (who, uid,\n"
			   "when, how many records, by which rule, by whom); --report shows them."))
		return EXIT_OK;
	struct common_opts c;
	int rc = parse_opts(cli, argc, argv, &c, false);
	if (rc)
		return rc;
	if (c.report) {
		_cleanup_store_ struct store *st = cli_open_store(cli, STORE_RDONLY);
		if (!st)
			return EXIT_STORE;
		struct report_ctx ctx = { cli, 0 };
		if (cli->json)
			printf("[");
		enum store_status s = dir_report_foreach(st, print_row, &ctx);
		if (cli->json)
			printf("]\n");
		else if (ctx.n == 0)
			printf("no deletions recorded\n");
		if (s != ST_OK) {
			cli_err("%s", store_error(st));
			return EXIT_STORE;
		}
		return EXIT_OK;
	}
	_cleanup_store_ struct store *st = cli_open_store(cli, 0);
	if (!st)
		return EXIT_STORE;
	struct sosafe_err e = { "" };
	struct sync_result r;
	struct audit_hook hook = { cli, "purge" };
	c.o.in_tx = audit_in_tx;
	c.o.in_tx_ctx = &hook;
	if (directory_purge(st, &cli->cfg, &c.o, &r, &e)) {
		cli_err("purge failed, nothing changed: %s", e.msg);
		sync_result_free(&r);
		return EXIT_FAIL;
	}
	if (!c.o.dry_run)
		log_changes(cli, &r, "purge");
	if (r.nchanges == 0 && !r.idle_pruned && !cli->json)
		printf("nobody to purge\n");
	else
		print_result(cli, &r, c.o.dry_run);
	sync_result_free(&r);
	return EXIT_OK;
}
