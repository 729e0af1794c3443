/* The list of changes a sync or purge made, for the caller's audit
 * records, syslog lines and output. */
#include <config.h>
#include "directory/lifecycle.h"

#include <stdlib.h>
#include <string.h>

void sync_result_free(struct sync_result *r)
{
	for (size_t i = 0; i < r->nchanges; i++) {
		free(r->changes[i].user);
		free(r->changes[i].why);
	}
	free(r->changes);
	memset(r, 0, sizeof(*r));
}

int sync_note(struct sync_result *r, const char *user, long long uid, const char *what,
	      const char *why, struct sosafe_err *e)
{
	struct sync_change *c = realloc(r->changes, (r->nchanges + 1) * sizeof(*c));
	if (!c)
		return err_set(e, "out of memory");
	r->changes = c;
	c = &c[r->nchanges];
	c->user = strdup(user);
	c->why = strdup(why ? why : "");
	c->uid = uid;
	c->what = what;
	if (!c->user || !c->why) {
		free(c->user);
		free(c->why);
		return err_set(e, "out of memory");
	}
	r->nchanges++;
	return 0;
}
