/* The directory snapshot: an immutable, self-validating constant database
 * (tinycdb) that libnss_sosafe.so.2 maps and serves, written by sosafectl.
 * Format in docs/snapshot-format.md.
 *
 * Two files in the state directory:
 *   passwd.snap  0644  users and groups (no secrets)
 *   shadow.snap  0600  shadow entries with the account status (root only)
 *
 * This header is shared by the NSS module, the PAM module and sosafectl.
 * snapshot_read.c has no dependency beyond libc and tinycdb; it never
 * allocates on the lookup path and never reads outside the mapped file.
 *
 * THREAD SAFETY: the reader keeps no global state; a struct snap is
 * read-only once open, so lookups on it may run in parallel, while
 * snap_open() and snap_close() of one struct are its owner's alone. The NSS
 * module shares its views between threads behind its own lock (view.c). */
#ifndef SOSAFE_SNAPSHOT_H
#define SOSAFE_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <cdb.h>

#include "base/err.h"

#define SNAP_PASSWD_FILE "passwd.snap"
#define SNAP_SHADOW_FILE "shadow.snap"

#define SNAP_MAGIC "SOSAFESN"          /* 8 bytes */
#define SNAP_VERSION 1u
#define SNAP_KIND_PASSWD 1u
#define SNAP_KIND_SHADOW 2u
#define SNAP_HEADER_KEY "\0SOSAFE-HEADER" /* first record, at offset 2048 */
#define SNAP_HEADER_KEYLEN 14u
#define SNAP_HEADER_LEN 64u
#define SNAP_CDB_TOC 2048u
#define SNAP_NAME_MAX 256u              /* longest user or group name */
#define SNAP_MAX_FILE 0xF0000000u       /* cdb offsets are 32 bits */

/* Key types (first byte of every key). */
enum snap_key {
	SK_PW_NAME = 'p',   /* name -> passwd record */
	SK_PW_UID = 'P',    /* uid (4 bytes LE) -> passwd record */
	SK_GR_NAME = 'g',   /* name -> group record */
	SK_GR_GID = 'G',    /* gid (4 bytes LE) -> group record */
	SK_INITGR = 'i',    /* user name -> supplementary gid list */
	SK_SP_NAME = 's',   /* name -> shadow record (shadow.snap only) */
};

/* Keys by name carry 4 more bytes: a mix of the name. cdb's hash (djb,
 * h*33^c) puts names that differ only in their last characters (u0000123,
 * u0000124) next to each other in one hash table, and linear probing then
 * walks long runs; the mixed tail spreads them. */
#define SNAP_KEY_MAX (1 + SNAP_NAME_MAX + 4)
size_t snap_make_key(unsigned char out[SNAP_KEY_MAX], int type, const void *key, size_t klen);

/* Shadow record flags. */
#define SNAP_SP_DEACTIVATED 1u

struct snap_header {
	uint32_t version;
	uint32_t kind;
	uint64_t file_size;
	int64_t generated_at;   /* unix time of the sync that wrote it */
	uint32_t nusers;
	uint32_t ngroups;
	uint64_t serial;        /* grows with every sync */
	uint32_t toc_sum;       /* checksum of the 2048-byte cdb table of contents */
};

/* Decoded records point into the mapping (valid while it is held). */
struct snap_pw {
	uint32_t uid, gid;
	const char *name, *gecos, *dir, *shell;
	size_t name_len, gecos_len, dir_len, shell_len;
};

struct snap_gr {
	uint32_t gid;
	uint32_t nmem;
	const char *name;
	size_t name_len;
	const unsigned char *mem;   /* nmem NUL-terminated names, back to back */
	size_t mem_len;             /* bytes of the member list */
};

struct snap_sp {
	const char *name, *pwdp;
	size_t name_len, pwdp_len;
	int64_t lstchg;     /* days since epoch, -1 = unset */
	int64_t expire;     /* days since epoch, -1 = never; 1 = deactivated */
	uint32_t flags;     /* SNAP_SP_* */
	int64_t first_seen; /* unix time */
	int64_t deactivated_at; /* unix time, 0 = active */
};

/* One mapped and validated snapshot file. */
struct snap {
	const unsigned char *mem;
	size_t size;
	unsigned dend;          /* end of the record area */
	struct snap_header hdr;
	/* identity of the mapped file (from fstat of the open descriptor) */
	dev_t dev;
	ino_t ino;
	int64_t ctime_ns;       /* changes on rename into place, chmod, chown */
	mode_t mode;
};

enum snap_status {
	SNAP_OK = 0,
	SNAP_NOTFOUND = 1,
	SNAP_MISSING = -1,    /* the file does not exist */
	SNAP_UNSAFE = -2,     /* owner/mode not trusted, not a regular file, or no access */
	SNAP_CORRUPT = -3,    /* header, size or a record does not validate */
	SNAP_SYSERR = -4,     /* mmap etc. failed */
};

/* FNV-1a 32-bit: cheap checksum of headers and records (not a MAC: the
 * file is root-owned; the sum catches truncation, bit rot and stray writes). */
uint32_t snap_sum(const void *buf, size_t len);

/* Map PATH read-only and validate header, size and table of contents.
 * EXPECT_KIND is SNAP_KIND_*. On error *S is zeroed; ERR (may be NULL) says why. */
enum snap_status snap_open(struct snap *s, const char *path, unsigned expect_kind,
			   struct sosafe_err *err);
/* Validate an in-memory image (tests, fuzzing; snap_open uses it too). */
enum snap_status snap_validate(struct snap *s, const void *mem, size_t size,
			       unsigned expect_kind, struct sosafe_err *err);
void snap_close(struct snap *s);

/* Raw lookup: value of key TYPE+KEY, checksum verified, without the sum.
 * SNAP_OK, SNAP_NOTFOUND or SNAP_CORRUPT. */
enum snap_status snap_get(const struct snap *s, int type, const void *key, size_t klen,
			  const unsigned char **val, size_t *vlen);

/* Typed lookups and decoders (SNAP_OK / SNAP_NOTFOUND / SNAP_CORRUPT). */
enum snap_status snap_pw_by_name(const struct snap *s, const char *name, struct snap_pw *pw);
enum snap_status snap_pw_by_uid(const struct snap *s, uint32_t uid, struct snap_pw *pw);
enum snap_status snap_gr_by_name(const struct snap *s, const char *name, struct snap_gr *gr);
enum snap_status snap_gr_by_gid(const struct snap *s, uint32_t gid, struct snap_gr *gr);
/* Supplementary gids of USER: *GIDS points to N little-endian u32 values. */
enum snap_status snap_initgroups(const struct snap *s, const char *user,
				 const unsigned char **gids, uint32_t *n);
enum snap_status snap_sp_by_name(const struct snap *s, const char *name, struct snap_sp *sp);

int snap_decode_pw(const unsigned char *v, size_t len, struct snap_pw *pw);
int snap_decode_gr(const unsigned char *v, size_t len, struct snap_gr *gr);
int snap_decode_sp(const unsigned char *v, size_t len, struct snap_sp *sp);

/* Sequential walk over records of one key TYPE. *POS starts at 0 and is
 * the position of the record returned next: it only moves on when the
 * caller calls snap_seq_advance(), so an ERANGE retry gets the same entry.
 * SNAP_OK with the value, SNAP_NOTFOUND at the end, SNAP_CORRUPT. */
enum snap_status snap_seq_peek(const struct snap *s, int type, uint32_t *pos,
			       const unsigned char **val, size_t *vlen);
void snap_seq_advance(const struct snap *s, uint32_t *pos);

static inline uint32_t snap_le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t snap_le64(const unsigned char *p)
{
	return (uint64_t)snap_le32(p) | (uint64_t)snap_le32(p + 4) << 32;
}
static inline void snap_put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}
static inline void snap_put64(unsigned char *p, uint64_t v)
{
	snap_put32(p, (uint32_t)v);
	snap_put32(p + 4, (uint32_t)(v >> 32));
}

#endif
