/* Audit trail: HMAC-SHA256 chained records in the state store. See audit.h. */
#include <config.h>
#include "audit/audit.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <nettle/hmac.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/fsutil.h"
#include "base/util.h"
#include "audit/audit_chain.h"
#include "store/audit_store.h"

/* ---- key ---------------------------------------------------------------- */

static int read_key(const char *path, unsigned char key[AUDIT_KEY_LEN], struct sosafe_err *e)
{
	int chk = fs_check_file(path, true, e);
	if (chk)
		return chk > 0 ? 1 : -1;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		int r = errno == ENOENT ? 1 : -1;
		err_set(e, "cannot open %s: %s", path, strerror(errno));
		return r;
	}
	unsigned char buf[AUDIT_KEY_LEN + 1];
	ssize_t n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n != AUDIT_KEY_LEN) {
		explicit_bzero(buf, sizeof(buf));
		return err_set(e, "%s is not a %d-byte audit key", path, AUDIT_KEY_LEN);
	}
	memcpy(key, buf, AUDIT_KEY_LEN);
	explicit_bzero(buf, sizeof(buf));
	return 0;
}

int audit_key_load(const char *state_dir, bool create, unsigned char key[AUDIT_KEY_LEN],
		   struct sosafe_err *e)
{
	char path[PATH_MAX], tmp[PATH_MAX];
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", state_dir, AUDIT_KEY_FILE) >= sizeof(path) ||
	    (size_t)snprintf(tmp, sizeof(tmp), "%s/.%s.%ld.%ld", state_dir, AUDIT_KEY_FILE,
			     (long)getpid(), (long)gettid()) >= sizeof(tmp))
		return err_set(e, "state_dir path too long");
	int r = read_key(path, key, e);
	if (r <= 0 || !create)
		return r == 0 ? 0 : -1;
	/* Write a fresh key to a private temporary file, then link() it into
	 * place: atomic, and a concurrent creator's key wins without tearing. */
	unsigned char fresh[AUDIT_KEY_LEN];
	size_t got = 0;
	while (got < sizeof(fresh)) {
		ssize_t n = getrandom(fresh + got, sizeof(fresh) - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return err_set(e, "getrandom failed: %s", strerror(errno));
		got += (size_t)n;
	}
	unlink(tmp);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		explicit_bzero(fresh, sizeof(fresh));
		return err_set(e, "cannot create %s: %s", tmp, strerror(errno));
	}
	bool ok = write(fd, fresh, sizeof(fresh)) == (ssize_t)sizeof(fresh) && fsync(fd) == 0;
	close(fd);
	explicit_bzero(fresh, sizeof(fresh));
	if (!ok) {
		err_set(e, "cannot write %s: %s", tmp, strerror(errno));
		unlink(tmp);
		return -1;
	}
	if (link(tmp, path) != 0 && errno != EEXIST) {
		err_set(e, "cannot create %s: %s", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	unlink(tmp);
	fs_sync_parent(path);
	return read_key(path, key, e) == 0 ? 0 : -1;
}

/* ---- MACs ----------------------------------------------------------------- */

static void put_u64(struct hmac_sha256_ctx *h, uint64_t v)
{
	unsigned char b[8];
	for (int i = 0; i < 8; i++)
		b[i] = (unsigned char)(v >> (56 - 8 * i));
	hmac_sha256_update(h, sizeof(b), b);
}

static void put_str(struct hmac_sha256_ctx *h, const char *s)
{
	size_t n = s ? strlen(s) : 0;
	put_u64(h, n);
	if (n)
		hmac_sha256_update(h, n, (const uint8_t *)s);
}

void audit_record_mac(const unsigned char key[AUDIT_KEY_LEN], const unsigned char prev[AUDIT_MAC_LEN],
		      const struct audit_record *r, unsigned char out[AUDIT_MAC_LEN])
{
	struct hmac_sha256_ctx h;
	static const char tag[] = "sosafe-audit-record-v1";
	hmac_sha256_set_key(&h, AUDIT_KEY_LEN, key);
	hmac_sha256_update(&h, sizeof(tag), (const uint8_t *)tag);
	hmac_sha256_update(&h, AUDIT_MAC_LEN, prev);
	put_u64(&h, (uint64_t)r->seq);
	put_u64(&h, (uint64_t)r->time);
	put_str(&h, r->event);
	put_str(&h, r->user);
	put_str(&h, r->service);
	put_str(&h, r->rhost);
	put_str(&h, r->actor);
	put_str(&h, r->detail);
	hmac_sha256_digest(&h, AUDIT_MAC_LEN, out);
	explicit_bzero(&h, sizeof(h));
}

void audit_head_mac(const unsigned char key[AUDIT_KEY_LEN], const struct audit_head *hd,
		    unsigned char out[AUDIT_MAC_LEN])
{
	struct hmac_sha256_ctx h;
	static const char tag[] = "sosafe-audit-head-v1";
	hmac_sha256_set_key(&h, AUDIT_KEY_LEN, key);
	hmac_sha256_update(&h, sizeof(tag), (const uint8_t *)tag);
	put_u64(&h, (uint64_t)hd->first_seq);
	hmac_sha256_update(&h, AUDIT_MAC_LEN, hd->first_prev);
	put_u64(&h, (uint64_t)hd->last_seq);
	hmac_sha256_update(&h, AUDIT_MAC_LEN, hd->last_mac);
	hmac_sha256_digest(&h, AUDIT_MAC_LEN, out);
	explicit_bzero(&h, sizeof(h));
}

void audit_pseudonym(const unsigned char key[AUDIT_KEY_LEN], const char *user,
		     char out[AUDIT_PSEUDO_LEN])
{
	static const char hex[] = "0123456789abcdef";
	static const char tag[] = "sosafe-pseudonym-v1";
	struct hmac_sha256_ctx h;
	unsigned char d[AUDIT_MAC_LEN];
	hmac_sha256_set_key(&h, AUDIT_KEY_LEN, key);
	hmac_sha256_update(&h, sizeof(tag), (const uint8_t *)tag);
	hmac_sha256_update(&h, strlen(user), (const uint8_t *)user);
	hmac_sha256_digest(&h, sizeof(d), d);
	explicit_bzero(&h, sizeof(h));
	memcpy(out, AUDIT_PSEUDO_PREFIX, 3);
	for (int i = 0; i < 8; i++) {
		out[3 + 2 * i] = hex[d[i] >> 4];
		out[4 + 2 * i] = hex[d[i] & 15];
	}
	out[19] = '\0';
}

/* ---- log_identity ----------------------------------------------------------- */

static const char *pseudonym_shown(const struct log_identity *li, const char *user, char *buf,
				   size_t len)
{
	const struct audit_identity *id =
		(const struct audit_identity *)((const char *)li - offsetof(struct audit_identity, log));
	if (!id->have_key || len < AUDIT_PSEUDO_LEN)
		return AUDIT_PSEUDO_PREFIX "unavailable";
	if (!strncmp(user, AUDIT_PSEUDO_PREFIX, 3))
		return user;   /* already a pseudonym (export of stored records) */
	audit_pseudonym(id->key, user, buf);
	return buf;
}

void audit_identity_init(struct audit_identity *id, const struct sosafe_config *cfg)
{
	audit_identity_wipe(id);
	if (!cfg->log_pseudonym)
		return;
	id->log.pseudonym = true;
	id->log.shown = pseudonym_shown;
	/* Only root may create the key; others (tests with a private
	 * state_dir they own) read or create it in their own directory. */
	id->have_key = audit_key_load(cfg->state_dir, true, id->key, NULL) == 0;
}

bool audit_hides_names(const struct log_ctx *ctx)
{
	return ctx && ctx->identity && ctx->identity->pseudonym;
}

const char *audit_name_shown(const struct log_ctx *ctx, const char *name, char *buf, size_t len)
{
	if (!audit_hides_names(ctx) || !name || !*name)
		return name ? name : "";
	if (!ctx->identity->shown)
		return AUDIT_PSEUDO_PREFIX "unavailable";
	return ctx->identity->shown(ctx->identity, name, buf, len);
}

void audit_identity_wipe(struct audit_identity *id)
{
	explicit_bzero(id, sizeof(*id));
}

/* ---- the chain ---------------------------------------------------------------- */

int audit_state_dir(struct store *st, char *dir, size_t len)
{
	const char *p = store_state_dir(st);
	if (!*p || strlen(p) >= len)
		return -1;
	memcpy(dir, p, strlen(p) + 1);
	return 0;
}

/* *LOST: the head is missing although records were written (the trail was
 * deleted). The new chain goes on numbering after them, from a zero MAC, so
 * that audit verify reports the gap instead of an intact trail. */
static int append_record(struct store *st, const unsigned char key[AUDIT_KEY_LEN],
			 struct audit_record *r, long long *lost, struct sosafe_err *e)
{
	struct audit_head hd;
	long long mark = 0;
	*lost = 0;
	enum store_status s = audit_head_get(st, &hd);
	if (s != ST_OK && s != ST_NOTFOUND) {
		err_set(e, "cannot read audit head: %s",
			s == ST_CORRUPT ? "damaged" : store_cause(st));
		return -1;
	}
	if (s == ST_NOTFOUND) {   /* first record ever, or the trail was deleted */
		enum store_status m = audit_mark_get(st, &mark);
		if (m != ST_OK && m != ST_NOTFOUND) {
			err_set(e, "cannot read the audit mark: %s", store_cause(st));
			return -1;
		}
		hd.first_seq = mark + 1;
		hd.last_seq = mark;
		*lost = mark;
	} else {
		unsigned char want[AUDIT_MAC_LEN];
		audit_head_mac(key, &hd, want);
		if (!ct_memeq(want, hd.mac, AUDIT_MAC_LEN)) {
			err_set(e, "audit head fails its MAC (tampered, or audit.key replaced); "
				 "run: sosafectl audit verify");
			return -1;
		}
	}
	r->seq = hd.last_seq + 1;
	unsigned char mac[AUDIT_MAC_LEN];
	audit_record_mac(key, hd.last_mac, r, mac);
	if (audit_record_put(st, r, mac) != ST_OK) {
		err_set(e, "cannot write audit record: %s", store_cause(st));
		return -1;
	}
	hd.last_seq = r->seq;
	memcpy(hd.last_mac, mac, AUDIT_MAC_LEN);
	audit_head_mac(key, &hd, hd.mac);
	if (audit_head_put(st, &hd) != ST_OK || audit_mark_put(st, r->seq) != ST_OK) {
		err_set(e, "cannot write audit head: %s", store_cause(st));
		return -1;
	}
	return 0;
}

static int vappend(struct store *st, const struct log_ctx *ctx, const char *event, const char *actor,
		   int64_t now, const char *fmt, va_list ap)
{
	char dir[PATH_MAX], detail[512];
	struct sosafe_err err = { "" };
	unsigned char key[AUDIT_KEY_LEN];
	char pseudo[AUDIT_PSEUDO_LEN];
	if (fmt)
		vsnprintf(detail, sizeof(detail), fmt, ap);
	else
		detail[0] = '\0';
	int ret = -1;
	if (audit_state_dir(st, dir, sizeof(dir))) {
		err_set(&err, "bad store path");
	} else if (audit_key_load(dir, true, key, &err) == 0) {
		const char *user = ctx && ctx->user ? ctx->user : "";
		bool pseudonym = ctx && ctx->identity && ctx->identity->pseudonym;
		if (pseudonym && *user && strncmp(user, AUDIT_PSEUDO_PREFIX, 3)) {
			audit_pseudonym(key, user, pseudo);
			user = pseudo;
		}
		struct audit_record r = {
			.time = now, .event = event, .user = user,
			.service = ctx && ctx->service ? ctx->service : "",
			.rhost = ctx && ctx->rhost ? ctx->rhost : "",
			.actor = actor ? actor : "", .detail = detail,
		};
		long long lost = 0;
		ret = append_record(st, key, &r, &lost, &err);
		explicit_bzero(key, sizeof(key));
		if (ret == 0 && lost)
			log_event(LOG_CRIT, ctx, "audit-damaged",
				  "audit trail missing although %lld records were written (deleted); "
				  "new records continue at %lld; run: sosafectl audit verify",
				  lost, r.seq);
	}
	if (ret)
		log_event(LOG_CRIT, ctx, "audit-error", "audit record for '%s' not written, "
			  "action refused: %s", event, err.msg);
	return ret;
}

int audit_append(struct store *st, const struct log_ctx *ctx, const char *event,
		 const char *actor, const char *detail_fmt, ...)
{
	va_list ap;
	va_start(ap, detail_fmt);
	int r = vappend(st, ctx, event, actor, time(NULL), detail_fmt, ap);
	va_end(ap);
	return r;
}

int audit_append_at(struct store *st, const struct log_ctx *ctx, const char *event,
		    const char *actor, int64_t now, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = vappend(st, ctx, event, actor, now, fmt, ap);
	va_end(ap);
	return r;
}
