/* Pending enrollments (see enroll_pending.h). */
#include <config.h>
#include "enroll_pending.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <nettle/sha2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fsutil.h"
#include "base/util.h"
#include "store/seal.h"

#define PENDING_DIR "enroll-pending"
/* 2: the secret sealed like the store's (version 1 held it in base32) */
#define PENDING_MAGIC "sosafe-enroll-pending 2"
#define SEALED_MAX (TOTP_SECRET_MAX + SEAL_OVERHEAD)
#define TEXT_MAX (96 + 2 * SEALED_MAX + sizeof(PENDING_MAGIC))

static struct seal_place pending_place(const char *user)
{
	return (struct seal_place){ .table = "enroll-pending", .column = "secret", .user = user };
}

static void to_hex(const uint8_t *b, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
}

/* HEX into OUT (CAP bytes); the byte count, or -1. */
static int from_hex(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = strlen(hex);
	if (n % 2 || n / 2 > cap)
		return -1;
	for (size_t i = 0; i < n / 2; i++) {
		unsigned v;
		if (sscanf(hex + 2 * i, "%2x", &v) != 1) /* NOLINT(cert-err34-c) */
			return -1;
		out[i] = (uint8_t)v;
	}
	return (int)(n / 2);
}

/* STATE_DIR/enroll-pending[/SHA256(USER)] into PATH; USER NULL: the directory. */
static int pending_path(const char *state_dir, const char *user, char *path, size_t len)
{
	int n;
	if (!user) {
		n = snprintf(path, len, "%s/" PENDING_DIR, state_dir);
	} else {
		uint8_t d[SHA256_DIGEST_SIZE];
		struct sha256_ctx h;
		sha256_init(&h);
		sha256_update(&h, strlen(user), (const uint8_t *)user);
		sha256_digest(&h, sizeof(d), d);
		char hex[2 * SHA256_DIGEST_SIZE + 1];
		for (size_t i = 0; i < sizeof(d); i++)
			snprintf(hex + 2 * i, 3, "%02x", d[i]);
		n = snprintf(path, len, "%s/" PENDING_DIR "/%s", state_dir, hex);
	}
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

/* The directory must be ours alone: root (or the test user), 0700, no symlink. */
static int pending_dir(const char *state_dir, bool create, struct sosafe_err *e)
{
	char dir[PATH_MAX];
	struct stat st;
	if (pending_path(state_dir, NULL, dir, sizeof(dir)))
		return err_set(e, "state_dir too long");
	if (create && mkdir(dir, 0700) && errno != EEXIST)
		return err_set(e, "cannot create %s: %s", dir, strerror(errno));
	if (lstat(dir, &st))
		return errno == ENOENT && !create ? 1 : err_set(e, "%s: %s", dir, strerror(errno));
	if (!S_ISDIR(st.st_mode) || !fs_owner_trusted(&st) || (st.st_mode & 077))
		return err_set(e, "%s must be a directory owned by root with mode 0700", dir);
	return 0;
}

int enroll_pending_save(const char *state_dir, const struct keyring *kr, const char *user,
			const struct otp_record *r, bool force, struct sosafe_err *e)
{
	char path[PATH_MAX], tmp[PATH_MAX + 8];
	if (pending_dir(state_dir, true, e))
		return -1;
	if (pending_path(state_dir, user, path, sizeof(path)) ||
	    (size_t)snprintf(tmp, sizeof(tmp), "%s.new", path) >= sizeof(tmp))
		return err_set(e, "state_dir too long");
	uint8_t sealed[SEALED_MAX];
	size_t len = 0;
	const struct seal_place at = pending_place(user);
	if (seal_value(kr, &at, r->secret, r->secret_len, sealed, sizeof(sealed), &len, e) != SEAL_OK)
		return err_prefix(e, "cannot keep the pending secret");
	char hex[2 * SEALED_MAX + 1];
	char text[TEXT_MAX];
	to_hex(sealed, len, hex);
	int n = snprintf(text, sizeof(text), PENDING_MAGIC "\n%" PRId64 " %s %u %u %d %s\n",
			 r->enrolled_at, totp_algorithm_name(r->params.algorithm), r->params.digits,
			 r->params.period, force ? 1 : 0, hex);
	(void)unlink(tmp);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	int rc = -1;
	if (fd < 0) {
		err_set(e, "cannot create %s: %s", tmp, strerror(errno));
	} else if (n < 0 || write(fd, text, (size_t)n) != n || fsync(fd)) {
		err_set(e, "cannot write %s: %s", tmp, strerror(errno));
	} else if (rename(tmp, path)) {
		err_set(e, "cannot rename %s: %s", tmp, strerror(errno));
	} else {
		(void)fs_sync_parent(path);
		rc = 0;
	}
	explicit_bzero(text, sizeof(text));
	if (fd >= 0)
		close(fd);
	if (rc)
		(void)unlink(tmp);
	return rc;
}

/* Parse a pending file's TEXT into R and *FORCE (opening the secret
 * sealed for USER); 0, or -1 (E says why when the key is the cause). */
static int pending_parse(const char *text, const struct keyring *kr, const char *user,
			 struct otp_record *r, bool *force, struct sosafe_err *e)
{
	const char *body = strchr(text, '\n');
	if (!body || (size_t)(body - text) != strlen(PENDING_MAGIC) ||
	    strncmp(text, PENDING_MAGIC, strlen(PENDING_MAGIC)))
		return -1;
	char alg[16], hex[2 * SEALED_MAX + 1];
	uint8_t sealed[SEALED_MAX];
	long long made;
	int f, len;
	int rc = -1;
	const struct seal_place at = pending_place(user);
	if (sscanf(body + 1, "%lld %15s %u %u %d %324s", &made, alg, &r->params.digits, /* NOLINT(cert-err34-c) */
		   &r->params.period, &f, hex) == 6 &&
	    !totp_algorithm_parse(alg, &r->params.algorithm) && totp_params_valid(&r->params) &&
	    (len = from_hex(hex, sealed, sizeof(sealed))) > 0) {
		enum seal_result sr = seal_open(kr, &at, sealed, (size_t)len, r->secret,
						sizeof(r->secret), &r->secret_len, e);
		if (sr == SEAL_OK && r->secret_len >= TOTP_SECRET_NEW) {
			r->enrolled_at = made;
			r->last_step = -1;
			*force = f != 0;
			rc = 0;
		} else if (sr == SEAL_NOKEY) {
			rc = -2;
		}
	}
	explicit_bzero(sealed, sizeof(sealed));
	return rc;
}

int enroll_pending_load(const char *state_dir, const struct keyring *kr, const char *user,
			int64_t now, struct otp_record *r, bool *force, struct sosafe_err *e)
{
	char path[PATH_MAX];
	memset(r, 0, sizeof(*r));
	int d = pending_dir(state_dir, false, e);
	if (d)
		return d;
	if (pending_path(state_dir, user, path, sizeof(path)))
		return err_set(e, "state_dir too long");
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 1 : err_set(e, "cannot open %s: %s", path, strerror(errno));
	struct stat st;
	char text[TEXT_MAX];
	ssize_t n = -1;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && fs_owner_trusted(&st) && !(st.st_mode & 077))
		n = read(fd, text, sizeof(text) - 1);
	close(fd);
	int rc = -1;
	if (n < 0) {
		err_set(e, "%s must be a regular file owned by root with mode 0600", path);
	} else {
		text[n] = '\0';
		int p = pending_parse(text, kr, user, r, force, e);
		if (p == -2)
			err_prefix(e, "%s", path);
		else if (p)
			err_set(e, "%s is damaged or from an older version: run enroll --pending again",
				path);
		else if (now - r->enrolled_at > ENROLL_PENDING_TTL || r->enrolled_at > now + 60)
			rc = 1;
		else
			rc = 0;
	}
	explicit_bzero(text, sizeof(text));
	if (rc)
		otp_record_wipe(r);
	if (rc == 1)
		(void)unlink(path);
	return rc;
}

void enroll_pending_remove(const char *state_dir, const char *user)
{
	char path[PATH_MAX];
	if (pending_path(state_dir, user, path, sizeof(path)) == 0)
		(void)unlink(path);
}
