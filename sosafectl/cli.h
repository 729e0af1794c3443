/* Shared pieces of the sosafectl commands. */
#ifndef SOSAFECTL_CLI_H
#define SOSAFECTL_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "audit/audit.h"
#include "base/conf.h"
#include "base/log.h"
#include "store/store.h"
#include "identity.h"

/* Exit codes (documented in sosafectl(8)). */
enum {
	EXIT_OK = 0,
	EXIT_FAIL = 1,      /* the operation was refused or failed */
	EXIT_USAGE = 2,     /* bad command line */
	EXIT_CONFIG = 3,    /* configuration file unusable */
	EXIT_STORE = 4,     /* state store missing, unsafe or damaged */
};

struct cli {
	struct sosafe_config cfg;
	bool json;
	const char *admin;        /* who runs this: id.name */
	struct admin_id id;
	struct log_ctx log;
	struct audit_identity identity;   /* log_identity: what log.identity points at */
	/* four-eyes: set while `approve` carries out request fe_request */
	long long fe_request;
	const char *fe_requester, *fe_target, *fe_line;
	bool fe_claimed;          /* claimed in the current transaction */
	struct keyring *keys;     /* secret_key_file, read by the first cli_open_store */
};

/* A form of a command that four_eyes can reserve for two admins: its
 * action bit, the subcommand word that selects it (or NULL), whether its
 * first operand names the user it concerns, the options that take a value
 * (skipped when looking for that operand) and the options that make the
 * line harmless (it then needs no approval). Space-separated lists. */
struct four_eyes_form {
	unsigned bit;
	const char *sub;
	bool has_user;
	const char *value_opts;
	const char *harmless_opts;
};

struct command {
	const char *name;
	int (*run)(struct cli *cli, int argc, char **argv);
	const char *args;
	const char *summary;
	const struct four_eyes_form *four_eyes;   /* ends with bit 0; NULL: never covered */
};

/* The command called NAME in sosafectl's command table, or NULL. */
const struct command *cli_command(const char *name);

/* Commands (one file per group). */
int cmd_status(struct cli *cli, int argc, char **argv);
int cmd_unlock(struct cli *cli, int argc, char **argv);
int cmd_init(struct cli *cli, int argc, char **argv);
int cmd_backup(struct cli *cli, int argc, char **argv);
int cmd_restore(struct cli *cli, int argc, char **argv);
int cmd_store(struct cli *cli, int argc, char **argv);
int cmd_check(struct cli *cli, int argc, char **argv);
int cmd_config(struct cli *cli, int argc, char **argv);
int cmd_enroll(struct cli *cli, int argc, char **argv);
int cmd_reset_otp(struct cli *cli, int argc, char **argv);
int cmd_recovery_codes(struct cli *cli, int argc, char **argv);
int cmd_enroll_window(struct cli *cli, int argc, char **argv);
int cmd_import(struct cli *cli, int argc, char **argv);
int cmd_sync(struct cli *cli, int argc, char **argv);
int cmd_purge(struct cli *cli, int argc, char **argv);
int cmd_audit(struct cli *cli, int argc, char **argv);
int cmd_report(struct cli *cli, int argc, char **argv);
int cmd_review(struct cli *cli, int argc, char **argv);
int cmd_request(struct cli *cli, int argc, char **argv);
int cmd_approve(struct cli *cli, int argc, char **argv);
int cmd_deny(struct cli *cli, int argc, char **argv);
int cmd_requests(struct cli *cli, int argc, char **argv);
int cmd_rekey(struct cli *cli, int argc, char **argv);

/* Four-eyes (cmd_four_eyes.c). The gate refuses (message, audit record,
 * returns 1) a command line that four_eyes reserves for two admins. */
int four_eyes_gate(struct cli *cli, int argc, char **argv);

/* Print an error "sosafectl: ..." to stderr. */
void cli_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Open the store in the configured state_dir, with the keyring of
 * secret_key_file (a missing or unsafe file shows when a secret is used);
 * prints the error and returns NULL on failure (exit with EXIT_STORE). */
struct store *cli_open_store(struct cli *cli, unsigned flags);

/* The keyring of secret_key_file, read once (an unusable file gives an
 * empty keyring that says why, see store/keyring.h); NULL only when out
 * of memory. */
struct keyring *cli_keys(struct cli *cli);

/* True (and prints help) if ARGV asks for --help; used by every command. */
bool cli_wants_help(int argc, char **argv, const char *usage, const char *text);

/* The login uid of this process (set at login, kept across su and sudo);
 * false if unset. */
bool cli_login_uid(unsigned *uid);
/* The account name of UID into OUT, or "uid=N" if it has none. */
void cli_uid_name(unsigned uid, char *out, size_t len);

/* Validate a user name from the command line (prints why not). */
bool cli_valid_user(const char *name);

/* Options that move the clock or the local account files (--now,
 * --passwd-file ...) work only for a state_dir other than the compiled-in
 * one: the production store follows the real clock and the real /etc/passwd. */
bool cli_test_options_allowed(const struct cli *cli);

/* JSON string output with escaping. */
void json_str(FILE *out, const char *s);

/* Format a time as ISO 8601 UTC ("-" for 0, "never" for LOCK_FOREVER). */
const char *fmt_time(long long t, char *buf, size_t len);

#endif
