/* The published snapshot read back as a directory model: a purge without
 * an export republishes what is there, minus the purged users. */
#include <config.h>
#include "directory/lifecycle.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snapshot/snapshot.h"

static int load_users(struct snap *s, struct directory *d, struct sosafe_err *e)
{
	uint32_t pos = 0;
	const unsigned char *v;
	size_t vl;
	while (snap_seq_peek(s, SK_PW_NAME, &pos, &v, &vl) == SNAP_OK) {
		struct snap_pw pw;
		struct dir_user *u;
		if (snap_decode_pw(v, vl, &pw) ||
		    !(u = realloc(d->users, (d->nusers + 1) * sizeof(*u))))
			return err_set(e, "cannot read the current snapshot");
		d->users = u;
		u = &u[d->nusers++];
		memset(u, 0, sizeof(*u));
		u->name = strndup(pw.name, pw.name_len);
		u->gecos = strndup(pw.gecos, pw.gecos_len);
		u->home = strndup(pw.dir, pw.dir_len);
		u->shell = strndup(pw.shell, pw.shell_len);
		u->uid = pw.uid;
		u->gid = pw.gid;
		snap_seq_advance(s, &pos);
	}
	return 0;
}

static int load_groups(struct snap *s, struct directory *d, struct sosafe_err *e)
{
	uint32_t pos = 0;
	const unsigned char *v;
	size_t vl;
	while (snap_seq_peek(s, SK_GR_NAME, &pos, &v, &vl) == SNAP_OK) {
		struct snap_gr gr;
		struct dir_group *g;
		if (snap_decode_gr(v, vl, &gr) ||
		    !(g = realloc(d->groups, (d->ngroups + 1) * sizeof(*g))))
			return err_set(e, "cannot read the current snapshot");
		d->groups = g;
		g = &g[d->ngroups++];
		memset(g, 0, sizeof(*g));
		g->name = strndup(gr.name, gr.name_len);
		g->gid = gr.gid;
		const char *m = (const char *)gr.mem;
		g->members = calloc(gr.nmem + 1, sizeof(char *));
		if (!g->name || !g->members)
			return err_set(e, "out of memory");
		for (uint32_t k = 0; k < gr.nmem; k++) {
			g->members[g->nmembers++] = strdup(m);
			m += strlen(m) + 1;
		}
		snap_seq_advance(s, &pos);
	}
	return 0;
}

int snapshot_load(const char *dir, struct directory *d, int64_t *generated_at,
		  struct sosafe_err *e)
{
	char path[4096];
	struct snap s;
	memset(d, 0, sizeof(*d));
	snprintf(path, sizeof(path), "%s/%s", dir, SNAP_PASSWD_FILE);
	if (snap_open(&s, path, SNAP_KIND_PASSWD, e) != SNAP_OK)
		return err_prefix(e, "cannot read the current snapshot");
	*generated_at = s.hdr.generated_at;
	int ret = load_users(&s, d, e);
	if (!ret)
		ret = load_groups(&s, d, e);
	snap_close(&s);
	if (ret)
		directory_free(d);
	return ret;
}
