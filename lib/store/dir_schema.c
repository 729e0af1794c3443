/* State-store tables of the directory lifecycle (schema part "directory"),
 * in the core library because every store carries the whole schema; the
 * queries are in dir_store.c (sosafectl only).
 *
 * dir_user is per-user state (purged with the user); tombstones and the
 * deletion report outlive the user on purpose, so they are not listed as
 * user tables. */
#include <config.h>
#include "store/schema_parts.h"
#include "base/util.h"

static const char *const directory_steps[] = {
	/* 1 */
	"CREATE TABLE dir_user ("
	"  user TEXT PRIMARY KEY NOT NULL,"
	"  uid INTEGER NOT NULL UNIQUE,"
	"  gid INTEGER NOT NULL,"
	"  first_seen INTEGER NOT NULL,"
	"  deactivated_at INTEGER NOT NULL DEFAULT 0,"   /* 0 = active */
	"  reason TEXT NOT NULL DEFAULT ''"
	") WITHOUT ROWID;"
	"CREATE TABLE uid_tombstone ("
	"  uid INTEGER PRIMARY KEY,"
	"  user TEXT NOT NULL,"
	"  purged_at INTEGER NOT NULL"
	");"
	"CREATE TABLE deletion_report ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  user TEXT NOT NULL,"
	"  uid INTEGER NOT NULL,"
	"  deactivated_at INTEGER NOT NULL,"
	"  purged_at INTEGER NOT NULL,"
	"  records INTEGER NOT NULL,"
	"  rule TEXT NOT NULL,"
	"  admin TEXT NOT NULL"
	");"
	"CREATE TABLE dir_meta ("
	"  key TEXT PRIMARY KEY NOT NULL,"
	"  value INTEGER NOT NULL"
	") WITHOUT ROWID",
	/* 2: the directory's stable identity of the account (objectSid,
	 * objectGUID or entryUUID), so a renamed account keeps its row */
	"ALTER TABLE dir_user ADD COLUMN ext_id TEXT;"
	"CREATE UNIQUE INDEX dir_user_ext_id ON dir_user (ext_id) WHERE ext_id IS NOT NULL;"
	/* uid allocation asks whether a number is anyone's uid or gid */
	"CREATE INDEX dir_user_gid ON dir_user (gid)",
};

static const char *const directory_user_tables[] = { "dir_user" };

static const char *const directory_pg_steps[] = {
	/* 1: the layout of SQLite step 2 */
	"CREATE TABLE dir_user ("
	"  \"user\" TEXT PRIMARY KEY,"
	"  uid BIGINT NOT NULL UNIQUE,"
	"  gid BIGINT NOT NULL,"
	"  first_seen BIGINT NOT NULL,"
	"  deactivated_at BIGINT NOT NULL DEFAULT 0,"
	"  reason TEXT NOT NULL DEFAULT '',"
	"  ext_id TEXT);"
	"CREATE UNIQUE INDEX dir_user_ext_id ON dir_user (ext_id) WHERE ext_id IS NOT NULL;"
	"CREATE INDEX dir_user_gid ON dir_user (gid);"
	"CREATE TABLE uid_tombstone ("
	"  uid BIGINT PRIMARY KEY,"
	"  \"user\" TEXT NOT NULL,"
	"  purged_at BIGINT NOT NULL);"
	"CREATE TABLE deletion_report ("
	"  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
	"  \"user\" TEXT NOT NULL,"
	"  uid BIGINT NOT NULL,"
	"  deactivated_at BIGINT NOT NULL,"
	"  purged_at BIGINT NOT NULL,"
	"  records BIGINT NOT NULL,"
	"  rule TEXT NOT NULL,"
	"  admin TEXT NOT NULL);"
	"CREATE TABLE dir_meta ("
	"  key TEXT PRIMARY KEY,"
	"  value BIGINT NOT NULL)",
};

const struct schema_part directory_schema_part = {
	.name = "directory",
	.steps = directory_steps,
	.nsteps = ARRAY_SIZE(directory_steps),
	.user_tables = directory_user_tables,
	.nuser_tables = ARRAY_SIZE(directory_user_tables),
	.pg_steps = directory_pg_steps,
	.pg_nsteps = ARRAY_SIZE(directory_pg_steps),
};
