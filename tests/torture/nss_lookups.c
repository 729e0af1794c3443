/* Many lookups through the NSS module's entry points, with snapshot swaps
 * and a snapshot truncated mid-swap in between: every answer right, the
 * damaged file answered with UNAVAIL, no leak (tests/hardening/valgrind.sh runs this
 * with NSS_LOOKUPS=100000 under memcheck). The module sources are compiled
 * in with SOSAFE_SNAPSHOT_DIR pointing into the build tree. TAP. */
#include <config.h>

#include <errno.h>
#include <grp.h>
#include <nss.h>
#include <pwd.h>
#include <shadow.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "snapshot/snapshot_write.h"
#include "view.h"

enum nss_status _nss_sosafe_getpwnam_r(const char *, struct passwd *, char *, size_t, int *);
enum nss_status _nss_sosafe_getpwuid_r(uid_t, struct passwd *, char *, size_t, int *);
enum nss_status _nss_sosafe_getgrnam_r(const char *, struct group *, char *, size_t, int *);
enum nss_status _nss_sosafe_getgrgid_r(gid_t, struct group *, char *, size_t, int *);
enum nss_status _nss_sosafe_getspnam_r(const char *, struct spwd *, char *, size_t, int *);
enum nss_status _nss_sosafe_initgroups_dyn(const char *, gid_t, long int *, long int *, gid_t **,
					   long int, int *);

#define NUSERS 496 /* a multiple of NGROUPS: every user is in exactly one group */
#define NGROUPS 8
#define UID0 400000

static char names[NUSERS][16];
static char gnames[NGROUPS][16];

static int write_snapshot(uint64_t serial)
{
	static struct snap_user users[NUSERS];
	static struct snap_group groups[NGROUPS];
	static const char *members[NGROUPS][NUSERS / NGROUPS];
	for (int i = 0; i < NUSERS; i++) {
		snprintf(names[i], sizeof(names[i]), "user%03d", i);
		users[i] = (struct snap_user){ names[i], UID0 + (uint32_t)i, UID0 + 100000,
					       "Test User", "/home/x", "/bin/sh", NULL, -1,
					       i % 50 == 0, 1700000000, i % 50 == 0 ? 1700000000 : 0 };
	}
	for (int g = 0; g < NGROUPS; g++) {
		snprintf(gnames[g], sizeof(gnames[g]), "grp%d", g);
		for (int k = 0; k < NUSERS / NGROUPS; k++)
			members[g][k] = names[g * (NUSERS / NGROUPS) + k];
		groups[g] = (struct snap_group){ gnames[g], UID0 + 100000 + 1 + (uint32_t)g, members[g],
						 NUSERS / NGROUPS };
	}
	struct snap_data d = { users, NUSERS, groups, NGROUPS, 1700000000, serial };
	struct sosafe_err err = { "" };
	if (snap_write(NSS_LOOKUPS_DIR, &d, &err)) {
		printf("# snap_write: %s\n", err.msg);
		return -1;
	}
	snap_view_invalidate(&nss_view_passwd);
	snap_view_invalidate(&nss_view_shadow);
	return 0;
}

static int n_test, failed;
static void tap(bool ok, const char *what, long a, long b)
{
	printf("%sok %d - %s (%ld, %ld)\n", ok ? "" : "not ", ++n_test, what, a, b);
	if (!ok)
		failed = 1;
}

/* One round of every kind of lookup; returns the number of wrong answers. */
static long one_round(long i, char *buf, size_t buflen)
{
	long wrong = 0;
	static int shown;
	int e = 0;
#define WRONG(what) do { wrong++; if (shown++ < 5) printf("# round %ld: %s\n", i, what); } while (0)
	int u = (int)(i % NUSERS);
	struct passwd pw;
	struct group gr;
	struct spwd sp;
	if (_nss_sosafe_getpwnam_r(names[u], &pw, buf, buflen, &e) != NSS_STATUS_SUCCESS ||
	    pw.pw_uid != (uid_t)(UID0 + u) || strcmp(pw.pw_name, names[u]))
		WRONG("getpwnam");
	if (_nss_sosafe_getpwnam_r("nosuchuser", &pw, buf, buflen, &e) != NSS_STATUS_NOTFOUND)
		WRONG("getpwnam miss");
	if (_nss_sosafe_getpwuid_r((uid_t)(UID0 + u), &pw, buf, buflen, &e) != NSS_STATUS_SUCCESS ||
	    strcmp(pw.pw_name, names[u]))
		WRONG("getpwuid");
	int g = (int)(i % NGROUPS);
	if (_nss_sosafe_getgrnam_r(gnames[g], &gr, buf, buflen, &e) != NSS_STATUS_SUCCESS ||
	    gr.gr_gid != (gid_t)(UID0 + 100000 + 1 + g))
		WRONG("getgrnam");
	if (_nss_sosafe_getgrgid_r((gid_t)(UID0 + 100000 + 1 + g), &gr, buf, buflen, &e) !=
	    NSS_STATUS_SUCCESS)
		WRONG("getgrgid");
	if (geteuid() == 0) {
		enum nss_status r = _nss_sosafe_getspnam_r(names[u], &sp, buf, buflen, &e);
		if (r != NSS_STATUS_SUCCESS || (u % 50 == 0) != (sp.sp_expire == 1))
			WRONG("getspnam");
	}
	long start = 0, size = 4;
	gid_t *gids = malloc(4 * sizeof(gid_t));
	if (!gids)
		return wrong + 1;
	enum nss_status r = _nss_sosafe_initgroups_dyn(names[u], 0, &start, &size, &gids, 64, &e);
	if (r != NSS_STATUS_SUCCESS || start != 1 ||
	    gids[0] != (gid_t)(UID0 + 100000 + 1 + u / (NUSERS / NGROUPS)))
		WRONG("initgroups");
	free(gids);
	return wrong;
}

int main(void)
{
	/* NSS_LOOKUPS: lookups wanted (7 per round); default about 21,000 */
	long n = 3000;
	const char *env = getenv("NSS_LOOKUPS");
	if (env)
		n = (strtol(env, NULL, 10) + 6) / 7;
	printf("1..4\n");
	mkdir(NSS_LOOKUPS_DIR, 0755);
	chmod(NSS_LOOKUPS_DIR, 0755);
	if (write_snapshot(1)) {
		printf("not ok 1 - cannot write the snapshot\n");
		return 1;
	}
	static char buf[65536];
	long wrong = 0, swaps = 0;
	for (long i = 0; i < n; i++) {
		wrong += one_round(i, buf, sizeof(buf));
		if (i % 5000 == 4999) {
			if (write_snapshot((uint64_t)(i / 5000 + 2)))
				wrong++;
			swaps++;
		}
	}
	tap(wrong == 0, "lookups with snapshot swaps every 35,000, wrong answers 0 (lookups, wrong)",
	    n * 7, wrong);

	/* a file cut short by a crash mid-swap: refused, never read past its end */
	char path[512], tmp[520];
	snprintf(path, sizeof(path), "%s/%s", NSS_LOOKUPS_DIR, SNAP_PASSWD_FILE);
	snprintf(tmp, sizeof(tmp), "%s.cut", path);
	struct stat st;
	bool cut_ok = stat(path, &st) == 0 && truncate(path, st.st_size / 2) == 0;
	snap_view_invalidate(&nss_view_passwd);
	int e = 0;
	struct passwd pw;
	enum nss_status r = _nss_sosafe_getpwnam_r(names[1], &pw, buf, sizeof(buf), &e);
	tap(cut_ok && r == NSS_STATUS_UNAVAIL, "truncated passwd.snap answers UNAVAIL (status, errno)",
	    (long)r, e);
	r = _nss_sosafe_getpwuid_r(UID0 + 1, &pw, buf, sizeof(buf), &e);
	tap(r == NSS_STATUS_UNAVAIL, "and so does a lookup by uid (status, errno)", (long)r, e);
	(void)tmp;
	bool back = write_snapshot(99) == 0 &&
		    _nss_sosafe_getpwnam_r(names[1], &pw, buf, sizeof(buf), &e) == NSS_STATUS_SUCCESS;
	tap(back, "a good snapshot swapped in is served again (swaps, 0)", swaps, 0);
	return failed;
}
