/* The secret key file: created and used by init, replaced by rekey. */
#include <config.h>
#include "keys.h"

#include <stdio.h>
#include <string.h>

#include "action.h"
#include "store/keyring.h"
#include "store/secret_store.h"

struct reseal {
	long rows;
};

static enum store_status reseal_change(struct store *st, struct action *a)
{
	struct reseal *r = a->ctx;
	return secret_reseal_all(st, &r->rows);
}

/* Load PATH again and hand it to ST and CLI; -1 (message printed) if it
 * does not load. */
static int use_file(struct cli *cli, struct store *st, const char *path)
{
	struct keyring *kr = keyring_load(path);
	if (!kr) {
		cli_err("out of memory");
		return -1;
	}
	keyring_unref(cli->keys);
	cli->keys = kr;
	store_set_keyring(st, kr);
	if (keyring_error(kr)) {
		cli_err("%s", keyring_error(kr));
		return -1;
	}
	return 0;
}

/* Write KR to PATH and use it; -1 (message printed) on failure. */
static int install(struct cli *cli, struct store *st, const struct keyring *kr, const char *path)
{
	struct sosafe_err e = { "" };
	if (keyring_write(kr, path, &e)) {
		cli_err("%s", e.msg);
		return -1;
	}
	return use_file(cli, st, path);
}

static void key_hex(const struct keyring *kr, char hex[2 * KEYRING_ID_LEN + 1])
{
	keyring_id_hex(keyring_at(kr, 0)->id, hex);
}

int keys_init(struct cli *cli, struct store *st)
{
	const char *path = cli->cfg.secret_key_file;
	struct sosafe_err e = { "" };
	int missing = keyring_file_missing(path, &e);
	if (missing < 0) {
		cli_err("%s", e.msg);
		return EXIT_STORE;
	}
	if (missing) {
		_cleanup_keyring_ struct keyring *kr = keyring_generate(&e);
		if (!kr) {
			cli_err("%s", e.msg);
			return EXIT_STORE;
		}
		if (install(cli, st, kr, path))
			return EXIT_STORE;
		printf("secret key file created: %s (back it up apart from the store)\n", path);
	} else if (use_file(cli, st, path)) {
		return EXIT_STORE;
	}
	bool plain = false;
	if (secret_plaintext(st, &plain) != ST_OK) {
		cli_err("%s", store_error(st));
		return EXIT_STORE;
	}
	if (!plain)
		return EXIT_OK;
	/* secrets stored before sealing existed: all sealed in one transaction */
	char hex[2 * KEYRING_ID_LEN + 1];
	struct reseal r = { 0 };
	key_hex(cli->keys, hex);
	struct action a = { .event = "seal-secrets", .change = reseal_change, .ctx = &r,
			    .refused = "secrets not sealed: the audit record could not be written",
			    .store_note = "; nothing was sealed" };
	snprintf(a.detail, sizeof(a.detail), "plaintext secrets sealed under key %s", hex);
	enum action_result ar = action_run(cli, st, &a);
	if (ar != ACTION_DONE && ar != ACTION_UNCHANGED)
		return action_exit(ar);
	printf("%ld secret(s) sealed under key %s\n", r.rows, hex);
	return EXIT_OK;
}

/* The three steps, each leaving every row openable if the next never
 * comes: (1) the file gets a new first key and keeps the old ones, (2) one
 * transaction seals every secret under the new key, (3) the file keeps
 * only the new key. Running rekey again after a crash finishes the job. */
int cmd_rekey(struct cli *cli, int argc, char **argv)
{
	if (cli_wants_help(argc, argv, "rekey [--json]",
			   "Seals every secret in the store under a new key: writes the key file with\n"
			   "a new first key (old ones kept), seals all secrets again in one\n"
			   "transaction, then removes the old keys from the file. Interrupted at any\n"
			   "point, every secret still opens; run rekey again to finish."))
		return EXIT_OK;
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--json")) {
			cli_err("rekey: unknown argument '%s'", argv[i]);
			return EXIT_USAGE;
		}
	_cleanup_store_ struct store *st = cli_open_store(cli, 0);
	if (!st)
		return EXIT_STORE;
	const char *path = cli->cfg.secret_key_file;
	if (keyring_error(cli->keys)) {
		cli_err("%s", keyring_error(cli->keys));
		return EXIT_STORE;
	}
	unsigned old = keyring_count(cli->keys);
	struct sosafe_err e = { "" };
	_cleanup_keyring_ struct keyring *both = keyring_rotate(cli->keys, &e);
	if (!both) {
		cli_err("%s: %s", path, e.msg);
		return EXIT_FAIL;
	}
	if (install(cli, st, both, path))              /* step 1 */
		return EXIT_STORE;
	char hex[2 * KEYRING_ID_LEN + 1];
	struct reseal r = { 0 };
	key_hex(both, hex);
	struct action a = { .event = "rekey", .change = reseal_change, .ctx = &r,
			    .refused = "rekey not done: the audit record could not be written; "
				       "every secret still opens, run rekey again",
			    .store_note = "; nothing was resealed and every secret opens as before "
					  "(the key file holds the old keys too)" };
	snprintf(a.detail, sizeof(a.detail), "secrets sealed again under key %s", hex);
	enum action_result ar = action_run(cli, st, &a);   /* step 2 */
	if (ar != ACTION_DONE && ar != ACTION_UNCHANGED)
		return action_exit(ar);
	_cleanup_keyring_ struct keyring *one = keyring_current_only(both, &e);
	if (!one) {
		cli_err("%s: %s", path, e.msg);
		return EXIT_FAIL;
	}
	if (install(cli, st, one, path))               /* step 3 */
		return EXIT_STORE;
	if (cli->json) {
		printf("{\"key_file\":");
		json_str(stdout, path);
		printf(",\"key_id\":\"%s\",\"resealed\":%ld,\"removed_keys\":%u}\n", hex, r.rows, old);
	} else {
		printf("%ld secret(s) sealed under key %s; %u old key(s) removed from %s\n", r.rows,
		       hex, old, path);
	}
	return EXIT_OK;
}
