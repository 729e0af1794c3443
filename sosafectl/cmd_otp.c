/* enroll, reset-otp, recovery-codes, enroll-window, import: the second
 * factor as the admin manages it (R2, R10, R11). */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "action.h"
#include "base/base32.h"
#include "base/four_eyes.h"
#include "cli.h"
#include "enroll_pending.h"
#include "otp/otp_answer.h"
#include "otp/otp_import.h"
#include "store/otp_store.h"
#include "qr_term.h"
#include "otp/recovery.h"
#include "base/fsutil.h"
#include "base/util.h"

static int fill_random(uint8_t *buf, size_t len)
{
	size_t got = 0;
	while (got < len) {
		ssize_t n = getrandom(buf + got, len - got, 0);
		if (n < 0 && errno != EINTR)
			return -1;
		if (n > 0)
			got += (size_t)n;
	}
	return 0;
}

static int parse_uint_arg(const char *opt, const char *s, unsigned *out)
{
	char *end = NULL;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || !*s || *end || v > 100000) {
		cli_err("%s: expected a number, got '%s'", opt, s);
		return -1;
	}
	*out = (unsigned)v;
	return 0;
}

/* Read one answer line from stdin; NULL on EOF. */
static char *read_answer(void)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n = getline(&line, &cap, stdin);
	if (n < 0) {
		free(line);
		return NULL;
	}
	if (n && line[n - 1] == '\n')
		line[--n] = '\0';
	return line;
}

struct new_secret {
	const struct otp_record *rec;
	const char *by;
};

/* Store the new secret and close any enrollment window. */
static enum store_status put_secret(struct store *st, struct action *a)
{
	const struct new_secret *n = a->ctx;
	enum store_status s = otp_put(st, a->user, n->rec, n->by);
	return s == ST_OK ? otp_window_set(st, a->user, 0, NULL) : s;
}

/* A known secret (base32) from stdin ("--secret -") or a private file,
 * never from argv: every user can read a command line in /proc. */
static int read_known_secret(char *arg, const char *file, struct otp_record *r)
{
	if (arg && file) {
		cli_err("give --secret - or --secret-file, not both");
		return EXIT_USAGE;
	}
	if (arg && strcmp(arg, "-")) {
		explicit_bzero(arg, strlen(arg));   /* shortens its life in /proc/PID/cmdline */
		cli_err("--secret: a secret on the command line is refused (every user can read it "
			"in /proc); use --secret - (first line of standard input) or --secret-file FILE "
			"(mode 0600)");
		return EXIT_USAGE;
	}
	char b32[256];
	if (file) {
		struct sosafe_err err;
		if (fs_read_private("--secret-file", file, b32, sizeof(b32), &err)) {
			cli_err("%s", err.msg);
			return EXIT_USAGE;
		}
	} else {
		_cleanup_secret_ char *line = read_answer();
		if (!line || strlen(line) >= sizeof(b32)) {
			cli_err("--secret -: expected the secret (base32) on the first line of standard input");
			return EXIT_USAGE;
		}
		snprintf(b32, sizeof(b32), "%s", line);
	}
	size_t len = strlen(b32);
	while (len && (b32[len - 1] == ' ' || b32[len - 1] == '\t' || b32[len - 1] == '\r'))
		b32[--len] = '\0';
	int n = base32_decode(b32, r->secret, sizeof(r->secret));
	explicit_bzero(b32, sizeof(b32));
	if (n < TOTP_SECRET_NEW) {
		cli_err("%s: not base32, or shorter than 160 bits", file ? "--secret-file" : "--secret -");
		return EXIT_USAGE;
	}
	r->secret_len = (size_t)n;
	return EXIT_OK;
}

static const char enroll_usage[] =
	"enroll USER [--secret - | --secret-file FILE] [--no-confirm | --pending]\n"
	"        [--algorithm SHA1|SHA256|SHA512] [--digits 6|8] [--period 30|60] [--force]\n"
	"        [--no-qr] [--json]\n"
	"       enroll USER --confirm CODE|- [--json]";
static const char enroll_help[] =
	"Create a TOTP secret for USER (>= 160 bits from getrandom), show the otpauth://\n"
	"URI and a QR code, then ask for the current code from the app and activate the\n"
	"secret only if the code is right. --secret - imports a known secret (base32,\n"
	">= 160 bits) from the first line of standard input, --secret-file FILE from a\n"
	"file of root's that nobody else may read (mode 0600); a secret on the command\n"
	"line is refused (every user can read it in /proc). --no-confirm activates\n"
	"without asking (automation). An existing secret is replaced only with --force.\n"
	"In two steps, for scripts: --pending shows the secret (with --json: uri and\n"
	"secret first) and keeps it, inactive, for one hour; --confirm CODE (or - to\n"
	"read the code on stdin) activates it if CODE is the app's current code.";

/* Whether LINE is a current code of R's secret; *STEP gets its time step. */
static bool code_is_right(const struct otp_record *r, const char *line, unsigned window,
			  int64_t *step)
{
	struct otp_answer a;
	bool ok = otp_answer_parse(line, strlen(line), r->params.digits, &a) == 0 &&
		  a.kind == ANSWER_TOTP &&
		  totp_verify(&r->params, r->secret, r->secret_len, time(NULL), window, a.code, -1,
			      step) == TOTP_OK;
	otp_answer_wipe(&a);
	return ok;
}

/* enroll --pending: keep R for enroll --confirm and show it. */
static int enroll_keep_pending(struct cli *cli, const char *user, const struct otp_record *r,
			       bool force, const char *uri, bool qr)
{
	struct sosafe_err err;
	if (enroll_pending_save(cli->cfg.state_dir, cli_keys(cli), user, r, force, &err)) {
		cli_err("%s", err.msg);
		return EXIT_FAIL;
	}
	cli->log.user = user;
	log_event(LOG_NOTICE, &cli->log, "enroll-pending", "by=%s algorithm=%s digits=%u period=%u",
		  cli->admin, totp_algorithm_name(r->params.algorithm), r->params.digits,
		  r->params.period);
	char until[32];
	fmt_time(r->enrolled_at + ENROLL_PENDING_TTL, until, sizeof(until));
	if (!cli->json) {
		printf("Scan this with an authenticator app, or enter the URI:\n%s\n\n", uri);
		if (qr && qr_print_utf8(uri, stdout))
			cli_err("cannot draw the QR code (the URI above works)");
		printf("Not active yet: run  sosafectl enroll %s --confirm CODE  before %s.\n", user,
		       until);
		return EXIT_OK;
	}
	char b32[BASE32_ENCODED_SIZE(TOTP_SECRET_MAX)];
	base32_encode(r->secret, r->secret_len, b32, sizeof(b32));
	fputs("{\"user\":", stdout);
	json_str(stdout, user);
	fputs(",\"uri\":", stdout);
	json_str(stdout, uri);
	printf(",\"secret\":\"%s\",\"algorithm\":\"%s\",\"digits\":%u,\"period\":%u,"
	       "\"confirmed\":false,\"pending_until\":\"%s\"}\n", b32,
	       totp_algorithm_name(r->params.algorithm), r->params.digits, r->params.period, until);
	explicit_bzero(b32, sizeof(b32));
	return EXIT_OK;
}

int cmd_enroll(struct cli *cli, int argc, char **argv)
{
	if (cli_wants_help(argc, argv, enroll_usage, enroll_help))
		return EXIT_OK;
	static const struct option opts[] = {
		{ "secret", required_argument, NULL, 's' }, { "secret-file", required_argument, NULL, 'F' },
		{ "no-confirm", no_argument, NULL, 'n' },
		{ "algorithm", required_argument, NULL, 'a' }, { "digits", required_argument, NULL, 'd' },
		{ "period", required_argument, NULL, 'p' }, { "force", no_argument, NULL, 'f' },
		{ "no-qr", no_argument, NULL, 'q' }, { "json", no_argument, NULL, 'j' },
		{ "pending", no_argument, NULL, 'P' }, { "confirm", required_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	_cleanup_otp_record_ struct otp_record r;
	memset(&r, 0, sizeof(r));
	r.params = (struct totp_params){ TOTP_SHA1, 6, 30 };
	bool confirm = true, force = false, qr = true, pending = false;
	char *secret_arg = NULL;
	const char *secret_file = NULL, *code_arg = NULL;
	int o;
	optind = 1;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 's': secret_arg = optarg; break;
		case 'F': secret_file = optarg; break;
		case 'n': confirm = false; break;
		case 'f': force = true; break;
		case 'q': qr = false; break;
		case 'j': cli->json = true; break;
		case 'P': pending = true; break;
		case 'c': code_arg = optarg; break;
		case 'a':
			if (totp_algorithm_parse(optarg, &r.params.algorithm)) {
				cli_err("--algorithm: expected SHA1, SHA256 or SHA512");
				return EXIT_USAGE;
			}
			break;
		case 'd':
			if (parse_uint_arg("--digits", optarg, &r.params.digits))
				return EXIT_USAGE;
			break;
		case 'p':
			if (parse_uint_arg("--period", optarg, &r.params.period))
				return EXIT_USAGE;
			break;
		default:
			return EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		cli_err("usage: sosafectl %s", enroll_usage);
		return EXIT_USAGE;
	}
	const char *user = argv[optind];
	if (!cli_valid_user(user))
		return EXIT_USAGE;
	if (!totp_params_valid(&r.params)) {
		cli_err("unsupported token: digits must be 6 or 8, period 30 or 60");
		return EXIT_USAGE;
	}
	if (code_arg && (pending || secret_arg || secret_file || !confirm)) {
		cli_err("--confirm takes the secret of enroll --pending: not with --secret, "
			"--secret-file, --pending or --no-confirm");
		return EXIT_USAGE;
	}
	if (pending && !confirm) {
		cli_err("--pending and --no-confirm exclude each other");
		return EXIT_USAGE;
	}
	/* an approval comes long after the code was read: no two-step form */
	if ((pending || code_arg) && (cli->cfg.four_eyes & FE_ENROLL)) {
		cli_err("enroll needs a second admin here (four_eyes): --pending and --confirm are "
			"not available; use: sosafectl request enroll %s", user);
		return EXIT_USAGE;
	}
	if (code_arg) {
		struct sosafe_err err;
		int pr = enroll_pending_load(cli->cfg.state_dir, cli_keys(cli), user, time(NULL), &r,
					     &force, &err);
		if (pr < 0) {
			cli_err("%s", err.msg);
			return EXIT_FAIL;
		}
		if (pr > 0) {
			cli_err("no pending enrollment of %s (none, or older than %d minutes): run "
				"enroll %s --pending first", user, ENROLL_PENDING_TTL / 60, user);
			return EXIT_FAIL;
		}
	} else if (secret_arg || secret_file) {
		int rc = read_known_secret(secret_arg, secret_file, &r);
		if (rc)
			return rc;
	} else {
		/* RFC 6238: a key as long as the hash output */
		r.secret_len = r.params.algorithm == TOTP_SHA512 ? 64
			       : r.params.algorithm == TOTP_SHA256 ? 32 : TOTP_SECRET_NEW;
		if (fill_random(r.secret, r.secret_len)) {
			cli_err("getrandom failed: %s", strerror(errno));
			return EXIT_FAIL;
		}
	}
	_cleanup_store_ struct store *st = cli_open_store(cli, 0);
	if (!st)
		return EXIT_STORE;
	_cleanup_otp_record_ struct otp_record old;
	enum store_status s = otp_get(st, user, &old);
	if (s == ST_OK && !force) {
		cli_err("%s already has a second factor; use --force to replace it, or reset-otp", user);
		return EXIT_FAIL;
	}
	if (s != ST_OK && s != ST_NOTFOUND) {
		cli_err("%s", store_error(st));
		return EXIT_STORE;
	}
	bool old_found = s == ST_OK;
	_cleanup_secret_ char *uri = totp_uri(&r.params, r.secret, r.secret_len, cli->cfg.issuer, user);
	if (!uri) {
		cli_err("cannot build the otpauth URI");
		return EXIT_FAIL;
	}
	r.last_step = -1;
	r.enrolled_at = time(NULL);
	if (pending)
		return enroll_keep_pending(cli, user, &r, force, uri, qr);
	FILE *shown = cli->json ? stderr : stdout;
	if (!cli->json && !code_arg) {
		printf("Scan this with an authenticator app, or enter the URI:\n%s\n\n", uri);
		if (qr && qr_print_utf8(uri, stdout))
			cli_err("cannot draw the QR code (the URI above works)");
	}
	if (confirm) {
		bool ok = false;
		int64_t step;
		if (code_arg) {
			_cleanup_secret_ char *line = strcmp(code_arg, "-") ? strdup(code_arg) : read_answer();
			ok = line && code_is_right(&r, line, cli->cfg.window, &step);
			if (ok)
				r.last_step = step;   /* the confirming code is spent */
		}
		for (int tries = 0; !code_arg && tries < 3 && !ok; tries++) {
			fprintf(shown, "Code shown by the app: ");
			fflush(shown);
			_cleanup_secret_ char *line = read_answer();
			if (!line)
				break;
			if (code_is_right(&r, line, cli->cfg.window, &step)) {
				r.last_step = step;   /* the confirming code is spent */
				ok = true;
			} else {
				fprintf(shown, "That code is not right (check the phone's clock).\n");
			}
		}
		if (!ok) {
			cli_err("not activated: no right code was entered");
			cli->log.user = user;
			log_event(LOG_NOTICE, &cli->log, "enroll-failed", "by=%s confirmation failed",
				  cli->admin);
			return EXIT_FAIL;
		}
	}
	/* the record commits with the secret, or neither does */
	struct new_secret n = { &r, cli->admin };
	struct action a = { .event = "enroll", .user = user, .change = put_secret, .ctx = &n,
			    .refused = "enroll not done, nothing changed (its audit record or "
				       "four-eyes claim failed)" };
	snprintf(a.detail, sizeof(a.detail), "algorithm=%s digits=%u period=%u%s%s",
		 totp_algorithm_name(r.params.algorithm), r.params.digits, r.params.period,
		 confirm ? "" : " unconfirmed", old_found ? " replaced" : "");
	enum action_result ar = action_run(cli, st, &a);
	if (ar != ACTION_DONE)
		return action_exit(ar);
	if (code_arg)
		enroll_pending_remove(cli->cfg.state_dir, user);
	cli->log.user = user;
	log_event(LOG_NOTICE, &cli->log, "enroll", "by=%s algorithm=%s digits=%u period=%u%s",
		  cli->admin, totp_algorithm_name(r.params.algorithm), r.params.digits, r.params.period,
		  confirm ? "" : " unconfirmed");
	if (cli->json && code_arg) {
		/* the secret was shown by enroll --pending: not again */
		fputs("{\"user\":", stdout);
		json_str(stdout, user);
		printf(",\"algorithm\":\"%s\",\"digits\":%u,\"period\":%u,\"confirmed\":true}\n",
		       totp_algorithm_name(r.params.algorithm), r.params.digits, r.params.period);
	} else if (cli->json) {
		char b32[BASE32_ENCODED_SIZE(TOTP_SECRET_MAX)];
		base32_encode(r.secret, r.secret_len, b32, sizeof(b32));
		fputs("{\"user\":", stdout);
		json_str(stdout, user);
		fputs(",\"uri\":", stdout);
		json_str(stdout, uri);
		printf(",\"secret\":\"%s\",\"algorithm\":\"%s\",\"digits\":%u,\"period\":%u,"
		       "\"confirmed\":%s}\n", b32, totp_algorithm_name(r.params.algorithm),
		       r.params.digits, r.params.period, confirm ? "true" : "false");
		explicit_bzero(b32, sizeof(b32));
	} else {
		printf("Second factor of %s is active.\n", user);
	}
	return EXIT_OK;
}

static enum store_status revoke_secret(struct store *st, struct action *a)
{
	long *rows = a->ctx;
	enum store_status s = otp_revoke(st, a->user, rows);
	snprintf(a->detail, sizeof(a->detail), "rows=%ld", *rows);
	return s;
}

int cmd_reset_otp(struct cli *cli, int argc, char **argv)
{
	if (cli_wants_help(argc, argv, "reset-otp USER",
			   "Revoke USER's TOTP secret and recovery codes. The user then has no\n"
			   "second factor: no_secret decides what happens at login."))
		return EXIT_OK;
	if (argc != 2) {
		cli_err("usage: sosafectl reset-otp USER");
		return EXIT_USAGE;
	}
	if (!cli_valid_user(argv[1]))
		return EXIT_USAGE;
	_cleanup_store_ struct store *st = cli_open_store(cli, 0);
	if (!st)
		return EXIT_STORE;
	long rows = 0;
	struct action a = { .event = "reset-otp", .user = argv[1], .change = revoke_secret, .ctx = &rows,
			    .refused = "reset-otp not done, nothing changed (its audit record or "
				       "four-eyes claim failed)" };
	enum action_result ar = action_run(cli, st, &a);
	if (ar != ACTION_DONE)
		return action_exit(ar);
	enroll_pending_remove(cli->cfg.state_dir, argv[1]);   /* nothing may activate later */
	cli->log.user = argv[1];
	log_event(LOG_NOTICE, &cli->log, "reset-otp", "by=%s rows=%ld", cli->admin, rows);
	if (cli->json)
		printf("{\"user\":\"%s\",\"removed\":%ld}\n", argv[1], rows);
	else if (rows)
		printf("Second factor of %s revoked (%ld record(s)).\n", argv[1], rows);
	else
		printf("%s had no second factor.\n", argv[1]);
	return EXIT_OK;
}

struct new_codes {
	unsigned count;
	const char **ids, **hashes;
};

static enum store_status replace_codes(struct store *st, struct action *a)
{
	const struct new_codes *n = a->ctx;
	return otp_recovery_replace(st, a->user, n->count, n->ids, n->hashes, time(NULL));
}

int cmd_recovery_codes(struct cli *cli, int argc, char **argv)
{
	if (cli_wants_help(argc, argv, "recovery-codes USER [--count N]",
			   "Replace USER's recovery codes with N new ones (default 10), printed\n"
			   "once. Each is usable once at the code prompt; only yescrypt hashes are\n"
			   "stored."))
		return EXIT_OK;
	unsigned count = RECOVERY_DEFAULT_COUNT;
	const char *user = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--count") && i + 1 < argc) {
			if (parse_uint_arg("--count", argv[++i], &count))
				return EXIT_USAGE;
		} else if (!strcmp(argv[i], "--json")) {
			cli->json = true;
		} else if (!user && argv[i][0] != '-') {
			user = argv[i];
		} else {
			cli_err("usage: sosafectl recovery-codes USER [--count N]");
			return EXIT_USAGE;
		}
	}
	if (!user || count < 1 || count > RECOVERY_MAX_COUNT) {
		cli_err("usage: sosafectl recovery-codes USER [--count N] (1..%d)", RECOVERY_MAX_COUNT);
		return EXIT_USAGE;
	}
	if (!cli_valid_user(user))
		return EXIT_USAGE;
	struct recovery_code *codes = calloc(count, sizeof(*codes));
	const char **ids = calloc(count, sizeof(*ids)), **hashes = calloc(count, sizeof(*hashes));
	int ret = EXIT_FAIL;
	_cleanup_store_ struct store *st = NULL;
	if (!codes || !ids || !hashes)
		goto out;
	for (unsigned i = 0; i < count; i++) {
		/* ids must differ within one user: draw again on a collision */
		for (int tries = 0; tries < 20; tries++) {
			if (recovery_generate(&codes[i])) {
				cli_err("cannot generate a recovery code (getrandom or libcrypt failed)");
				goto out;
			}
			bool dup = false;
			for (unsigned j = 0; j < i; j++)
				dup |= !strcmp(codes[j].id, codes[i].id);
			if (!dup)
				break;
		}
		ids[i] = codes[i].id;
		hashes[i] = codes[i].hash;
	}
	st = cli_open_store(cli, 0);
	if (!st) {
		ret = EXIT_STORE;
		goto out;
	}
	struct new_codes n = { count, ids, hashes };
	struct action a = { .event = "recovery-codes", .user = user, .change = replace_codes, .ctx = &n,
			    .refused = "recovery-codes not done, nothing changed (its audit record or "
				       "four-eyes claim failed)" };
	snprintf(a.detail, sizeof(a.detail), "count=%u", count);
	enum action_result ar = action_run(cli, st, &a);
	if (ar != ACTION_DONE) {
		ret = action_exit(ar);
		goto out;
	}
	cli->log.user = user;
	log_event(LOG_NOTICE, &cli->log, "recovery-codes", "by=%s count=%u", cli->admin, count);
	if (cli->json) {
		fputs("{\"user\":", stdout);
		json_str(stdout, user);
		fputs(",\"codes\":[", stdout);
		for (unsigned i = 0; i < count; i++)
			printf("%s\"%s\"", i ? "," : "", codes[i].shown);
		fputs("]}\n", stdout);
	} else {
		printf("Recovery codes for %s (each works once; they are shown only now):\n", user);
		for (unsigned i = 0; i < count; i++)
			printf("  %s\n", codes[i].shown);
	}
	ret = EXIT_OK;
out:
	if (codes) {
		explicit_bzero(codes, count * sizeof(*codes));
		free(codes);
	}
	free(ids);
	free(hashes);
	return ret;
}

struct window {
	int64_t deadline;
	const char *by;
};

static enum store_status set_window(struct store *st, struct action *a)
{
	const struct window *w = a->ctx;
	return otp_window_set(st, a->user, w->deadline, w->by);
}

int cmd_enroll_window(struct cli *cli, int argc, char **argv)
{
	static const char usage[] = "enroll-window USER (--hours N | --until EPOCH | --clear)";
	if (cli_wants_help(argc, argv, usage,
			   "With no_secret=enroll_window, USER may log in without a second factor\n"
			   "until the deadline, to enroll. --clear closes the window."))
		return EXIT_OK;
	if (argc != 3 && argc != 4) {
		cli_err("usage: sosafectl %s", usage);
		return EXIT_USAGE;
	}
	const char *user = argv[1];
	if (!cli_valid_user(user))
		return EXIT_USAGE;
	int64_t deadline = 0, now = time(NULL);
	unsigned v = 0;
	if (!strcmp(argv[2], "--clear") && argc == 3) {
		deadline = 0;
	} else if (!strcmp(argv[2], "--hours") && argc == 4) {
		if (parse_uint_arg("--hours", argv[3], &v) || v < 1 || v > 24 * 90) {
			cli_err("--hours: 1..2160");
			return EXIT_USAGE;
		}
		deadline = now + (int64_t)v * 3600;
	} else if (!strcmp(argv[2], "--until") && argc == 4) {
		char *end = NULL;
		long long t = strtoll(argv[3], &end, 10);
		if (!*argv[3] || *end || t <= now || t > now + 90LL * SOSAFE_DAY) {
			cli_err("--until: seconds since the epoch, in the next 90 days");
			return EXIT_USAGE;
		}
		deadline = t;
	} else {
		cli_err("usage: sosafectl %s", usage);
		return EXIT_USAGE;
	}
	_cleanup_store_ struct store *st = cli_open_store(cli, 0);
	if (!st)
		return EXIT_STORE;
	char b[32];
	struct window w = { deadline, cli->admin };
	struct action a = { .event = "enroll-window", .user = user, .change = set_window, .ctx = &w,
			    .refused = "enroll-window not done, nothing changed (its audit record or "
				       "four-eyes claim failed)" };
	snprintf(a.detail, sizeof(a.detail), "until=%s",
		 deadline ? fmt_time(deadline, b, sizeof(b)) : "closed");
	enum action_result ar = action_run(cli, st, &a);
	if (ar != ACTION_DONE)
		return action_exit(ar);
	cli->log.user = user;
	log_event(LOG_NOTICE, &cli->log, "enroll-window", "by=%s until=%s", cli->admin,
		  deadline ? fmt_time(deadline, b, sizeof(b)) : "closed");
	printf("%s: enrollment window %s%s\n", user, deadline ? "open until " : "closed",
	       deadline ? fmt_time(deadline, b, sizeof(b)) : "");
	return EXIT_OK;
}

struct import_run {
	struct cli *cli;
	struct store *st;
	const char *text;      /* the file */
	size_t len;
	const char *oath, *user;   /* --oath-usersfile, else google-authenticator for USER */
	bool force;
	unsigned imported, refused;
	enum store_status err;
	bool first;
};

static void import_report(struct import_run *run, const struct import_entry *e, bool ok,
			  const char *why)
{
	if (run->cli->json) {
		fputs(run->first ? "" : ",\n", stdout);
		printf("{\"line\":%u,\"user\":", e->line);
		json_str(stdout, e->user);
		printf(",\"imported\":%s,\"reason\":", ok ? "true" : "false");
		json_str(stdout, why ? why : "");
		fputc('}', stdout);
	} else {
		printf("line %u: %s %s%s%s\n", e->line, ok ? "imported" : "REFUSED",
		       e->user[0] ? e->user : "-", why && *why ? ": " : "", why ? why : "");
	}
	run->first = false;
}

static void import_one(const struct import_entry *e, void *vrun)
{
	struct import_run *run = vrun;
	if (run->err != ST_OK)
		return;
	if (!e->ok) {
		run->refused++;
		import_report(run, e, false, e->reason);
		return;
	}
	_cleanup_otp_record_ struct otp_record old;
	enum store_status s = otp_get(run->st, e->user, &old);
	if (s == ST_OK && !run->force) {
		run->refused++;
		import_report(run, e, false, "already enrolled (use --force to replace)");
		return;
	}
	if (s == ST_OK || s == ST_NOTFOUND)
		s = otp_put(run->st, e->user, &e->rec, run->cli->admin);
	if (s != ST_OK) {
		run->err = s;
		return;
	}
	run->imported++;
	import_report(run, e, true, e->reason);
}

/* Read FILE (regular, bounded) into a malloc'd buffer. */
static char *slurp(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		cli_err("cannot open %s: %s", path, strerror(errno));
		return NULL;
	}
	struct stat sb;
	if (fstat(fd, &sb) || !S_ISREG(sb.st_mode) || sb.st_size > IMPORT_MAX_BYTES) {
		cli_err("%s: not a regular file of at most %u bytes", path, IMPORT_MAX_BYTES);
		close(fd);
		return NULL;
	}
	char *buf = malloc((size_t)sb.st_size + 1);
	size_t got = 0;
	while (buf && got < (size_t)sb.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)sb.st_size - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (!buf || got != (size_t)sb.st_size) {
		cli_err("cannot read %s", path);
		free(buf);
		return NULL;
	}
	buf[got] = '\0';
	*len = got;
	return buf;
}

static const char *import_source(const struct import_run *run)
{
	return run->oath ? "oath-usersfile" : "google-authenticator";
}

static enum store_status import_all(struct store *st, struct action *a)
{
	struct import_run *run = a->ctx;
	run->st = st;
	if (run->oath)
		import_oath_usersfile(run->text, run->len, import_one, run);
	else
		import_google_authenticator(run->text, run->len, run->user, import_one, run);
	snprintf(a->detail, sizeof(a->detail), "source=%s imported=%u refused=%u", import_source(run),
		 run->imported, run->refused);
	return run->err;
}

int cmd_import(struct cli *cli, int argc, char **argv)
{
	static const char usage[] =
		"import (--oath-usersfile FILE | --google-authenticator FILE [--user USER]) [--force] [--json]";
	if (cli_wants_help(argc, argv, usage,
			   "Import TOTP secrets from pam_oath's users file or a user's\n"
			   "~/.google_authenticator, with a line-by-line report of what was imported\n"
			   "and what was refused and why. Exit 0 if everything was imported, 1 if\n"
			   "anything was refused."))
		return EXIT_OK;
	const char *oath = NULL, *ga = NULL, *user = NULL;
	struct import_run run = { .cli = cli, .first = true };
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--oath-usersfile") && i + 1 < argc)
			oath = argv[++i];
		else if (!strcmp(argv[i], "--google-authenticator") && i + 1 < argc)
			ga = argv[++i];
		else if (!strcmp(argv[i], "--user") && i + 1 < argc)
			user = argv[++i];
		else if (!strcmp(argv[i], "--force"))
			run.force = true;
		else if (!strcmp(argv[i], "--json"))
			cli->json = true;
		else {
			cli_err("usage: sosafectl %s", usage);
			return EXIT_USAGE;
		}
	}
	if (!!oath == !!ga || (user && !ga)) {
		cli_err("usage: sosafectl %s", usage);
		return EXIT_USAGE;
	}
	char owner[SOSAFE_NAME_MAX + 1] = "";
	if (ga && !user) {
		/* the file's owner is the user, as google-authenticator has it */
		struct stat sb;
		struct passwd *pw;
		if (lstat(ga, &sb) == 0 && (pw = getpwuid(sb.st_uid)) && strlen(pw->pw_name) < sizeof(owner))
			snprintf(owner, sizeof(owner), "%s", pw->pw_name);
		if (!owner[0]) {
			cli_err("cannot tell whose file %s is; give --user USER", ga);
			return EXIT_USAGE;
		}
		user = owner;
	}
	size_t len = 0;
	char *text = slurp(oath ? oath : ga, &len);
	if (!text)
		return EXIT_FAIL;
	_cleanup_store_ struct store *st = cli_open_store(cli, 0);
	if (!st) {
		secure_free_str(text);
		return EXIT_STORE;
	}
	run.text = text;
	run.len = len;
	run.oath = oath;
	run.user = user;
	if (cli->json)
		fputs("{\"entries\":[", stdout);
	struct action a = { .event = "import", .change = import_all, .ctx = &run,
			    .refused = "audit record not written: import refused, nothing imported",
			    .store_note = " (nothing imported)" };
	enum action_result ar = action_run(cli, st, &a);
	explicit_bzero(text, len);
	free(text);
	if (ar == ACTION_REFUSED && cli->json)
		fputs("]}\n", stdout);
	if (ar != ACTION_DONE)
		return action_exit(ar);
	if (cli->json)
		printf("],\"imported\":%u,\"refused\":%u}\n", run.imported, run.refused);
	else
		printf("%u imported, %u refused\n", run.imported, run.refused);
	cli->log.user = NULL;
	log_event(LOG_NOTICE, &cli->log, "import", "by=%s source=%s imported=%u refused=%u", cli->admin,
		  import_source(&run), run.imported, run.refused);
	return run.refused ? EXIT_FAIL : EXIT_OK;
}
