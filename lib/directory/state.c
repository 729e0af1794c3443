/* Reading the lifecycle state outside a sync: a user's row, tombstones,
 * the deletion report (sosafectl purge --report). */
#include <config.h>
#include "directory/directory.h"

#include <string.h>

enum store_status directory_state_get(struct store *st, const char *user, struct dir_state *s)
{
	struct dir_store *ds = dir_store_new(st);
	memset(s, 0, sizeof(*s));
	if (!ds)
		return ST_NOMEM;
	enum store_status r = dir_user_get(ds, user, s);
	dir_store_free(ds);
	return r;
}

bool directory_uid_tombstoned(struct store *st, long long uid)
{
	struct dir_store *ds = dir_store_new(st);
	bool r = ds && dir_uid_tombstoned(ds, uid);
	dir_store_free(ds);
	return r;
}

enum store_status directory_report_foreach(struct store *st, deletion_fn fn, void *ctx)
{
	struct dir_store *ds = dir_store_new(st);
	if (!ds)
		return ST_NOMEM;
	enum store_status r = dir_report_foreach(ds, fn, ctx);
	dir_store_free(ds);
	return r;
}
