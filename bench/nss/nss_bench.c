/* Latency of NSS modules called the way glibc calls them (dlopen + the
 * _nss_<module>_* entry points), on the data placed by run.sh.
 *   nss_bench hot  MODULE SOPATH N     per-call medians of each lookup
 *   nss_bench cold MODULE SOPATH NAME  first getpwnam_r in this process
 * Modules without initgroups_dyn are measured the way glibc falls back:
 * setgrent/getgrent_r over every group. */
#include <dlfcn.h>
#include <errno.h>
#include <grp.h>
#include <nss.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef enum nss_status (*pwnam_fn)(const char *, struct passwd *, char *, size_t, int *);
typedef enum nss_status (*pwuid_fn)(uid_t, struct passwd *, char *, size_t, int *);
typedef enum nss_status (*grgid_fn)(gid_t, struct group *, char *, size_t, int *);
typedef enum nss_status (*initgr_fn)(const char *, gid_t, long *, long *, gid_t **, long, int *);
typedef enum nss_status (*setent_fn)(int);
typedef enum nss_status (*endent_fn)(void);
typedef enum nss_status (*grent_fn)(struct group *, char *, size_t, int *);
typedef char *(*setpath_fn)(const char *);

static void *lib;
static const char *mod;
static char buf[4 << 20];

static void *sym(const char *what)
{
	char n[128];
	snprintf(n, sizeof(n), "_nss_%s_%s", mod, what);
	return dlsym(lib, n);
}

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int cmpd(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void open_mod(const char *m, const char *path)
{
	mod = m;
	lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!lib) {
		fprintf(stderr, "dlopen %s: %s\n", path, dlerror());
		exit(1);
	}
	if (!strcmp(m, "cache")) {   /* libnss-cache reads /etc/passwd.cache unless told */
		setpath_fn p = sym("setpwent_path"), g = sym("setgrent_path");
		const char *d = getenv("BENCH_CACHE_DIR");
		char path2[4096];
		snprintf(path2, sizeof(path2), "%s/passwd", d);
		p(path2);
		snprintf(path2, sizeof(path2), "%s/group", d);
		g(path2);
	}
}

static long n_users;
static unsigned long rnd;
static long pick(void)
{
	rnd ^= rnd << 13;
	rnd ^= rnd >> 7;
	rnd ^= rnd << 17;
	return (long)(rnd % (unsigned long)n_users);
}

enum op { OP_PWNAM, OP_PWUID, OP_GRGID, OP_INITGR };

static int initgroups_fallback(const char *user, gid_t gid, long *start, long *size, gid_t **g)
{
	setent_fn set = sym("setgrent");
	endent_fn end = sym("endgrent");
	grent_fn next = sym("getgrent_r");
	struct group gr;
	int err;
	set(0);
	while (next(&gr, buf, sizeof(buf), &err) == NSS_STATUS_SUCCESS) {
		if (gr.gr_gid == gid)
			continue;
		for (char **m = gr.gr_mem; *m; m++)
			if (!strcmp(*m, user)) {
				if (*start == *size) {
					*size *= 2;
					*g = realloc(*g, (size_t)*size * sizeof(gid_t));
				}
				(*g)[(*start)++] = gr.gr_gid;
				break;
			}
	}
	end();
	return 0;
}

static int one(enum op op)
{
	long i = pick();
	char name[16];
	int err;
	snprintf(name, sizeof(name), "u%07ld", i);
	switch (op) {
	case OP_PWNAM: {
		struct passwd pw;
		pwnam_fn f = sym("getpwnam_r");
		return f(name, &pw, buf, sizeof(buf), &err) == NSS_STATUS_SUCCESS &&
		       pw.pw_uid == 1000000u + (unsigned)i;
	}
	case OP_PWUID: {
		struct passwd pw;
		pwuid_fn f = sym("getpwuid_r");
		return f(1000000u + (unsigned)i, &pw, buf, sizeof(buf), &err) == NSS_STATUS_SUCCESS &&
		       !strcmp(pw.pw_name, name);
	}
	case OP_GRGID: {
		struct group gr;
		grgid_fn f = sym("getgrgid_r");
		return f(5000000u + (unsigned)(i / 100), &gr, buf, sizeof(buf), &err) ==
		       NSS_STATUS_SUCCESS;
	}
	case OP_INITGR: {
		long start = 1, size = 8;
		gid_t *g = malloc(8 * sizeof(gid_t));
		g[0] = 5000000u + (unsigned)(i / 100);
		initgr_fn f = sym("initgroups_dyn");
		if (f)
			f(name, g[0], &start, &size, &g, 0, &err);
		else
			initgroups_fallback(name, g[0], &start, &size, &g);
		int ok = start == 3 || (n_users <= 1000 && start >= 2);
		free(g);
		return ok;
	}
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 5)
		return 2;
	open_mod(argv[2], argv[3]);
	if (!strcmp(argv[1], "cold")) {
		struct passwd pw;
		int err;
		pwnam_fn f = sym("getpwnam_r");
		double t = now_ns();
		enum nss_status st = f(argv[4], &pw, buf, sizeof(buf), &err);
		t = now_ns() - t;
		printf("%.0f %d\n", t, st == NSS_STATUS_SUCCESS);
		return 0;
	}
	n_users = atol(argv[4]);
	static const char *const names[] = { "getpwnam_r", "getpwuid_r", "getgrgid_r", "initgroups" };
	for (int op = 0; op < 4; op++) {
		/* warm up, then as many calls as fit in ~1.5 s (at most 20000) */
		double t0 = now_ns();
		int ok = one(op);
		double first = now_ns() - t0;
		long k = (long)(1.5e9 / (first > 1 ? first : 1));
		if (k > 20000)
			k = 20000;
		if (k < 3)
			k = 3;
		double *v = malloc((size_t)k * sizeof(double));
		/* "hot": the same k random entries, looked up once to warm the
		 * caches (page cache, page tables, CPU), then timed */
		const unsigned long seed = 88172645463325252UL + (unsigned long)op;
		rnd = seed;
		for (long j = 0; j < k && first < 2e6; j++)
			one(op);
		rnd = seed;
		for (long j = 0; j < k; j++) {
			double t = now_ns();
			ok &= one(op);
			v[j] = now_ns() - t;
		}
		qsort(v, (size_t)k, sizeof(double), cmpd);
		printf("%s %s %.0f %.0f %ld %s%s\n", mod, names[op], v[k / 2], v[k * 99 / 100], k,
		       ok ? "ok" : "WRONG", op == OP_INITGR && !sym("initgroups_dyn") ? " fallback" : "");
		free(v);
	}
	return 0;
}
