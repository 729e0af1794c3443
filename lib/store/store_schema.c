/* Schema of the state store, one part per feature. A part's steps are
 * applied in order and never edited once released: add a step instead. */
#include <config.h>
#include "store/store.h"
#include "base/util.h"
#include "store/schema_parts.h"

static const char *const core_steps[] = {
	/* 1: failures and locks, one row per user */
	"CREATE TABLE tally ("
	"  user TEXT PRIMARY KEY NOT NULL,"
	"  fails BLOB NOT NULL DEFAULT x'',"       /* little-endian int64 times */
	"  locked_until INTEGER NOT NULL DEFAULT 0,"
	"  reset_seq INTEGER NOT NULL DEFAULT 0,"
	"  lock_level INTEGER NOT NULL DEFAULT 0,"
	"  last_lock INTEGER NOT NULL DEFAULT 0,"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  refused INTEGER NOT NULL DEFAULT 0,"
	"  last_success INTEGER NOT NULL DEFAULT 0,"
	"  period_start INTEGER NOT NULL DEFAULT 0,"
	"  period_fails INTEGER NOT NULL DEFAULT 0"
	") WITHOUT ROWID",
};
static const char *const core_user_tables[] = { "tally" };

static const struct schema_part core_part = {
	.name = "core",
	.steps = core_steps,
	.nsteps = ARRAY_SIZE(core_steps),
	.user_tables = core_user_tables,
	.nuser_tables = ARRAY_SIZE(core_user_tables),
};

/* Feature parts are declared in their own files and listed here. */
const struct schema_part *const store_schema_parts[] = {
	&core_part,
	&otp_schema_part,
	&directory_schema_part,
	&audit_schema_part,
	&four_eyes_schema_part,
};
const unsigned store_schema_nparts = ARRAY_SIZE(store_schema_parts);
