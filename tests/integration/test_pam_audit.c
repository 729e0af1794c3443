/* PAM decisions land in the audit trail, in the decision's transaction:
 * real libpam, private service files, users from nss_wrapper. */
#include <config.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit/audit.h"
#include "harness.h"
#include "lockout/lockout.h"
#include "store/store.h"

static struct harness H;
static const char *const WRONG[] = { "wrong", NULL };
static const char *const RIGHT[] = { "right", NULL };

static void stack(const char *name, const char *opts)
{
	harness_password_stack(&H, name, opts);
}

/* Number of records with EVENT for USER (name or pseudonym). */
static int count_events(const char *event, const char *user)
{
	sqlite3 *db = NULL;
	char path[400];
	snprintf(path, sizeof(path), "%s/state.db", H.state_dir);
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	sqlite3_stmt *q = NULL;
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM audit WHERE event = ? AND user = ?",
					    -1, &q, NULL), SQLITE_OK);
	sqlite3_bind_text(q, 1, event, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, user, -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	int n = sqlite3_column_int(q, 0);
	sqlite3_finalize(q);
	sqlite3_close(db);
	return n;
}

static void exec_sql(const char *sql)
{
	sqlite3 *db = NULL;
	char path[400];
	snprintf(path, sizeof(path), "%s/state.db", H.state_dir);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

static int verify_chain(void)
{
	struct store *st = NULL;
	struct sosafe_err err = { "" };
	struct sosafe_err why;
	unsigned char key[AUDIT_KEY_LEN];
	assert_int_equal(store_open(&st, H.state_dir, STORE_RDONLY, 5000, &err), ST_OK);
	assert_int_equal(audit_key_load(H.state_dir, false, key, NULL), 0);
	long n;
	long long bad;
	int r = audit_verify(st, key, &n, &bad, &why);
	store_close(st);
	return r;
}

static void decisions_are_audited(void **state)
{
	(void)state;
	stack("std", "");
	for (int i = 0; i < 6; i++)
		assert_int_equal(harness_auth(&H, "std", "alice", WRONG, NULL), PAM_AUTH_ERR);
	assert_int_equal(count_events("lock", "alice"), 1);
	assert_int_equal(harness_auth(&H, "std", "alice", RIGHT, NULL), PAM_AUTH_ERR);
	assert_int_equal(count_events("deny-locked", "alice"), 1);
	/* later refusals of the same lock only count */
	for (int i = 0; i < 5; i++)
		assert_int_equal(harness_auth(&H, "std", "alice", WRONG, NULL), PAM_AUTH_ERR);
	assert_int_equal(count_events("deny-locked", "alice"), 1);
	struct tally t;
	assert_true(harness_tally(&H, "alice", &t));
	assert_int_equal(t.refused, 6);
	assert_int_equal(harness_auth(&H, "std", "bob", RIGHT, NULL), PAM_SUCCESS);
	assert_int_equal(count_events("success", "bob"), 1);
	assert_int_equal(verify_chain(), 0);
}

static void audit_failure_fails_closed(void **state)
{
	(void)state;
	stack("std", "");
	struct tally before, after;
	assert_int_equal(harness_auth(&H, "std", "bob", RIGHT, NULL), PAM_SUCCESS);
	assert_true(harness_tally(&H, "bob", &before));
	/* a damaged head: no record can be chained, so no decision is made */
	exec_sql("UPDATE audit_head SET mac = zeroblob(32)");
	assert_int_equal(harness_auth(&H, "std", "bob", RIGHT, NULL), PAM_AUTH_ERR);
	assert_true(harness_tally(&H, "bob", &after));
	/* preauth counted the attempt up front; the success was rolled back with
	 * its missing record, so the attempt stays a failure */
	assert_int_equal(after.attempts, before.attempts + 1);
	assert_int_equal(before.nfails, 0);
	assert_int_equal(after.nfails, 1);
	assert_int_equal(verify_chain(), 1);
}

static int answer_right(int n, const struct pam_message **msg, struct pam_response **resp,
			void *data)
{
	(void)data;
	struct pam_response *r = calloc((size_t)n, sizeof(*r));
	if (!r)
		return PAM_BUF_ERR;
	for (int i = 0; i < n; i++)
		if (msg[i]->msg_style == PAM_PROMPT_ECHO_OFF || msg[i]->msg_style == PAM_PROMPT_ECHO_ON)
			r[i].resp = strdup("right");
	*resp = r;
	return PAM_SUCCESS;
}

/* A refused record must not leave the handle's connection inside its write
 * transaction: the lock would block every other login and sosafectl until
 * the application ends the PAM handle (in sshd: the end of the session). */
static void audit_failure_releases_the_store(void **state)
{
	(void)state;
	stack("std", "");
	exec_sql("UPDATE audit_head SET mac = zeroblob(32)");
	struct pam_conv pc = { answer_right, NULL };
	pam_handle_t *pamh = NULL;
	assert_int_equal(pam_start_confdir("std", "bob", &pc, H.confdir, &pamh), PAM_SUCCESS);
	assert_int_equal(pam_authenticate(pamh, 0), PAM_AUTH_ERR);   /* authsucc's record failed */
	struct store *st = NULL;
	struct sosafe_err err = { "" };
	assert_int_equal(store_open(&st, H.state_dir, 0, 200, &err), ST_OK);
	enum store_status s = store_begin(st);   /* the handle still lives */
	store_rollback(st);
	store_close(st);
	pam_end(pamh, PAM_AUTH_ERR);
	assert_int_equal(s, ST_OK);
}

static void pseudonyms_in_records(void **state)
{
	(void)state;
	/* a fresh trail: the mark of records ever written goes too */
	exec_sql("DELETE FROM audit; DELETE FROM audit_head; DELETE FROM tally;"
		 "DELETE FROM meta WHERE key = 'audit.last_seq'");
	stack("pseudo", "log_identity=pseudonym");
	assert_int_equal(harness_auth(&H, "pseudo", "bob", RIGHT, NULL), PAM_SUCCESS);
	assert_int_equal(count_events("success", "bob"), 0);
	unsigned char key[AUDIT_KEY_LEN];
	char p[AUDIT_PSEUDO_LEN];
	assert_int_equal(audit_key_load(H.state_dir, false, key, NULL), 0);
	audit_pseudonym(key, "bob", p);
	assert_int_equal(count_events("success", p), 1);
	assert_int_equal(verify_chain(), 0);
}

int main(int argc, char **argv)
{
	(void)argc;
	harness_setup(&H, argv, NULL);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(decisions_are_audited),
		cmocka_unit_test(audit_failure_fails_closed),
		cmocka_unit_test(audit_failure_releases_the_store),
		cmocka_unit_test(pseudonyms_in_records),
	};
	return cmocka_run_group_tests_name("pam_audit", tests, NULL, NULL);
}
