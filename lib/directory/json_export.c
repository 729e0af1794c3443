/* The JSON form of an export (described in sosafectl(8)):
 *   {"users": [{"name", "uid", "gid", "gecos", "home", "shell",
 *               "enabled", "expires", "groups": [...]}],
 *    "groups": [{"name", "gid", "members": [...]}]}
 * read into the directory model; an error names the line. */
#include <config.h>
#include "directory/parse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "directory/json.h"

static int json_strs(const struct jval *a, char ***out, size_t *n, struct sosafe_err *e,
		     const char *what)
{
	if (!a)
		return 0;
	if (a->t != J_ARR)
		return fail_at(e, a->line, "JSON: %s must be an array of names", what);
	for (size_t i = 0; i < a->n; i++) {
		if (a->items[i].t != J_STR)
			return fail_at(e, a->items[i].line, "JSON: %s must hold strings", what);
		char *s = strdup(a->items[i].s);
		if (!s)
			return err_set(e, "out of memory");
		lower(s);
		int r = push_str(out, n, s);
		free(s);
		if (r)
			return err_set(e, "out of memory");
	}
	return 0;
}

static int json_id(const struct jval *v, long long *out, struct sosafe_err *e, const char *what)
{
	*out = DIR_NO_ID;
	if (!v || v->t == J_NULL)
		return 0;
	char buf[32];
	if (v->t != J_NUM || !v->num_ok)
		return fail_at(e, v->line, "JSON: %s must be an integer", what);
	snprintf(buf, sizeof(buf), "%lld", v->num);
	if (parse_id(buf, out))
		return fail_at(e, v->line, "JSON: %s must be 1000..4294967294 (not 65534)", what);
	return 0;
}

static int json_optstr(const struct jval *o, const char *key, char **out, struct sosafe_err *e)
{
	const struct jval *v = json_get(o, key);
	*out = NULL;
	if (!v || v->t == J_NULL)
		return 0;
	if (v->t != J_STR)
		return fail_at(e, v->line, "JSON: %s must be a string", key);
	if (!(*out = strdup(v->s)))
		return err_set(e, "out of memory");
	return 0;
}

/* gecos is neutralised, an unsafe home or shell quarantines the user
 * (escapes such as \u001b decode to the very bytes fields.c guards against) */
static int json_fields(const struct jval *o, struct dir_user *u, struct sosafe_err *e)
{
	static const char *const key[2] = { "home", "shell" };
	char **slot[2] = { &u->home, &u->shell };
	if (json_optstr(o, "gecos", &u->gecos, e))
		return -1;
	if (u->gecos)
		field_neutralise(u->gecos);
	for (size_t i = 0; i < 2; i++) {
		char *v;
		if (json_optstr(o, key[i], &v, e))
			return -1;
		if (v && user_field(u, key[i], slot[i], v, json_get(o, key[i])->line, e))
			return -1;
	}
	return 0;
}

static int json_name(const struct jval *o, char **out, struct sosafe_err *e)
{
	const struct jval *v = json_get(o, "name");
	if (!v || v->t != J_STR)
		return fail_at(e, o->line, "JSON: entry without a \"name\" string");
	if (!(*out = strdup(v->s)))
		return err_set(e, "out of memory");
	lower(*out);
	if (!directory_name_ok(*out))
		return fail_at(e, v->line,
			    "JSON: name is not a safe Unix name (1-32 of A-Z a-z 0-9 . _ -, "
			    "not starting with - or ., not all digits)");
	return 0;
}

int parse_json(const char *text, size_t len, struct directory *d, struct sosafe_err *e)
{
	struct jval root;
	int rc = -1;
	if (json_parse(text, len, &root, e))
		return -1;
	if (root.t != J_OBJ) {
		fail_at(e, 1, "JSON: the document must be an object");
		goto out;
	}
	const struct jval *users = json_get(&root, "users"), *groups = json_get(&root, "groups");
	if (!users || users->t != J_ARR) {
		fail_at(e, root.line, "JSON: \"users\" array missing");
		goto out;
	}
	if (groups && groups->t != J_ARR) {
		fail_at(e, groups->line, "JSON: \"groups\" must be an array");
		goto out;
	}
	d->users = calloc(users->n + 1, sizeof(*d->users));
	d->groups = calloc((groups ? groups->n : 0) + 1, sizeof(*d->groups));
	if (!d->users || !d->groups) {
		err_set(e, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < users->n; i++) {
		const struct jval *o = &users->items[i];
		struct dir_user *u = &d->users[d->nusers++];
		u->line = o->line;
		if (o->t != J_OBJ) {
			fail_at(e, o->line, "JSON: users[] must hold objects");
			goto out;
		}
		if (json_name(o, &u->name, e) ||
		    json_id(json_get(o, "uid"), &u->uid, e, "uid") ||
		    json_id(json_get(o, "gid"), &u->gid, e, "gid") ||
		    json_fields(o, u, e) ||
		    json_strs(json_get(o, "groups"), &u->groups, &u->ngroups, e, "groups"))
			goto out;
		if (!u->gecos && !(u->gecos = strdup(""))) {
			err_set(e, "out of memory");
			goto out;
		}
		const struct jval *en = json_get(o, "enabled"), *ex = json_get(o, "expires");
		if (en && en->t != J_BOOL) {
			fail_at(e, en->line, "JSON: enabled must be true or false");
			goto out;
		}
		u->disabled = en && !en->b;
		if (ex && ex->t != J_NULL) {
			if (ex->t != J_NUM || !ex->num_ok || ex->num < 0) {
				fail_at(e, ex->line, "JSON: expires must be unix time (0 = never)");
				goto out;
			}
			u->expires = ex->num;
		}
	}
	for (size_t i = 0; groups && i < groups->n; i++) {
		const struct jval *o = &groups->items[i];
		struct dir_group *g = &d->groups[d->ngroups++];
		g->line = o->line;
		if (o->t != J_OBJ) {
			fail_at(e, o->line, "JSON: groups[] must hold objects");
			goto out;
		}
		if (json_name(o, &g->name, e) ||
		    json_id(json_get(o, "gid"), &g->gid, e, "gid") ||
		    json_strs(json_get(o, "members"), &g->members, &g->nmembers, e, "members"))
			goto out;
	}
	rc = 0;
out:
	json_free(&root);
	return rc;
}
