/* The list of changes a sync or purge made, for the caller's audit
 * records, syslog lines and output. */
#include <config.h>
#include "directory/lifecycle.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sync_result_free(struct sync_result *r)
{
	for (size_t i = 0; i < r->nchanges; i++) {
		free(r->changes[i].user);
		free(r->changes[i].why);
		free(r->changes[i].from);
		free(r->changes[i].why_anon);
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
	c->from = c->why_anon = NULL;
	if (!c->user || !c->why) {
		free(c->user);
		free(c->why);
		return err_set(e, "out of memory");
	}
	r->nchanges++;
	return 0;
}

int sync_note_rename(struct sync_result *r, const char *user, long long uid, const char *from,
		     const char *ext_id, long rows, struct sosafe_err *e)
{
	char why[512], anon[64];
	snprintf(why, sizeof(why), "renamed from '%s' (same stable id %s); %ld record(s) moved", from,
		 ext_id, rows);
	snprintf(anon, sizeof(anon), "%ld record(s) moved", rows);
	if (sync_note(r, user, uid, "renamed", why, e))
		return -1;
	struct sync_change *c = &r->changes[r->nchanges - 1];
	c->from = strdup(from);
	c->why_anon = strdup(anon);
	if (!c->from || !c->why_anon)   /* sync_result_free() frees what was set */
		return err_set(e, "out of memory");
	return 0;
}
