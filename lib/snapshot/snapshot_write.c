/* Writing the directory snapshot (sosafectl only).
 *
 * Each file is built in a temporary file in the same directory, fsynced,
 * mapped again and validated with the reader's own checks, then renamed
 * over the old one and the directory fsynced: a reader sees either the
 * whole old file or the whole new one, and a crash leaves the old one.
 * shadow.snap is replaced before passwd.snap, so a deactivation is never
 * visible in passwd before its sp_expire is. */
#include <config.h>
#include "snapshot/snapshot_write.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fsutil.h"

struct buf {
	unsigned char *p;
	size_t len, cap;
};

static int buf_reserve(struct buf *b, size_t more)
{
	if (b->len + more <= b->cap)
		return 0;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < b->len + more)
		cap *= 2;
	unsigned char *n = realloc(b->p, cap);
	if (!n)
		return -1;
	b->p = n;
	b->cap = cap;
	return 0;
}

static int buf_add(struct buf *b, const void *d, size_t n)
{
	if (buf_reserve(b, n))
		return -1;
	memcpy(b->p + b->len, d, n);
	b->len += n;
	return 0;
}

static int buf_u32(struct buf *b, uint32_t v)
{
	unsigned char x[4];
	snap_put32(x, v);
	return buf_add(b, x, 4);
}

static int buf_u64(struct buf *b, uint64_t v)
{
	unsigned char x[8];
	snap_put64(x, v);
	return buf_add(b, x, 8);
}

static int buf_str(struct buf *b, const char *s)
{
	return buf_add(b, s ? s : "", strlen(s ? s : "") + 1);
}

/* Start a record: room for the checksum, filled in by rec_add. */
static int rec_begin(struct buf *b)
{
	b->len = 0;
	return buf_u32(b, 0);
}

static int rec_add(struct cdb_make *cm, int type, const void *key, size_t klen, struct buf *b)
{
	unsigned char k[SNAP_KEY_MAX];
	if (klen > SNAP_NAME_MAX)
		return -1;
	size_t kl = snap_make_key(k, type, key, klen);
	snap_put32(b->p, snap_sum(b->p + 4, b->len - 4));
	return cdb_make_add(cm, k, (unsigned)kl, b->p, (unsigned)b->len);
}

static void header_bytes(unsigned char h[SNAP_HEADER_LEN], unsigned kind, uint64_t size,
			 const struct snap_data *d, uint32_t toc_sum)
{
	memset(h, 0, SNAP_HEADER_LEN);
	memcpy(h, SNAP_MAGIC, 8); /* NOLINT(bugprone-not-null-terminated-result): the header starts with the 8 magic bytes, no NUL by format */
	snap_put32(h + 8, SNAP_VERSION);
	snap_put32(h + 12, kind);
	snap_put64(h + 16, size);
	snap_put64(h + 24, (uint64_t)d->generated_at);
	snap_put32(h + 32, (uint32_t)d->nusers);
	snap_put32(h + 36, (uint32_t)d->ngroups);
	snap_put64(h + 40, d->serial);
	snap_put32(h + 48, toc_sum);
	snap_put32(h + 60, snap_sum(h, 60));
}

static int cmp_idx_name(const void *a, const void *b, void *ctx)
{
	const struct snap_data *d = ctx;
	return strcmp(d->users[*(const size_t *)a].name, d->users[*(const size_t *)b].name);
}

/* Find user NAME through the sorted index; -1 if absent. */
static long find_user(const struct snap_data *d, const size_t *idx, const char *name)
{
	size_t lo = 0, hi = d->nusers;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(name, d->users[idx[mid]].name);
		if (c == 0)
			return (long)idx[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return -1;
}

static int add_records(struct cdb_make *cm, unsigned kind, const struct snap_data *d,
		       struct sosafe_err *err)
{
	struct buf b = { 0 };
	int rc = -1;
	size_t *idx = NULL;
	struct buf *sup = NULL;   /* per user: supplementary gids */

	if (kind == SNAP_KIND_SHADOW) {
		for (size_t i = 0; i < d->nusers; i++) {
			const struct snap_user *u = &d->users[i];
			if (rec_begin(&b) || buf_u64(&b, (uint64_t)u->lstchg) ||
			    buf_u64(&b, (uint64_t)(u->deactivated ? 1 : -1)) ||
			    buf_u32(&b, u->deactivated ? SNAP_SP_DEACTIVATED : 0) ||
			    buf_u64(&b, (uint64_t)u->first_seen) ||
			    buf_u64(&b, (uint64_t)u->deactivated_at) || buf_str(&b, u->name) ||
			    buf_str(&b, u->pwdp ? u->pwdp : "*") ||
			    rec_add(cm, SK_SP_NAME, u->name, strlen(u->name), &b))
				goto oom;
		}
		rc = 0;
		goto out;
	}

	idx = malloc((d->nusers ? d->nusers : 1) * sizeof(*idx));
	sup = calloc(d->nusers ? d->nusers : 1, sizeof(*sup));
	if (!idx || !sup)
		goto oom;
	for (size_t i = 0; i < d->nusers; i++)
		idx[i] = i;
	qsort_r(idx, d->nusers, sizeof(*idx), cmp_idx_name, (void *)d);

	for (size_t i = 0; i < d->nusers; i++) {
		const struct snap_user *u = &d->users[i];
		unsigned char k[4];
		if (rec_begin(&b) || buf_u32(&b, u->uid) || buf_u32(&b, u->gid) ||
		    buf_str(&b, u->name) || buf_str(&b, u->gecos) || buf_str(&b, u->dir) ||
		    buf_str(&b, u->shell))
			goto oom;
		snap_put32(k, u->uid);
		if (rec_add(cm, SK_PW_NAME, u->name, strlen(u->name), &b) ||
		    rec_add(cm, SK_PW_UID, k, 4, &b))
			goto oom;
	}
	for (size_t g = 0; g < d->ngroups; g++) {
		const struct snap_group *gr = &d->groups[g];
		unsigned char k[4];
		if (rec_begin(&b) || buf_u32(&b, gr->gid) || buf_u32(&b, gr->nmem) ||
		    buf_str(&b, gr->name))
			goto oom;
		for (uint32_t m = 0; m < gr->nmem; m++) {
			if (buf_str(&b, gr->members[m]))
				goto oom;
			long ui = find_user(d, idx, gr->members[m]);
			/* the primary group is not repeated in the supplementary list */
			if (ui >= 0 && d->users[ui].gid != gr->gid && buf_u32(&sup[ui], gr->gid))
				goto oom;
		}
		snap_put32(k, gr->gid);
		if (rec_add(cm, SK_GR_NAME, gr->name, strlen(gr->name), &b) ||
		    rec_add(cm, SK_GR_GID, k, 4, &b))
			goto oom;
	}
	for (size_t i = 0; i < d->nusers; i++) {
		const struct snap_user *u = &d->users[i];
		if (rec_begin(&b) || buf_u32(&b, (uint32_t)(sup[i].len / 4)) ||
		    (sup[i].len && buf_add(&b, sup[i].p, sup[i].len)) ||
		    rec_add(cm, SK_INITGR, u->name, strlen(u->name), &b))
			goto oom;
	}
	rc = 0;
	goto out;
oom:
	err_set(err, "cannot write snapshot records: %s", strerror(errno ? errno : ENOMEM));
out:
	if (sup)
		for (size_t i = 0; i < d->nusers; i++)
			free(sup[i].p);
	free(sup);
	free(idx);
	free(b.p);
	return rc;
}

/* Build one file at TMP (already open as FD). */
static int build(int fd, unsigned kind, const struct snap_data *d, struct sosafe_err *err)
{
	struct cdb_make cm;
	unsigned char h[SNAP_HEADER_LEN];
	if (cdb_make_start(&cm, fd) < 0) {
		err_set(err, "cdb_make_start: %s", strerror(errno));
		return -1;
	}
	/* the header goes first, at offset 2048; size and TOC sum are patched in */
	header_bytes(h, kind, 0, d, 0);
	errno = 0;
	if (cdb_make_add(&cm, SNAP_HEADER_KEY, SNAP_HEADER_KEYLEN, h, SNAP_HEADER_LEN) < 0) {
		err_set(err, "cannot write snapshot header: %s", strerror(errno));
		cdb_make_finish(&cm);   /* only it frees tinycdb's record lists; the file is discarded */
		return -1;
	}
	if (add_records(&cm, kind, d, err)) {
		cdb_make_finish(&cm);
		return -1;
	}
	if (cdb_make_finish(&cm) < 0) {
		err_set(err, "cannot finish snapshot: %s", strerror(errno));
		return -1;
	}
	struct stat st;
	unsigned char toc[SNAP_CDB_TOC];
	if (fstat(fd, &st) < 0 || pread(fd, toc, sizeof(toc), 0) != (ssize_t)sizeof(toc)) {
		err_set(err, "cannot re-read snapshot: %s", strerror(errno));
		return -1;
	}
	if ((uint64_t)st.st_size > SNAP_MAX_FILE) {
		err_set(err, "snapshot too large (%lld bytes)", (long long)st.st_size);
		return -1;
	}
	header_bytes(h, kind, (uint64_t)st.st_size, d, snap_sum(toc, sizeof(toc)));
	if (pwrite(fd, h, sizeof(h), SNAP_CDB_TOC + 8 + SNAP_HEADER_KEYLEN) != (ssize_t)sizeof(h) ||
	    fsync(fd) < 0) {
		err_set(err, "cannot write snapshot: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static int write_one(const char *dir, const char *file, unsigned kind, mode_t mode,
		     const struct snap_data *d, struct sosafe_err *err)
{
	char path[4096], tmp[4096];
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, file) >= sizeof(path) ||
	    (size_t)snprintf(tmp, sizeof(tmp), "%s/.%s.XXXXXX", dir, file) >= sizeof(tmp)) {
		err_set(err, "state_dir path too long");
		return -1;
	}
	int fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		err_set(err, "cannot create %s: %s", tmp, strerror(errno));
		return -1;
	}
	struct sosafe_err why = { "" };
	if (fchmod(fd, mode) < 0) {
		err_set(err, "chmod %s: %s", tmp, strerror(errno));
		goto fail;
	}
	if (build(fd, kind, d, &why)) {
		err_set(err, "%s: %s", tmp, why.msg);
		goto fail;
	}
	close(fd);
	fd = -1;
	/* check what will be served with the reader's own eyes */
	struct snap s;
	if (snap_open(&s, tmp, kind, &why) != SNAP_OK) {
		err_set(err, "self-check of the new snapshot failed: %s", why.msg);
		goto fail;
	}
	snap_close(&s);
	if (rename(tmp, path) < 0) {
		err_set(err, "rename %s to %s: %s", tmp, path, strerror(errno));
		goto fail;
	}
	if (fs_sync_parent(path) < 0) {
		err_set(err, "fsync of %s: %s", dir, strerror(errno));
		return -1;
	}
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return -1;
}

int snap_write(const char *dir, const struct snap_data *d, struct sosafe_err *err)
{
	/* passwd.snap is read by every process: the directory must let them
	 * through (search only; listing stays the owner's) */
	struct stat st;
	if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode) &&
	    (st.st_mode & (S_IXGRP | S_IXOTH)) != (S_IXGRP | S_IXOTH) &&
	    chmod(dir, (st.st_mode & 07777) | S_IXGRP | S_IXOTH) < 0) {
		err_set(err, "chmod %s: %s", dir, strerror(errno));
		return -1;
	}
	if (write_one(dir, SNAP_SHADOW_FILE, SNAP_KIND_SHADOW, 0600, d, err))
		return -1;
	return write_one(dir, SNAP_PASSWD_FILE, SNAP_KIND_PASSWD, 0644, d, err);
}

int snap_read_serial(const char *dir, uint64_t *serial)
{
	char path[4096];
	struct snap s;
	*serial = 0;
	snprintf(path, sizeof(path), "%s/%s", dir, SNAP_PASSWD_FILE);
	if (snap_open(&s, path, SNAP_KIND_PASSWD, NULL) != SNAP_OK)
		return -1;
	*serial = s.hdr.serial;
	snap_close(&s);
	return 0;
}
