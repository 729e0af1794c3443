/* Fuzz the snapshot reader that libnss_sosafe.so.2 runs inside every
 * process: arbitrary bytes as passwd.snap and shadow.snap (snap_validate()
 * then every lookup and the sequential walks), and the record decoders on
 * arbitrary bytes (what a record with a good checksum could hold).
 *
 * The image sits at the very end of a mapping followed by a PROT_NONE page,
 * so a read past it faults even inside tinycdb, which is not instrumented.
 * Every pointer a lookup returns must lie inside the image. */
#include <config.h>

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz_util.h"
#include "snapshot/snapshot.h"

#define AREA (4u << 20) /* largest image fuzzed: 4 MiB */

static unsigned char *area; /* AREA bytes, then a guard page */
static size_t page;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	page = (size_t)sysconf(_SC_PAGESIZE);
	void *m = mmap(NULL, AREA + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		abort();
	area = m;
	if (mprotect(area + AREA, page, PROT_NONE))
		abort();
	return 0;
}

static const unsigned char *lo, *hi;

static void inside(const void *p, size_t len, const char *what)
{
	const unsigned char *c = p;
	fuzz_require(c >= lo && c <= hi && len <= (size_t)(hi - c), "%s outside the image", what);
}

static void check_pw(const struct snap_pw *pw)
{
	inside(pw->name, pw->name_len, "pw name");
	inside(pw->gecos, pw->gecos_len, "pw gecos");
	inside(pw->dir, pw->dir_len, "pw dir");
	inside(pw->shell, pw->shell_len, "pw shell");
}

static void check_gr(const struct snap_gr *gr)
{
	inside(gr->name, gr->name_len, "gr name");
	if (gr->mem_len)
		inside(gr->mem, gr->mem_len, "gr members");
}

static void check_sp(const struct snap_sp *sp)
{
	inside(sp->name, sp->name_len, "sp name");
	inside(sp->pwdp, sp->pwdp_len, "sp pwdp");
}

/* names and ids to look up: fixed ones and a few taken from the image */
static const char *const names[] = { "alice_nss", "bob_nss", "root", "sosafe-users", "eng", "" };
static const uint32_t ids[] = { 0, 1000, 200000, 300000, 310001, 310500, 0xffffffffu };

static void walk(const struct snap *s, int type)
{
	uint32_t pos = 0, last = 0;
	for (unsigned i = 0; i < 100000; i++) {
		const unsigned char *v;
		size_t vlen;
		enum snap_status r = snap_seq_peek(s, type, &pos, &v, &vlen);
		if (r != SNAP_OK)
			return;
		inside(v, vlen, "walk value");
		struct snap_pw pw;
		struct snap_gr gr;
		struct snap_sp sp;
		if (type == SK_PW_NAME && snap_decode_pw(v, vlen, &pw) == 0)
			check_pw(&pw);
		if (type == SK_GR_NAME && snap_decode_gr(v, vlen, &gr) == 0)
			check_gr(&gr);
		if (type == SK_SP_NAME && snap_decode_sp(v, vlen, &sp) == 0)
			check_sp(&sp);
		last = pos;
		snap_seq_advance(s, &pos);
		fuzz_require(pos > last, "walk does not move on (pos %u)", pos);
	}
	fuzz_require(0, "walk of type %c did not end after 100000 records", type);
}

static void lookups(const struct snap *s)
{
	struct snap_pw pw;
	struct snap_gr gr;
	struct snap_sp sp;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (snap_pw_by_name(s, names[i], &pw) == SNAP_OK)
			check_pw(&pw);
		if (snap_gr_by_name(s, names[i], &gr) == SNAP_OK)
			check_gr(&gr);
		if (snap_sp_by_name(s, names[i], &sp) == SNAP_OK)
			check_sp(&sp);
		const unsigned char *gids;
		uint32_t n;
		if (snap_initgroups(s, names[i], &gids, &n) == SNAP_OK && n)
			inside(gids, (size_t)n * 4, "initgroups list");
	}
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		if (snap_pw_by_uid(s, ids[i], &pw) == SNAP_OK)
			check_pw(&pw);
		if (snap_gr_by_gid(s, ids[i], &gr) == SNAP_OK)
			check_gr(&gr);
	}
	walk(s, SK_PW_NAME);
	walk(s, SK_GR_NAME);
	walk(s, SK_SP_NAME);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > AREA)
		return 0;
	unsigned char *img = area + AREA - size;
	if (size)
		memcpy(img, data, size);
	lo = img;
	hi = img + size;
	for (unsigned kind = SNAP_KIND_PASSWD; kind <= SNAP_KIND_SHADOW; kind++) {
		struct snap s;
		struct sosafe_err err = { "" };
		if (snap_validate(&s, img, size, kind, &err) == SNAP_OK) {
			fuzz_require(s.mem == img && s.size == size, "snapshot does not describe the image");
			lookups(&s);
		}
		/* never snap_close(): the image is not an mmap of its own */
	}
	/* decoders on raw bytes */
	struct snap_pw pw;
	struct snap_gr gr;
	struct snap_sp sp;
	if (snap_decode_pw(img, size, &pw) == 0)
		check_pw(&pw);
	if (snap_decode_gr(img, size, &gr) == 0)
		check_gr(&gr);
	if (snap_decode_sp(img, size, &sp) == 0)
		check_sp(&sp);
	return 0;
}
