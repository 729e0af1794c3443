/* The shape every admin action shares: change, four-eyes claim, audit
 * record and commit in one transaction (see action.h). */
#include <config.h>
#include "action.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "audit/audit.h"
#include "store/four_eyes_store.h"

int action_exit(enum action_result r)
{
	switch (r) {
	case ACTION_DONE:
	case ACTION_UNCHANGED:
		return EXIT_OK;
	case ACTION_REFUSED:
		return EXIT_FAIL;
	case ACTION_STORE_ERROR:
	default:
		return EXIT_STORE;
	}
}

#define DETAIL_LEN 1024   /* the text of a logged action */

/* Format DETAIL and log EVENT ("DETAIL (by ADMIN)") at PRIORITY, with LC
 * made for USER. */
static void log_action(struct cli *cli, struct log_ctx *lc, int priority, const char *user,
		       const char *event, char detail[static DETAIL_LEN], const char *fmt, va_list ap)
	__attribute__((format(printf, 7, 0)));
static void log_action(struct cli *cli, struct log_ctx *lc, int priority, const char *user,
		       const char *event, char detail[static DETAIL_LEN], const char *fmt, va_list ap)
{
	vsnprintf(detail, DETAIL_LEN, fmt, ap);
	*lc = cli->log;
	lc->user = user && *user ? user : NULL;
	log_event(priority, lc, event, "%s (by %s)", detail, cli->admin);
}

/* Append EVENT's record to ST in a transaction of its own. 0, or -1
 * (nothing appended). */
static int append_alone(struct cli *cli, struct store *st, const struct log_ctx *lc,
			const char *event, const char *detail)
{
	if (store_begin(st) != ST_OK)
		return -1;
	if (audit_append(st, lc, event, cli->admin, "%s", detail) || store_commit(st) != ST_OK) {
		store_rollback(st);
		return -1;
	}
	return 0;
}

int action_record(struct cli *cli, struct store *st, const char *user, const char *event,
		  const char *fmt, ...)
{
	char detail[DETAIL_LEN];
	struct log_ctx lc;
	va_list ap;
	va_start(ap, fmt);
	log_action(cli, &lc, LOG_NOTICE, user, event, detail, fmt, ap);
	va_end(ap);
	return audit_append(st, &lc, event, cli->admin, "%s", detail);
}

void action_record_refusal(struct cli *cli, const char *user, const char *event, const char *fmt, ...)
{
	char detail[DETAIL_LEN];
	struct log_ctx lc;
	va_list ap;
	va_start(ap, fmt);
	log_action(cli, &lc, LOG_WARNING, user, event, detail, fmt, ap);
	va_end(ap);
	struct store *st = NULL;
	struct store_target t;
	store_target_from_config(&t, &cli->cfg);
	if (store_open_target(&st, &t, 0, NULL) != ST_OK)
		return;   /* the refusal stands without its record */
	(void)append_alone(cli, st, &lc, event, detail);
	store_close(st);
}

int action_record_after(struct cli *cli, const char *user, const char *event, const char *fmt, ...)
{
	char detail[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	_cleanup_store_ struct store *st = cli_open_store(cli, 0);
	struct log_ctx lc = cli->log;
	lc.user = user;
	if (!st || append_alone(cli, st, &lc, event, detail)) {
		log_event(LOG_CRIT, &lc, "audit-error", "%s done but its audit record is missing", event);
		cli_err("%s done, but its audit record could not be written (see syslog)", event);
		return -1;
	}
	return 0;
}

int action_claim(struct cli *cli, struct store *st)
{
	if (!cli->fe_request || cli->fe_claimed)
		return 0;
	enum store_status s = four_eyes_claim(st, cli->fe_request, cli->admin, time(NULL));
	if (s == ST_NOTFOUND) {
		cli_err("request %lld is no longer pending (approved by someone else meanwhile, denied "
			"or expired): nothing done", cli->fe_request);
		return -1;
	}
	if (s != ST_OK) {
		cli_err("cannot claim request %lld: %s", cli->fe_request, store_error(st));
		return -1;
	}
	if (action_record(cli, st, cli->fe_target, "four-eyes-approve", "request %lld: %s, requested by %s",
			  cli->fe_request, cli->fe_line, cli->fe_requester))
		return -1;
	cli->fe_claimed = true;
	return 0;
}

int action_audit(struct cli *cli, struct store *st, const char *user, const char *event,
		 const char *fmt, ...)
{
	char detail[900];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	if (action_claim(cli, st))
		return -1;
	struct log_ctx lc = cli->log;
	lc.user = user;
	if (cli->fe_request)
		return audit_append(st, &lc, event, cli->admin, "%s (four-eyes request %lld of %s)", detail,
				    cli->fe_request, cli->fe_requester);
	return audit_append(st, &lc, event, cli->admin, "%s", detail);
}

enum action_result action_run(struct cli *cli, struct store *st, struct action *a)
{
	enum store_status s = store_begin(st);
	if (s == ST_OK && a->change)
		s = a->change(st, a);
	if (s == ST_NOTFOUND) {
		store_rollback(st);
		return ACTION_UNCHANGED;
	}
	if (s == ST_OK && (a->record ? action_claim(cli, st) || a->record(st, a)
				     : action_audit(cli, st, a->user, a->event, "%s", a->detail))) {
		store_rollback(st);
		if (a->refused)
			cli_err("%s", a->refused);
		return ACTION_REFUSED;
	}
	if (s == ST_OK)
		s = store_commit(st);
	if (s == ST_OK)
		return ACTION_DONE;
	store_rollback(st);
	if (a->fail_closed) {
		if (a->refused)
			cli_err("%s", a->refused);
		return ACTION_REFUSED;
	}
	cli_err("%s%s", store_error(st), a->store_note ? a->store_note : "");
	return ACTION_STORE_ERROR;
}
