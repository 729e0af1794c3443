/* libnss_sosafe.so.2: passwd, group, shadow and initgroups from the
 * directory snapshot written by `sosafectl sync`. See nss_sosafe(8).
 *
 * The glibc contract (manual/nss.texi) as this file keeps it:
 *  - a buffer too small: NSS_STATUS_TRYAGAIN with *errnop = ERANGE, and
 *    nothing else ever returns ERANGE; during enumeration the same entry
 *    comes again on the next call;
 *  - not found: NSS_STATUS_NOTFOUND, *errnop = ENOENT;
 *  - no usable snapshot (missing, unsafe, truncated, corrupt):
 *    NSS_STATUS_UNAVAIL with ENOENT (missing) or EIO/EACCES;
 *  - *errnop is never set to 0; lookups do not touch enumeration state;
 *  - no allocation (except growing the initgroups array, as the interface
 *    demands), no logging, no threads, no locks held outside a lookup. */
#include <config.h>

#include <errno.h>
#include <grp.h>
#include <nss.h>
#include <pthread.h>
#include <pwd.h>
#include <shadow.h>
#include <stdalign.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "snapshot/snapshot.h"
#include "view.h"

#define EXPORT __attribute__((visibility("default")))

/* Prototypes (glibc does not declare module entry points). */
#define NSS_PROTO(ret, name, ...) EXPORT ret _nss_sosafe_##name(__VA_ARGS__)
NSS_PROTO(enum nss_status, getpwnam_r, const char *, struct passwd *, char *, size_t, int *);
NSS_PROTO(enum nss_status, getpwuid_r, uid_t, struct passwd *, char *, size_t, int *);
NSS_PROTO(enum nss_status, setpwent, int);
NSS_PROTO(enum nss_status, getpwent_r, struct passwd *, char *, size_t, int *);
NSS_PROTO(enum nss_status, endpwent, void);
NSS_PROTO(enum nss_status, getgrnam_r, const char *, struct group *, char *, size_t, int *);
NSS_PROTO(enum nss_status, getgrgid_r, gid_t, struct group *, char *, size_t, int *);
NSS_PROTO(enum nss_status, setgrent, int);
NSS_PROTO(enum nss_status, getgrent_r, struct group *, char *, size_t, int *);
NSS_PROTO(enum nss_status, endgrent, void);
NSS_PROTO(enum nss_status, getspnam_r, const char *, struct spwd *, char *, size_t, int *);
NSS_PROTO(enum nss_status, setspent, int);
NSS_PROTO(enum nss_status, getspent_r, struct spwd *, char *, size_t, int *);
NSS_PROTO(enum nss_status, endspent, void);
NSS_PROTO(enum nss_status, initgroups_dyn, const char *, gid_t, long int *, long int *,
	  gid_t **, long int, int *);

static enum nss_status unavail(enum snap_status why, int *errnop)
{
	*errnop = why == SNAP_MISSING ? ENOENT : why == SNAP_UNSAFE ? EACCES : EIO;
	return NSS_STATUS_UNAVAIL;
}

static enum nss_status lookup_status(enum snap_status r, int *errnop)
{
	if (r == SNAP_NOTFOUND) {
		*errnop = ENOENT;
		return NSS_STATUS_NOTFOUND;
	}
	return unavail(r, errnop);
}

static enum nss_status erange(int *errnop)
{
	*errnop = ERANGE;
	return NSS_STATUS_TRYAGAIN;
}

/* Copy one string into BUF at *OFF; false if it does not fit. */
static bool put_str(char *buf, size_t buflen, size_t *off, const char *s, size_t n, char **out)
{
	if (*off > buflen || n >= buflen - *off)
		return false;
	memcpy(buf + *off, s, n);
	buf[*off + n] = '\0';
	*out = buf + *off;
	*off += n + 1;
	return true;
}

static enum nss_status fill_pw(const struct snap_pw *p, struct passwd *pw, char *buf,
			       size_t buflen, int *errnop)
{
	size_t off = 0;
	char *name, *passwd, *gecos, *dir, *shell;
	if (!put_str(buf, buflen, &off, p->name, p->name_len, &name) ||
	    !put_str(buf, buflen, &off, "x", 1, &passwd) ||
	    !put_str(buf, buflen, &off, p->gecos, p->gecos_len, &gecos) ||
	    !put_str(buf, buflen, &off, p->dir, p->dir_len, &dir) ||
	    !put_str(buf, buflen, &off, p->shell, p->shell_len, &shell))
		return erange(errnop);
	pw->pw_name = name;
	pw->pw_passwd = passwd;
	pw->pw_uid = p->uid;
	pw->pw_gid = p->gid;
	pw->pw_gecos = gecos;
	pw->pw_dir = dir;
	pw->pw_shell = shell;
	return NSS_STATUS_SUCCESS;
}

static enum nss_status fill_gr(const struct snap_gr *g, struct group *gr, char *buf,
			       size_t buflen, int *errnop)
{
	/* the member pointer array first, aligned, then the strings */
	uintptr_t base = (uintptr_t)buf;
	size_t pad = (alignof(char *) - base % alignof(char *)) % alignof(char *);
	size_t need = (size_t)g->nmem + 1;
	if (buflen < pad || need > (buflen - pad) / sizeof(char *))
		return erange(errnop);
	char **mem = (char **)(void *)(buf + pad);
	size_t off = pad + need * sizeof(char *);
	char *name, *passwd;
	if (!put_str(buf, buflen, &off, g->name, g->name_len, &name) ||
	    !put_str(buf, buflen, &off, "x", 1, &passwd))
		return erange(errnop);
	/* the members are NUL-terminated and back to back: one copy */
	if (g->mem_len > buflen - off)
		return erange(errnop);
	char *m = buf + off;
	memcpy(m, g->mem, g->mem_len);
	for (uint32_t i = 0; i < g->nmem; i++) {
		mem[i] = m;
		m += strlen(m) + 1;
	}
	mem[g->nmem] = NULL;
	gr->gr_name = name;
	gr->gr_passwd = passwd;
	gr->gr_gid = g->gid;
	gr->gr_mem = mem;
	return NSS_STATUS_SUCCESS;
}

static enum nss_status fill_sp(const struct snap_sp *s, struct spwd *sp, char *buf,
			       size_t buflen, int *errnop)
{
	size_t off = 0;
	char *name, *pwdp;
	if (!put_str(buf, buflen, &off, s->name, s->name_len, &name) ||
	    !put_str(buf, buflen, &off, s->pwdp, s->pwdp_len, &pwdp))
		return erange(errnop);
	sp->sp_namp = name;
	sp->sp_pwdp = pwdp;
	sp->sp_lstchg = (long)s->lstchg;
	sp->sp_min = -1;
	sp->sp_max = -1;
	sp->sp_warn = -1;
	sp->sp_inact = -1;
	sp->sp_expire = (long)s->expire;
	sp->sp_flag = ~0UL;
	return NSS_STATUS_SUCCESS;
}

/* ---- lookups ------------------------------------------------------------ */

/* s is the name of the variable it declares, so it takes no parentheses */
#define WITH_SNAP(view, s, errnop)                                    \
	enum snap_status why_;                                          \
	const struct snap *s = snap_view_acquire(view, &why_, NULL); /* NOLINT(bugprone-macro-parentheses) */ \
	if (!(s))                                                        \
		return unavail(why_, errnop)

EXPORT enum nss_status _nss_sosafe_getpwnam_r(const char *name, struct passwd *pw, char *buf,
					      size_t buflen, int *errnop)
{
	WITH_SNAP(&nss_view_passwd, s, errnop);
	struct snap_pw p;
	enum snap_status r = snap_pw_by_name(s, name, &p);
	enum nss_status ret = r == SNAP_OK ? fill_pw(&p, pw, buf, buflen, errnop)
					   : lookup_status(r, errnop);
	snap_view_release(&nss_view_passwd);
	return ret;
}

EXPORT enum nss_status _nss_sosafe_getpwuid_r(uid_t uid, struct passwd *pw, char *buf,
					      size_t buflen, int *errnop)
{
	WITH_SNAP(&nss_view_passwd, s, errnop);
	struct snap_pw p;
	enum snap_status r = snap_pw_by_uid(s, uid, &p);
	enum nss_status ret = r == SNAP_OK ? fill_pw(&p, pw, buf, buflen, errnop)
					   : lookup_status(r, errnop);
	snap_view_release(&nss_view_passwd);
	return ret;
}

EXPORT enum nss_status _nss_sosafe_getgrnam_r(const char *name, struct group *gr, char *buf,
					      size_t buflen, int *errnop)
{
	WITH_SNAP(&nss_view_passwd, s, errnop);
	struct snap_gr g;
	enum snap_status r = snap_gr_by_name(s, name, &g);
	enum nss_status ret = r == SNAP_OK ? fill_gr(&g, gr, buf, buflen, errnop)
					   : lookup_status(r, errnop);
	snap_view_release(&nss_view_passwd);
	return ret;
}

EXPORT enum nss_status _nss_sosafe_getgrgid_r(gid_t gid, struct group *gr, char *buf,
					      size_t buflen, int *errnop)
{
	WITH_SNAP(&nss_view_passwd, s, errnop);
	struct snap_gr g;
	enum snap_status r = snap_gr_by_gid(s, gid, &g);
	enum nss_status ret = r == SNAP_OK ? fill_gr(&g, gr, buf, buflen, errnop)
					   : lookup_status(r, errnop);
	snap_view_release(&nss_view_passwd);
	return ret;
}

EXPORT enum nss_status _nss_sosafe_getspnam_r(const char *name, struct spwd *sp, char *buf,
					      size_t buflen, int *errnop)
{
	WITH_SNAP(&nss_view_shadow, s, errnop);
	struct snap_sp p;
	enum snap_status r = snap_sp_by_name(s, name, &p);
	enum nss_status ret = r == SNAP_OK ? fill_sp(&p, sp, buf, buflen, errnop)
					   : lookup_status(r, errnop);
	snap_view_release(&nss_view_shadow);
	return ret;
}

EXPORT enum nss_status _nss_sosafe_initgroups_dyn(const char *user, gid_t group, long int *start,
						  long int *size, gid_t **groupsp, long int limit,
						  int *errnop)
{
	WITH_SNAP(&nss_view_passwd, s, errnop);
	const unsigned char *gids;
	uint32_t n;
	enum nss_status ret = NSS_STATUS_SUCCESS;
	enum snap_status r = snap_initgroups(s, user, &gids, &n);
	if (r != SNAP_OK) {
		ret = lookup_status(r, errnop);
		goto out;
	}
	for (uint32_t i = 0; i < n; i++) {
		gid_t g = snap_le32(gids + 4 * i);
		if (g == group)
			continue;
		bool dup = false;
		for (long j = 0; j < *start && !dup; j++)
			dup = (*groupsp)[j] == g;
		if (dup)
			continue;
		if (*start >= *size) {
			if (limit > 0 && *size >= limit)
				break;   /* the caller's limit: stop, as nss_files does */
			long ns = *size > 0 ? 2 * *size : 16;
			if (limit > 0 && ns > limit)
				ns = limit;
			gid_t *ng = realloc(*groupsp, (size_t)ns * sizeof(gid_t));
			if (!ng) {
				*errnop = ENOMEM;
				ret = NSS_STATUS_TRYAGAIN;
				goto out;
			}
			*groupsp = ng;
			*size = ns;
		}
		(*groupsp)[(*start)++] = g;
	}
out:
	snap_view_release(&nss_view_passwd);
	return ret;
}

/* ---- enumeration ---------------------------------------------------------
 * One position per database, in this process. It is an offset into the
 * mapping it started on: if another snapshot is swapped in meanwhile, the
 * enumeration ends (NOTFOUND) rather than continue in a different file.
 * glibc serialises set/get/end*ent per database; the mutex guards direct
 * callers too. */

struct ent_state {
	pthread_mutex_t lock;
	uint32_t pos;
	unsigned gen;
	bool started;
};

static struct ent_state pw_ent = { PTHREAD_MUTEX_INITIALIZER, 0, 0, false };
static struct ent_state gr_ent = { PTHREAD_MUTEX_INITIALIZER, 0, 0, false };
static struct ent_state sp_ent = { PTHREAD_MUTEX_INITIALIZER, 0, 0, false };

static void ent_lock_all(void)
{
	pthread_mutex_lock(&pw_ent.lock);
	pthread_mutex_lock(&gr_ent.lock);
	pthread_mutex_lock(&sp_ent.lock);
}

static void ent_unlock_all(void)
{
	pthread_mutex_unlock(&sp_ent.lock);
	pthread_mutex_unlock(&gr_ent.lock);
	pthread_mutex_unlock(&pw_ent.lock);
}

static void ent_reinit_all(void)
{
	pthread_mutex_init(&pw_ent.lock, NULL);
	pthread_mutex_init(&gr_ent.lock, NULL);
	pthread_mutex_init(&sp_ent.lock, NULL);
}

static pthread_once_t ent_once = PTHREAD_ONCE_INIT;
static void ent_register_atfork(void)
{
	/* registered after the views' handlers (they run first at prepare):
	 * enumeration locks are taken before view locks, in that order too */
	snap_view_atfork_init();
	pthread_atfork(ent_lock_all, ent_unlock_all, ent_reinit_all);
}

static void ent_reset(struct ent_state *e)
{
	pthread_once(&ent_once, ent_register_atfork);
	pthread_mutex_lock(&e->lock);
	e->pos = 0;
	e->started = false;
	pthread_mutex_unlock(&e->lock);
}

typedef enum nss_status (*fill_fn)(const unsigned char *v, size_t vl, void *out, char *buf,
				   size_t buflen, int *errnop);

static enum nss_status ent_next(struct ent_state *e, struct snap_view *view, int type, fill_fn fill,
				void *out, char *buf, size_t buflen, int *errnop)
{
	enum snap_status why;
	unsigned gen;
	enum nss_status ret;
	pthread_once(&ent_once, ent_register_atfork);
	pthread_mutex_lock(&e->lock);
	const struct snap *s = snap_view_acquire(view, &why, &gen);
	if (!s) {
		pthread_mutex_unlock(&e->lock);
		return unavail(why, errnop);
	}
	if (!e->started) {
		e->started = true;
		e->pos = 0;
		e->gen = gen;
	}
	if (e->gen != gen) {
		ret = lookup_status(SNAP_NOTFOUND, errnop);
		goto out;
	}
	const unsigned char *v;
	size_t vl;
	enum snap_status r = snap_seq_peek(s, type, &e->pos, &v, &vl);
	if (r != SNAP_OK) {
		ret = lookup_status(r, errnop);
		goto out;
	}
	ret = fill(v, vl, out, buf, buflen, errnop);
	if (ret == NSS_STATUS_SUCCESS)
		snap_seq_advance(s, &e->pos);   /* after ERANGE: the same entry again */
out:
	snap_view_release(view);
	pthread_mutex_unlock(&e->lock);
	return ret;
}

static enum nss_status fill_pw_raw(const unsigned char *v, size_t vl, void *out, char *buf,
				   size_t buflen, int *errnop)
{
	struct snap_pw p;
	if (snap_decode_pw(v, vl, &p))
		return unavail(SNAP_CORRUPT, errnop);
	return fill_pw(&p, out, buf, buflen, errnop);
}

static enum nss_status fill_gr_raw(const unsigned char *v, size_t vl, void *out, char *buf,
				   size_t buflen, int *errnop)
{
	struct snap_gr g;
	if (snap_decode_gr(v, vl, &g))
		return unavail(SNAP_CORRUPT, errnop);
	return fill_gr(&g, out, buf, buflen, errnop);
}

static enum nss_status fill_sp_raw(const unsigned char *v, size_t vl, void *out, char *buf,
				   size_t buflen, int *errnop)
{
	struct snap_sp p;
	if (snap_decode_sp(v, vl, &p))
		return unavail(SNAP_CORRUPT, errnop);
	return fill_sp(&p, out, buf, buflen, errnop);
}

EXPORT enum nss_status _nss_sosafe_setpwent(int stayopen)
{
	ent_reset(&pw_ent);
	return NSS_STATUS_SUCCESS;
}

EXPORT enum nss_status _nss_sosafe_endpwent(void)
{
	ent_reset(&pw_ent);
	return NSS_STATUS_SUCCESS;
}

EXPORT enum nss_status _nss_sosafe_getpwent_r(struct passwd *pw, char *buf, size_t buflen,
					      int *errnop)
{
	return ent_next(&pw_ent, &nss_view_passwd, SK_PW_NAME, fill_pw_raw, pw, buf, buflen,
			errnop);
}

EXPORT enum nss_status _nss_sosafe_setgrent(int stayopen)
{
	ent_reset(&gr_ent);
	return NSS_STATUS_SUCCESS;
}

EXPORT enum nss_status _nss_sosafe_endgrent(void)
{
	ent_reset(&gr_ent);
	return NSS_STATUS_SUCCESS;
}

EXPORT enum nss_status _nss_sosafe_getgrent_r(struct group *gr, char *buf, size_t buflen,
					      int *errnop)
{
	return ent_next(&gr_ent, &nss_view_passwd, SK_GR_NAME, fill_gr_raw, gr, buf, buflen,
			errnop);
}

EXPORT enum nss_status _nss_sosafe_setspent(int stayopen)
{
	ent_reset(&sp_ent);
	return NSS_STATUS_SUCCESS;
}

EXPORT enum nss_status _nss_sosafe_endspent(void)
{
	ent_reset(&sp_ent);
	return NSS_STATUS_SUCCESS;
}

EXPORT enum nss_status _nss_sosafe_getspent_r(struct spwd *sp, char *buf, size_t buflen,
					      int *errnop)
{
	return ent_next(&sp_ent, &nss_view_shadow, SK_SP_NAME, fill_sp_raw, sp, buf, buflen,
			errnop);
}
