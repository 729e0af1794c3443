/* Reading the directory snapshot: a file is served only when it is a
 * regular file writable by its owner alone and every check holds; a
 * truncated, appended, bit-flipped or foreign file is refused as corrupt
 * (never half-read), a damaged record is corrupt on its own lookup, and
 * the sequential walk visits every record once. */
#include <config.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "snapshot/snapshot.h"
#include "snapshot/snapshot_write.h"
#include "tmp_dir.h"

static const char *const staff[] = { "u1", "u2", "u3" };

static const struct snap_user users[] = {
	{ "u1", 300001, 300001, "One", "/home/u1", "/bin/sh", NULL, 19000, false, 1, 0 },
	{ "u2", 300002, 300002, "Two", "/home/u2", "/bin/sh", NULL, 19000, false, 1, 0 },
	{ "u3", 300003, 300003, "Three", "/home/u3", "/bin/sh", NULL, 19000, true, 1, 5 },
};
static const struct snap_group groups[] = { { "staff", 300100, staff, 3 } };

struct fixture {
	char dir[TMP_DIR_LEN];
	char passwd[128];
	unsigned char *image;   /* the good passwd.snap */
	size_t size;
};

static int setup(void **state)
{
	static struct fixture f;
	memset(&f, 0, sizeof(f));
	if (tmp_dir_make(f.dir, "snap-read"))
		return -1;
	struct snap_data d = { users, 3, groups, 1, 1700000000, 5 };
	struct sosafe_err err = { "" };
	if (snap_write(f.dir, &d, &err)) {
		fprintf(stderr, "snap_write: %s\n", err.msg);
		return -1;
	}
	snprintf(f.passwd, sizeof(f.passwd), "%s/%s", f.dir, SNAP_PASSWD_FILE);
	FILE *in = fopen(f.passwd, "rb");
	struct stat st;
	if (!in || fstat(fileno(in), &st))
		return -1;
	f.size = (size_t)st.st_size;
	f.image = malloc(f.size);
	if (!f.image || fread(f.image, 1, f.size, in) != f.size)
		return -1;
	fclose(in);
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	free(f->image);
	return tmp_dir_remove(f->dir);
}

/* Write LEN bytes of IMAGE as DIR/NAME with MODE; returns the path. */
static const char *put(const struct fixture *f, const char *name, const void *image, size_t len,
		       mode_t mode)
{
	static char path[160];
	snprintf(path, sizeof(path), "%s/%s", f->dir, name);
	unlink(path);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, image, len), (ssize_t)len);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
	return path;
}

static enum snap_status open_as(const char *path, unsigned kind)
{
	struct snap s;
	struct sosafe_err err = { "" };
	enum snap_status r = snap_open(&s, path, kind, &err);
	if (r == SNAP_OK)
		snap_close(&s);
	else
		assert_true(err.msg[0] != '\0');   /* every refusal says why */
	return r;
}

static void test_good_file(void **state)
{
	struct fixture *f = *state;
	struct snap s;
	assert_int_equal(snap_open(&s, f->passwd, SNAP_KIND_PASSWD, NULL), SNAP_OK);
	assert_int_equal(s.size, f->size);
	assert_int_equal(s.hdr.serial, 5);
	assert_true(S_ISREG(s.mode));
	struct snap_pw pw;
	assert_int_equal(snap_pw_by_name(&s, "u2", &pw), SNAP_OK);
	assert_int_equal(pw.uid, 300002);
	snap_close(&s);
	assert_null(s.mem);
}

static void test_missing_and_unsafe(void **state)
{
	struct fixture *f = *state;
	char path[160];
	snprintf(path, sizeof(path), "%s/nothing.snap", f->dir);
	assert_int_equal(open_as(path, SNAP_KIND_PASSWD), SNAP_MISSING);
	/* writable by group or others: anyone could have changed it */
	assert_int_equal(open_as(put(f, "gw.snap", f->image, f->size, 0664), SNAP_KIND_PASSWD),
			 SNAP_UNSAFE);
	assert_int_equal(open_as(put(f, "ww.snap", f->image, f->size, 0646), SNAP_KIND_PASSWD),
			 SNAP_UNSAFE);
	/* a symbolic link is not followed */
	snprintf(path, sizeof(path), "%s/link.snap", f->dir);
	assert_int_equal(symlink(f->passwd, path), 0);
	assert_int_equal(open_as(path, SNAP_KIND_PASSWD), SNAP_UNSAFE);
	/* a directory is not a snapshot */
	assert_int_equal(open_as(f->dir, SNAP_KIND_PASSWD), SNAP_UNSAFE);
}

static void test_wrong_kind(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(open_as(f->passwd, SNAP_KIND_SHADOW), SNAP_CORRUPT);
	char shadow[160];
	snprintf(shadow, sizeof(shadow), "%s/%s", f->dir, SNAP_SHADOW_FILE);
	assert_int_equal(open_as(shadow, SNAP_KIND_PASSWD), SNAP_CORRUPT);
}

static void test_truncated_and_appended(void **state)
{
	struct fixture *f = *state;
	/* cut anywhere: before the table of contents, inside the header,
	 * inside the records, one byte short */
	const size_t cuts[] = { 0, 100, SNAP_CDB_TOC, SNAP_CDB_TOC + 30, f->size / 2, f->size - 1 };
	for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++)
		assert_int_equal(open_as(put(f, "cut.snap", f->image, cuts[i], 0644), SNAP_KIND_PASSWD),
				 SNAP_CORRUPT);
	unsigned char *longer = malloc(f->size + 1);
	assert_non_null(longer);
	memcpy(longer, f->image, f->size);
	longer[f->size] = 0;
	assert_int_equal(open_as(put(f, "long.snap", longer, f->size + 1, 0644), SNAP_KIND_PASSWD),
			 SNAP_CORRUPT);
	free(longer);
}

/* a copy of the image with byte AT flipped, validated in memory */
static enum snap_status validate_flipped(const struct fixture *f, size_t at)
{
	unsigned char *copy = malloc(f->size);
	assert_non_null(copy);
	memcpy(copy, f->image, f->size);
	copy[at] ^= 0x40;
	struct snap s;
	enum snap_status r = snap_validate(&s, copy, f->size, SNAP_KIND_PASSWD, NULL);
	free(copy);
	return r;
}

static void test_damaged_header_or_toc(void **state)
{
	struct fixture *f = *state;
	const size_t hdr = SNAP_CDB_TOC + 8 + SNAP_HEADER_KEYLEN;
	assert_int_equal(validate_flipped(f, 17), SNAP_CORRUPT);                 /* table of contents */
	assert_int_equal(validate_flipped(f, SNAP_CDB_TOC + 9), SNAP_CORRUPT);   /* header key */
	assert_int_equal(validate_flipped(f, hdr), SNAP_CORRUPT);                /* magic */
	assert_int_equal(validate_flipped(f, hdr + 40), SNAP_CORRUPT);           /* serial: header sum */
	assert_int_equal(validate_flipped(f, hdr + 60), SNAP_CORRUPT);           /* the sum itself */
	/* and a file that is not a snapshot at all */
	unsigned char *junk = malloc(f->size);
	assert_non_null(junk);
	memset(junk, 'A', f->size);
	assert_int_equal(open_as(put(f, "junk.snap", junk, f->size, 0644), SNAP_KIND_PASSWD),
			 SNAP_CORRUPT);
	free(junk);
}

static void test_damaged_record(void **state)
{
	struct fixture *f = *state;
	/* change the gecos "Three" of u3 in both of its records (by name and
	 * by uid) */
	const size_t from = SNAP_CDB_TOC + 8 + SNAP_HEADER_KEYLEN + SNAP_HEADER_LEN;
	unsigned char *copy = malloc(f->size);
	assert_non_null(copy);
	memcpy(copy, f->image, f->size);
	unsigned copies = 0;
	for (unsigned char *p = copy + from;
	     (p = memmem(p, f->size - (size_t)(p - copy), "Three", 5)); p++, copies++)
		p[0] = 'X';
	assert_int_equal(copies, 2);
	struct snap s;
	/* the file as a whole still validates; the record does not */
	assert_int_equal(snap_validate(&s, copy, f->size, SNAP_KIND_PASSWD, NULL), SNAP_OK);
	struct snap_pw pw;
	assert_int_equal(snap_pw_by_name(&s, "u3", &pw), SNAP_CORRUPT);
	assert_int_equal(snap_pw_by_uid(&s, 300003, &pw), SNAP_CORRUPT);
	assert_int_equal(snap_pw_by_name(&s, "u1", &pw), SNAP_OK);
	free(copy);
}

static void test_decoders_refuse_short_records(void **state)
{
	(void)state;
	struct snap_pw pw;
	struct snap_gr gr;
	struct snap_sp sp;
	const unsigned char rec[] = { 1, 0, 0, 0, 2, 0, 0, 0, 'n', 'a', 'm', 'e' };   /* no NUL */
	assert_int_not_equal(snap_decode_pw(rec, sizeof(rec), &pw), 0);
	assert_int_not_equal(snap_decode_pw(rec, 3, &pw), 0);
	/* a group claiming more members than its record holds */
	const unsigned char grec[] = { 1, 0, 0, 0, 9, 0, 0, 0, 'g', 0, 'a', 0 };
	assert_int_not_equal(snap_decode_gr(grec, sizeof(grec), &gr), 0);
	assert_int_not_equal(snap_decode_sp(rec, sizeof(rec), &sp), 0);
}

static void test_walk(void **state)
{
	struct fixture *f = *state;
	struct snap s;
	assert_int_equal(snap_open(&s, f->passwd, SNAP_KIND_PASSWD, NULL), SNAP_OK);
	uint32_t pos = 0;
	const unsigned char *v;
	size_t vl;
	unsigned seen = 0, uid_sum = 0;
	while (snap_seq_peek(&s, SK_PW_NAME, &pos, &v, &vl) == SNAP_OK) {
		struct snap_pw pw;
		/* peeking again without advancing gives the same record */
		const unsigned char *again;
		size_t again_len;
		uint32_t same_pos = pos;
		assert_int_equal(snap_seq_peek(&s, SK_PW_NAME, &same_pos, &again, &again_len), SNAP_OK);
		assert_ptr_equal(again, v);
		assert_int_equal(snap_decode_pw(v, vl, &pw), 0);
		uid_sum += pw.uid - 300000;
		seen++;
		snap_seq_advance(&s, &pos);
	}
	assert_int_equal(seen, 3);
	assert_int_equal(uid_sum, 1 + 2 + 3);
	pos = 0;
	seen = 0;
	while (snap_seq_peek(&s, SK_GR_GID, &pos, &v, &vl) == SNAP_OK) {
		seen++;
		snap_seq_advance(&s, &pos);
	}
	assert_int_equal(seen, 1);
	snap_close(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_file),
		cmocka_unit_test(test_missing_and_unsafe),
		cmocka_unit_test(test_wrong_kind),
		cmocka_unit_test(test_truncated_and_appended),
		cmocka_unit_test(test_damaged_header_or_toc),
		cmocka_unit_test(test_damaged_record),
		cmocka_unit_test(test_decoders_refuse_short_records),
		cmocka_unit_test(test_walk),
	};
	return cmocka_run_group_tests_name("snapshot_read", tests, setup, teardown);
}
