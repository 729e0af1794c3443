/* Generate the same N users and groups for every NSS module of the
 * benchmark: /etc-style passwd and group, libnss-cache files with their
 * sorted indexes, makedb input for libnss-db, and a sosafe snapshot.
 *   gen N OUTDIR
 * Users u0000001.. (uid 1000000+i), primary group team t(i/100); also
 * members of dept d(i/1000) and site s(i/10000). */
#include <config.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "snapshot/snapshot_write.h"

static FILE *out(const char *dir, const char *name)
{
	char p[4096];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	FILE *f = fopen(p, "w");
	if (!f) {
		perror(p);
		exit(1);
	}
	return f;
}

struct ix {
	char key[32];
	long off;
};

static int cmp_ix(const void *a, const void *b)
{
	return strcmp(((const struct ix *)a)->key, ((const struct ix *)b)->key);
}

/* libnss-cache index: fixed-width lines "key\0offset   \n", sorted by strcmp */
static void write_index(const char *dir, const char *name, struct ix *ix, size_t n)
{
	qsort(ix, n, sizeof(*ix), cmp_ix);
	size_t w = 0;
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(ix[i].key) + 1 + 20;
		if (l > w)
			w = l;
	}
	FILE *f = out(dir, name);
	char line[128];
	for (size_t i = 0; i < n; i++) {
		memset(line, ' ', w);
		size_t k = strlen(ix[i].key);
		memcpy(line, ix[i].key, k);
		line[k] = 0;
		int m = snprintf(line + k + 1, 21, "%ld", ix[i].off);
		line[k + 1 + m] = ' ';
		line[w] = '\n';
		fwrite(line, 1, w + 1, f);
	}
	fclose(f);
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: gen N OUTDIR\n");
		return 2;
	}
	long n = atol(argv[1]);
	const char *dir = argv[2];
	long nteam = (n + 99) / 100, ndept = (n + 999) / 1000, nsite = (n + 9999) / 10000;
	long ngroups = nteam + ndept + nsite;

	FILE *pw = out(dir, "passwd"), *gr = out(dir, "group");
	FILE *pdb = out(dir, "passwd.db.in"), *gdb = out(dir, "group.db.in");
	struct ix *ixn = calloc((size_t)n, sizeof(*ixn)), *ixu = calloc((size_t)n, sizeof(*ixu));
	struct ix *ixg = calloc((size_t)ngroups, sizeof(*ixg)), *ixgn = calloc((size_t)ngroups, sizeof(*ixgn));
	struct snap_user *su = calloc((size_t)n, sizeof(*su));
	struct snap_group *sg = calloc((size_t)ngroups, sizeof(*sg));
	char **names = calloc((size_t)n, sizeof(char *));
	if (!ixn || !ixu || !ixg || !ixgn || !su || !sg || !names)
		return 1;
	fprintf(pw, "root:x:0:0:root:/root:/bin/bash\n");
	fprintf(gr, "root:x:0:\n");
	long off = ftell(pw);
	for (long i = 0; i < n; i++) {
		char name[16], line[256];
		snprintf(name, sizeof(name), "u%07ld", i);
		names[i] = strdup(name);
		unsigned uid = 1000000u + (unsigned)i, gid = 5000000u + (unsigned)(i / 100);
		int l = snprintf(line, sizeof(line), "%s:x:%u:%u:User %ld:/home/%s:/bin/bash\n", name,
				 uid, gid, i, name);
		fputs(line, pw);
		fprintf(pdb, "0%ld %s.%s %s=%u %s", i, line, name, line, uid, line);
		snprintf(ixn[i].key, sizeof(ixn[i].key), "%s", name);
		snprintf(ixu[i].key, sizeof(ixu[i].key), "%u", uid);
		ixn[i].off = ixu[i].off = off;
		off += l;
		su[i] = (struct snap_user){ names[i], uid, gid, NULL, NULL, "/bin/bash", NULL, 19000,
					    false, 0, 0 };
		char *g = malloc(32), *h = malloc(32);
		snprintf(g, 32, "User %ld", i);
		snprintf(h, 32, "/home/%s", name);
		su[i].gecos = g;
		su[i].dir = h;
	}
	/* groups: team, dept, site */
	off = ftell(gr);
	long gi = 0, cnt = 0;
	size_t cap = 1 << 16;
	char *line = malloc(cap);
	for (int kind = 0; kind < 3; kind++) {
		long per = kind == 0 ? 100 : kind == 1 ? 1000 : 10000;
		long ng = kind == 0 ? nteam : kind == 1 ? ndept : nsite;
		unsigned base = kind == 0 ? 5000000u : kind == 1 ? 6000000u : 7000000u;
		char pfx = kind == 0 ? 't' : kind == 1 ? 'd' : 's';
		for (long g = 0; g < ng; g++, gi++) {
			char gname[16];
			snprintf(gname, sizeof(gname), "%c%06ld", pfx, g);
			unsigned gid = base + (unsigned)g;
			long first = g * per, last = first + per < n ? first + per : n;
			size_t need = 64 + (size_t)(last - first) * 10;
			if (need > cap) {
				cap = need * 2;
				line = realloc(line, cap);
			}
			size_t l = (size_t)snprintf(line, cap, "%s:x:%u:", gname, gid);
			for (long u = first; u < last; u++)
				l += (size_t)snprintf(line + l, cap - l, "%s%s", u > first ? "," : "",
						      names[u]);
			line[l++] = '\n';
			line[l] = 0;
			fputs(line, gr);
			fprintf(gdb, "0%ld %s.%s %s=%u %s", cnt++, line, gname, line, gid, line);
			snprintf(ixgn[gi].key, sizeof(ixgn[gi].key), "%s", gname);
			snprintf(ixg[gi].key, sizeof(ixg[gi].key), "%u", gid);
			ixg[gi].off = ixgn[gi].off = off;
			off += (long)l;
			const char **mem = malloc(sizeof(char *) * (size_t)(last - first + 1));
			for (long u = first; u < last; u++)
				mem[u - first] = names[u];
			sg[gi] = (struct snap_group){ strdup(gname), gid, mem, (uint32_t)(last - first) };
		}
	}
	fclose(pw);
	fclose(gr);
	fclose(pdb);
	fclose(gdb);
	write_index(dir, "passwd.ixname", ixn, (size_t)n);
	write_index(dir, "passwd.ixuid", ixu, (size_t)n);
	write_index(dir, "group.ixgid", ixg, (size_t)ngroups);
	write_index(dir, "group.ixname", ixgn, (size_t)ngroups);
	char sdir[4096];
	struct sosafe_err err;
	snprintf(sdir, sizeof(sdir), "%s/sosafe", dir);
	mkdir(sdir, 0755);
	struct snap_data d = { su, (size_t)n, sg, (size_t)ngroups, 1700000000, 1 };
	if (snap_write(sdir, &d, &err)) {
		fprintf(stderr, "snap_write: %s\n", err.msg);
		return 1;
	}
	return 0;
}
