/* Reading the directory snapshot: map, validate, look up, decode.
 *
 * Linked into libnss_sosafe.so.2 (so: libc and tinycdb only, no
 * allocation, no logging) and into sosafectl and pam_sosafe.so.
 *
 * Every offset read from the file is checked against the mapped size
 * before it is used: the header and the cdb table of contents are
 * validated once when the file is mapped; cdb_find() checks its own
 * hash-table and record offsets; every record carries a checksum and
 * every decoder checks each string and count against the record length.
 * A truncated or damaged file gives SNAP_CORRUPT, never a stray read. */
#include <config.h>
#include "snapshot/snapshot.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

uint32_t snap_sum(const void *buf, size_t len)
{
	const unsigned char *p = buf;
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 16777619u;
	}
	return h;
}

static bool key_by_name(int type)
{
	return type == SK_PW_NAME || type == SK_GR_NAME || type == SK_INITGR || type == SK_SP_NAME;
}

size_t snap_make_key(unsigned char out[SNAP_KEY_MAX], int type, const void *key, size_t klen)
{
	out[0] = (unsigned char)type;
	memcpy(out + 1, key, klen);
	if (!key_by_name(type))
		return klen + 1;
	uint32_t h = snap_sum(key, klen);   /* then the murmur3 finalizer */
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	snap_put32(out + 1 + klen, h);
	return klen + 5;
}

enum snap_status snap_validate(struct snap *s, const void *mem, size_t size, unsigned expect_kind,
			       struct sosafe_err *err)
{
	const unsigned char *m = mem;
	const size_t hdr_at = SNAP_CDB_TOC;
	const size_t min = hdr_at + 8 + SNAP_HEADER_KEYLEN + SNAP_HEADER_LEN;

	memset(s, 0, sizeof(*s));
	if (size < min) {
		err_set(err, "truncated (%zu bytes, header needs %zu)", size, min);
		return SNAP_CORRUPT;
	}
	if (size > SNAP_MAX_FILE) {
		err_set(err, "too large (%zu bytes)", size);
		return SNAP_CORRUPT;
	}
	if (snap_le32(m + hdr_at) != SNAP_HEADER_KEYLEN ||
	    snap_le32(m + hdr_at + 4) != SNAP_HEADER_LEN ||
	    memcmp(m + hdr_at + 8, SNAP_HEADER_KEY, SNAP_HEADER_KEYLEN)) {
		err_set(err, "not a sosafe snapshot (no header record)");
		return SNAP_CORRUPT;
	}
	const unsigned char *h = m + hdr_at + 8 + SNAP_HEADER_KEYLEN;
	if (memcmp(h, SNAP_MAGIC, 8)) {
		err_set(err, "not a sosafe snapshot (bad magic)");
		return SNAP_CORRUPT;
	}
	if (snap_le32(h + 60) != snap_sum(h, 60)) {
		err_set(err, "header checksum mismatch");
		return SNAP_CORRUPT;
	}
	struct snap_header hd = {
		.version = snap_le32(h + 8),
		.kind = snap_le32(h + 12),
		.file_size = snap_le64(h + 16),
		.generated_at = (int64_t)snap_le64(h + 24),
		.nusers = snap_le32(h + 32),
		.ngroups = snap_le32(h + 36),
		.serial = snap_le64(h + 40),
		.toc_sum = snap_le32(h + 48),
	};
	if (hd.version != SNAP_VERSION) {
		err_set(err, "format version %u, this program reads %u", hd.version, SNAP_VERSION);
		return SNAP_CORRUPT;
	}
	if (hd.kind != expect_kind) {
		err_set(err, "wrong kind of snapshot (%u, expected %u)", hd.kind, expect_kind);
		return SNAP_CORRUPT;
	}
	if (hd.file_size != size) {
		err_set(err, "size %zu differs from the recorded %llu (truncated or appended)",
			size, (unsigned long long)hd.file_size);
		return SNAP_CORRUPT;
	}
	if (hd.toc_sum != snap_sum(m, SNAP_CDB_TOC)) {
		err_set(err, "table-of-contents checksum mismatch");
		return SNAP_CORRUPT;
	}
	/* Hash tables follow the records in order: table 0 starts where the
	 * records end. Every table must lie inside the file after the records. */
	unsigned dend = snap_le32(m);
	if (dend < min || dend > size) {
		err_set(err, "record area out of bounds");
		return SNAP_CORRUPT;
	}
	for (unsigned i = 0; i < 256; i++) {
		uint64_t pos = snap_le32(m + i * 8), n = snap_le32(m + i * 8 + 4);
		if (pos < dend || pos > size || n * 8 > size - pos) {
			err_set(err, "hash table %u out of bounds", i);
			return SNAP_CORRUPT;
		}
	}
	s->mem = m;
	s->size = size;
	s->dend = dend;
	s->hdr = hd;
	return SNAP_OK;
}

enum snap_status snap_open(struct snap *s, const char *path, unsigned expect_kind,
			   struct sosafe_err *err)
{
	memset(s, 0, sizeof(*s));
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
	if (fd < 0) {
		int e = errno;
		err_set(err, "%s: %s", path, strerror(e));
		return e == ENOENT ? SNAP_MISSING : SNAP_UNSAFE;
	}
	struct stat st;
	if (fstat(fd, &st) < 0) {
		err_set(err, "%s: %s", path, strerror(errno));
		close(fd);
		return SNAP_SYSERR;
	}
	if (!S_ISREG(st.st_mode) || (st.st_mode & 022) ||
	    (st.st_uid != 0 && st.st_uid != geteuid())) {
		err_set(err, "%s: not a regular file owned by root and writable only by its owner",
			path);
		close(fd);
		return SNAP_UNSAFE;
	}
	if (st.st_size < 0 || (uint64_t)st.st_size > SNAP_MAX_FILE ||
	    (size_t)st.st_size < SNAP_CDB_TOC) {
		err_set(err, "%s: truncated or oversized (%lld bytes)", path, (long long)st.st_size);
		close(fd);
		return SNAP_CORRUPT;
	}
	size_t size = (size_t)st.st_size;
	void *mem = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
	int e = errno;
	close(fd);
	if (mem == MAP_FAILED) {
		err_set(err, "%s: mmap: %s", path, strerror(e));
		return SNAP_SYSERR;
	}
	struct sosafe_err why = { "" };
	enum snap_status r = snap_validate(s, mem, size, expect_kind, &why);
	if (r != SNAP_OK) {
		err_set(err, "%s: %s", path, why.msg);
		munmap(mem, size);
		memset(s, 0, sizeof(*s));
		return r;
	}
	s->dev = st.st_dev;
	s->ino = st.st_ino;
	s->ctime_ns = (int64_t)st.st_ctim.tv_sec * 1000000000 + st.st_ctim.tv_nsec;
	s->mode = st.st_mode;
	return SNAP_OK;
}

void snap_close(struct snap *s)
{
	if (s->mem)
		munmap((void *)s->mem, s->size);
	memset(s, 0, sizeof(*s));
}

/* Check the record checksum and strip it. */
static enum snap_status unwrap(const unsigned char *v, size_t len, const unsigned char **val,
			       size_t *vlen)
{
	if (len < 4 || snap_le32(v) != snap_sum(v + 4, len - 4))
		return SNAP_CORRUPT;
	*val = v + 4;
	*vlen = len - 4;
	return SNAP_OK;
}

enum snap_status snap_get(const struct snap *s, int type, const void *key, size_t klen,
			  const unsigned char **val, size_t *vlen)
{
	unsigned char k[SNAP_KEY_MAX];
	if (!s->mem)
		return SNAP_CORRUPT;
	if (klen > SNAP_NAME_MAX)
		return SNAP_NOTFOUND;
	size_t kl = snap_make_key(k, type, key, klen);
	/* A private cdb handle: cdb_find() stores its result in it, so the
	 * shared mapping can be searched by many threads at once. */
	struct cdb c = {
		.cdb_fd = -1,
		.cdb_fsize = (unsigned)s->size,
		.cdb_dend = s->dend,
		.cdb_mem = s->mem,
	};
	int r = cdb_find(&c, k, (unsigned)kl);
	if (r == 0)
		return SNAP_NOTFOUND;
	if (r < 0)
		return SNAP_CORRUPT;
	/* cdb_find checked vpos+vlen <= dend; check again, cheaply. */
	if (cdb_datapos(&c) > s->dend || cdb_datalen(&c) > s->dend - cdb_datapos(&c))
		return SNAP_CORRUPT;
	return unwrap(s->mem + cdb_datapos(&c), cdb_datalen(&c), val, vlen);
}

/* Take one NUL-terminated string of at most MAX bytes from [*P, END). */
static int take_str(const unsigned char **p, const unsigned char *end, const char **out,
		    size_t *outlen, size_t max)
{
	if (*p >= end)
		return -1;
	const unsigned char *z = memchr(*p, 0, (size_t)(end - *p));
	if (!z || (size_t)(z - *p) > max)
		return -1;
	*out = (const char *)*p;
	*outlen = (size_t)(z - *p);
	*p = z + 1;
	return 0;
}

#define FIELD_MAX 4096

int snap_decode_pw(const unsigned char *v, size_t len, struct snap_pw *pw)
{
	const unsigned char *end = v + len, *p = v + 8;
	if (len < 8)
		return -1;
	pw->uid = snap_le32(v);
	pw->gid = snap_le32(v + 4);
	if (take_str(&p, end, &pw->name, &pw->name_len, SNAP_NAME_MAX) || !pw->name_len ||
	    take_str(&p, end, &pw->gecos, &pw->gecos_len, FIELD_MAX) ||
	    take_str(&p, end, &pw->dir, &pw->dir_len, FIELD_MAX) ||
	    take_str(&p, end, &pw->shell, &pw->shell_len, FIELD_MAX) || p != end)
		return -1;
	return 0;
}

int snap_decode_gr(const unsigned char *v, size_t len, struct snap_gr *gr)
{
	const unsigned char *end = v + len, *p = v + 8;
	if (len < 8)
		return -1;
	gr->gid = snap_le32(v);
	gr->nmem = snap_le32(v + 4);
	if (take_str(&p, end, &gr->name, &gr->name_len, SNAP_NAME_MAX) || !gr->name_len)
		return -1;
	/* each member takes at least 2 bytes: a bound before walking */
	if (gr->nmem > (size_t)(end - p) / 2)
		return -1;
	gr->mem = p;
	for (uint32_t i = 0; i < gr->nmem; i++) {
		const char *m;
		size_t ml;
		if (take_str(&p, end, &m, &ml, SNAP_NAME_MAX) || !ml)
			return -1;
	}
	if (p != end)
		return -1;
	gr->mem_len = (size_t)(end - gr->mem);
	return 0;
}

int snap_decode_sp(const unsigned char *v, size_t len, struct snap_sp *sp)
{
	const unsigned char *end = v + len, *p = v + 36;
	if (len < 36)
		return -1;
	sp->lstchg = (int64_t)snap_le64(v);
	sp->expire = (int64_t)snap_le64(v + 8);
	sp->flags = snap_le32(v + 16);
	sp->first_seen = (int64_t)snap_le64(v + 20);
	sp->deactivated_at = (int64_t)snap_le64(v + 28);
	if (take_str(&p, end, &sp->name, &sp->name_len, SNAP_NAME_MAX) || !sp->name_len ||
	    take_str(&p, end, &sp->pwdp, &sp->pwdp_len, FIELD_MAX) || p != end)
		return -1;
	return 0;
}

static enum snap_status get_name(const struct snap *s, int type, const char *name,
				 const unsigned char **v, size_t *vl)
{
	size_t n = strnlen(name, SNAP_NAME_MAX + 1);
	if (n == 0 || n > SNAP_NAME_MAX)
		return SNAP_NOTFOUND;
	return snap_get(s, type, name, n, v, vl);
}

/* A record found by name must carry that name (a damaged hash table could
 * lead a lookup to another record that still has a valid checksum). */
static bool same_name(const char *a, size_t alen, const char *want)
{
	return strlen(want) == alen && !memcmp(a, want, alen);
}

enum snap_status snap_pw_by_name(const struct snap *s, const char *name, struct snap_pw *pw)
{
	const unsigned char *v;
	size_t vl;
	enum snap_status r = get_name(s, SK_PW_NAME, name, &v, &vl);
	if (r != SNAP_OK)
		return r;
	if (snap_decode_pw(v, vl, pw) || !same_name(pw->name, pw->name_len, name))
		return SNAP_CORRUPT;
	return SNAP_OK;
}

enum snap_status snap_pw_by_uid(const struct snap *s, uint32_t uid, struct snap_pw *pw)
{
	unsigned char k[4];
	const unsigned char *v;
	size_t vl;
	snap_put32(k, uid);
	enum snap_status r = snap_get(s, SK_PW_UID, k, 4, &v, &vl);
	if (r != SNAP_OK)
		return r;
	if (snap_decode_pw(v, vl, pw) || pw->uid != uid)
		return SNAP_CORRUPT;
	return SNAP_OK;
}

enum snap_status snap_gr_by_name(const struct snap *s, const char *name, struct snap_gr *gr)
{
	const unsigned char *v;
	size_t vl;
	enum snap_status r = get_name(s, SK_GR_NAME, name, &v, &vl);
	if (r != SNAP_OK)
		return r;
	if (snap_decode_gr(v, vl, gr) || !same_name(gr->name, gr->name_len, name))
		return SNAP_CORRUPT;
	return SNAP_OK;
}

enum snap_status snap_gr_by_gid(const struct snap *s, uint32_t gid, struct snap_gr *gr)
{
	unsigned char k[4];
	const unsigned char *v;
	size_t vl;
	snap_put32(k, gid);
	enum snap_status r = snap_get(s, SK_GR_GID, k, 4, &v, &vl);
	if (r != SNAP_OK)
		return r;
	if (snap_decode_gr(v, vl, gr) || gr->gid != gid)
		return SNAP_CORRUPT;
	return SNAP_OK;
}

enum snap_status snap_initgroups(const struct snap *s, const char *user,
				 const unsigned char **gids, uint32_t *n)
{
	const unsigned char *v;
	size_t vl;
	enum snap_status r = get_name(s, SK_INITGR, user, &v, &vl);
	if (r != SNAP_OK)
		return r;
	if (vl < 4 || (vl - 4) % 4 || snap_le32(v) != (vl - 4) / 4)
		return SNAP_CORRUPT;
	*n = snap_le32(v);
	*gids = v + 4;
	return SNAP_OK;
}

enum snap_status snap_sp_by_name(const struct snap *s, const char *name, struct snap_sp *sp)
{
	const unsigned char *v;
	size_t vl;
	enum snap_status r = get_name(s, SK_SP_NAME, name, &v, &vl);
	if (r != SNAP_OK)
		return r;
	if (snap_decode_sp(v, vl, sp) || !same_name(sp->name, sp->name_len, name))
		return SNAP_CORRUPT;
	return SNAP_OK;
}

/* Bounds of the record at POS: key at POS+8, value after it. */
static enum snap_status record_at(const struct snap *s, uint32_t pos, uint32_t *klen,
				  uint32_t *vlen)
{
	if (pos < SNAP_CDB_TOC || pos > s->dend || s->dend - pos < 8)
		return SNAP_CORRUPT;
	uint64_t kl = snap_le32(s->mem + pos), vl = snap_le32(s->mem + pos + 4);
	if (kl + vl > (uint64_t)(s->dend - pos - 8))
		return SNAP_CORRUPT;
	*klen = (uint32_t)kl;
	*vlen = (uint32_t)vl;
	return SNAP_OK;
}

enum snap_status snap_seq_peek(const struct snap *s, int type, uint32_t *pos,
			       const unsigned char **val, size_t *vlen)
{
	if (!s->mem)
		return SNAP_CORRUPT;
	if (*pos < SNAP_CDB_TOC)
		*pos = SNAP_CDB_TOC;
	while (*pos < s->dend) {
		uint32_t kl, vl;
		if (record_at(s, *pos, &kl, &vl) != SNAP_OK)
			return SNAP_CORRUPT;
		if (kl >= 1 && s->mem[*pos + 8] == (unsigned char)type)
			return unwrap(s->mem + *pos + 8 + kl, vl, val, vlen);
		*pos += 8 + kl + vl;
	}
	return SNAP_NOTFOUND;
}

void snap_seq_advance(const struct snap *s, uint32_t *pos)
{
	uint32_t kl, vl;
	if (record_at(s, *pos, &kl, &vl) == SNAP_OK)
		*pos += 8 + kl + vl;
	else
		*pos = s->dend;
}
