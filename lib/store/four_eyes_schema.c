/* State-store table of four-eyes requests (schema part "four_eyes"). The
 * schema is in the core library because every store open migrates it; its
 * queries (four_eyes_store.c) are admin-only. */
#include <config.h>
#include "store/schema_parts.h"

#include "base/util.h"

static const char *const four_eyes_steps[] = {
	/* 1: pending and decided requests. Not a per-user table on purpose: a
	 * per-user restore must never bring back a request as pending. ids
	 * are never reused (AUTOINCREMENT). */
	"CREATE TABLE four_eyes_request ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  action TEXT NOT NULL,"
	"  args TEXT NOT NULL,"            /* the command line, fields split by 0x1f */
	"  target TEXT NOT NULL,"          /* user it concerns, or '' */
	"  requester TEXT NOT NULL,"
	"  requester_login TEXT NOT NULL," /* login uid name, or '' */
	"  created INTEGER NOT NULL,"
	"  expires INTEGER NOT NULL,"
	"  state TEXT NOT NULL DEFAULT 'pending'," /* pending done denied expired */
	"  decided_by TEXT NOT NULL DEFAULT '',"
	"  decided INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX four_eyes_state ON four_eyes_request(state)",
};

static const char *const four_eyes_pg_steps[] = {
	"CREATE TABLE four_eyes_request ("
	"  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
	"  action TEXT NOT NULL,"
	"  args TEXT NOT NULL,"
	"  target TEXT NOT NULL,"
	"  requester TEXT NOT NULL,"
	"  requester_login TEXT NOT NULL,"
	"  created BIGINT NOT NULL,"
	"  expires BIGINT NOT NULL,"
	"  state TEXT NOT NULL DEFAULT 'pending',"
	"  decided_by TEXT NOT NULL DEFAULT '',"
	"  decided BIGINT NOT NULL DEFAULT 0);"
	"CREATE INDEX four_eyes_state ON four_eyes_request (state)",
};

const struct schema_part four_eyes_schema_part = {
	.name = "four_eyes",
	.steps = four_eyes_steps,
	.nsteps = ARRAY_SIZE(four_eyes_steps),
	.user_tables = NULL,
	.nuser_tables = 0,
	.pg_steps = four_eyes_pg_steps,
	.pg_nsteps = ARRAY_SIZE(four_eyes_pg_steps),
};
