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

static void record_mac(const unsigned char key[AUDIT_KEY_LEN], const unsigned char prev[AUDIT_MAC_LEN],
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

static void head_mac(const unsigned char key[AUDIT_KEY_LEN], const struct audit_head *hd,
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

void audit_identity_wipe(struct audit_identity *id)
{
	explicit_bzero(id, sizeof(*id));
}

/* ---- the chain ---------------------------------------------------------------- */

static int state_dir_of(struct store *st, char *dir, size_t len)
{
	const char *p = store_path(st);
	const char *slash = strrchr(p, '/');
	if (!slash || (size_t)(slash - p) >= len)
		return -1;
	memcpy(dir, p, (size_t)(slash - p));
	dir[slash - p] = '\0';
	return 0;
}

static int append_record(struct store *st, const unsigned char key[AUDIT_KEY_LEN],
			 struct audit_record *r, struct sosafe_err *e)
{
	struct audit_head hd;
	enum store_status s = audit_head_get(st, &hd);
	if (s != ST_OK && s != ST_NOTFOUND) {
		err_set(e, "cannot read audit head: %s",
			s == ST_CORRUPT ? "damaged" : store_cause(st));
		return -1;
	}
	if (s == ST_NOTFOUND) {   /* first record ever */
		hd.first_seq = 1;
		hd.last_seq = 0;
	} else {
		unsigned char want[AUDIT_MAC_LEN];
		head_mac(key, &hd, want);
		if (!ct_memeq(want, hd.mac, AUDIT_MAC_LEN)) {
			err_set(e, "audit head fails its MAC (tampered, or audit.key replaced); "
				 "run: sosafectl audit verify");
			return -1;
		}
	}
	r->seq = hd.last_seq + 1;
	unsigned char mac[AUDIT_MAC_LEN];
	record_mac(key, hd.last_mac, r, mac);
	if (audit_record_put(st, r, mac) != ST_OK) {
		err_set(e, "cannot write audit record: %s", store_cause(st));
		return -1;
	}
	hd.last_seq = r->seq;
	memcpy(hd.last_mac, mac, AUDIT_MAC_LEN);
	head_mac(key, &hd, hd.mac);
	if (audit_head_put(st, &hd) != ST_OK) {
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
	if (state_dir_of(st, dir, sizeof(dir))) {
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
		ret = append_record(st, key, &r, &err);
		explicit_bzero(key, sizeof(key));
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

static int append_now(struct store *st, const struct log_ctx *ctx, const char *event,
		      const char *actor, int64_t now, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));
static int append_now(struct store *st, const struct log_ctx *ctx, const char *event,
		      const char *actor, int64_t now, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = vappend(st, ctx, event, actor, now, fmt, ap);
	va_end(ap);
	return r;
}

/* The walk of audit_verify: each record must come next in the chain. */
struct verify_walk {
	const unsigned char *key;
	unsigned char prev[AUDIT_MAC_LEN];
	long long expect;
	long *count;
	long long *bad_seq;
	struct sosafe_err *why;
	int ret;
};

static int verify_one(const struct audit_record *r, const void *stored, size_t maclen, void *ctx)
{
	struct verify_walk *w = ctx;
	if (r->seq != w->expect) {
		*w->bad_seq = r->seq < w->expect ? r->seq : w->expect;
		if (r->seq < w->expect)
			err_set(w->why, "record %lld lies before the checkpoint (inserted)",
				r->seq);
		else
			err_set(w->why, "record %lld missing (deleted); next is %lld",
				w->expect, r->seq);
		w->ret = 1;
		return 1;
	}
	unsigned char mac[AUDIT_MAC_LEN];
	record_mac(w->key, w->prev, r, mac);
	if (maclen != AUDIT_MAC_LEN || !ct_memeq(mac, stored, AUDIT_MAC_LEN)) {
		*w->bad_seq = r->seq;
		err_set(w->why, "record %lld altered, reordered or forged (MAC mismatch)",
			r->seq);
		w->ret = 1;
		return 1;
	}
	memcpy(w->prev, mac, AUDIT_MAC_LEN);
	w->expect++;
	(*w->count)++;
	return 0;
}

/* With no head, any record at all was left behind by a deleted head. */
struct first_record {
	bool found;
	long long seq;
};

static int first_record(const struct audit_record *r, const void *mac, size_t maclen, void *ctx)
{
	(void)mac;
	(void)maclen;
	struct first_record *f = ctx;
	f->found = true;
	f->seq = r->seq;
	return 1;
}

int audit_verify(struct store *st, const unsigned char key[AUDIT_KEY_LEN], long *count,
		 long long *bad_seq, struct sosafe_err *why)
{
	struct audit_head hd;
	*count = 0;
	*bad_seq = 0;
	enum store_status s = audit_head_get(st, &hd);
	if (s == ST_CORRUPT) {
		err_set(why, "audit head damaged");
		return 1;
	}
	if (s != ST_OK && s != ST_NOTFOUND) {
		err_set(why, "cannot read the audit trail: %s", store_cause(st));
		return -1;
	}
	if (s == ST_NOTFOUND) {
		struct first_record first = { false, 0 };
		if (audit_rows_all(st, first_record, &first) != ST_OK) {
			err_set(why, "cannot read the audit trail: %s", store_cause(st));
			return -1;
		}
		if (first.found) {
			*bad_seq = first.seq;
			err_set(why, "audit head missing (deleted) but records exist");
			return 1;
		}
		err_set(why, "audit trail empty");
		return 0;
	}
	unsigned char want[AUDIT_MAC_LEN];
	head_mac(key, &hd, want);
	if (!ct_memeq(want, hd.mac, AUDIT_MAC_LEN)) {
		err_set(why, "audit head (checkpoint) fails its MAC: altered, or wrong audit.key");
		return 1;
	}
	struct verify_walk w = { .key = key, .expect = hd.first_seq, .count = count,
				 .bad_seq = bad_seq, .why = why };
	memcpy(w.prev, hd.first_prev, AUDIT_MAC_LEN);
	if (audit_rows_all(st, verify_one, &w) != ST_OK && w.ret == 0) {
		err_set(why, "cannot read the audit trail: %s", store_cause(st));
		w.ret = -1;
	}
	if (w.ret == 0 &&
	    (w.expect - 1 != hd.last_seq || !ct_memeq(w.prev, hd.last_mac, AUDIT_MAC_LEN))) {
		*bad_seq = w.expect;
		err_set(why, "record %lld missing (deleted at the end; head says last is %lld)",
			w.expect <= hd.last_seq ? w.expect : hd.last_seq, hd.last_seq);
		w.ret = 1;
	}
	if (w.ret == 0)
		err_set(why, "%ld records intact (seq %lld..%lld)", *count, hd.first_seq,
			hd.last_seq);
	return w.ret;
}

int audit_prune(struct store *st, const struct log_ctx *ctx, const char *actor, unsigned days,
		int64_t now, long *pruned)
{
	char dir[PATH_MAX];
	unsigned char key[AUDIT_KEY_LEN];
	*pruned = 0;
	if (days < 90)
		days = 90;
	int64_t cutoff = now - (int64_t)days * SOSAFE_DAY;
	if (state_dir_of(st, dir, sizeof(dir)) || audit_key_load(dir, true, key, NULL)) {
		log_event(LOG_CRIT, ctx, "audit-error", "audit prune refused: no audit key");
		return -1;
	}
	struct audit_head hd;
	int ret = -1;
	enum store_status s = audit_head_get(st, &hd);
	if (s != ST_OK) {
		explicit_bzero(key, sizeof(key));
		return s == ST_NOTFOUND ? 0 : -1;   /* nothing recorded yet */
	}
	unsigned char want[AUDIT_MAC_LEN];
	head_mac(key, &hd, want);
	if (!ct_memeq(want, hd.mac, AUDIT_MAC_LEN)) {
		log_event(LOG_CRIT, ctx, "audit-error", "audit prune refused: audit head fails its MAC");
		goto out;
	}
	long long upto;
	s = audit_last_before(st, cutoff, &upto, hd.first_prev);
	if (s == ST_NOTFOUND) {
		ret = 0;
		goto out;
	}
	if (s == ST_OK)
		s = audit_delete_upto(st, upto, pruned);
	if (s == ST_OK) {
		hd.first_seq = upto + 1;
		head_mac(key, &hd, hd.mac);
		s = audit_head_put(st, &hd);
	}
	if (s != ST_OK) {
		log_event(LOG_CRIT, ctx, "audit-error", "audit prune failed: %s", store_cause(st));
		goto out;
	}
	ret = append_now(st, ctx, "audit-prune", actor, now,
			 "pruned %ld records up to seq %lld (older than %u days); chain continues from its MAC",
			 *pruned, upto, days);
out:
	explicit_bzero(key, sizeof(key));
	return ret;
}

/* audit_foreach hands out records without their MACs. */
struct plain_walk {
	audit_record_fn fn;
	void *ctx;
};

static int plain_one(const struct audit_record *r, const void *mac, size_t maclen, void *ctx)
{
	(void)mac;
	(void)maclen;
	const struct plain_walk *w = ctx;
	return w->fn(r, w->ctx);
}

int audit_foreach(struct store *st, long long since, audit_record_fn fn, void *ctx)
{
	struct plain_walk w = { fn, ctx };
	return audit_rows_since(st, since, plain_one, &w) == ST_OK ? 0 : -1;
}
