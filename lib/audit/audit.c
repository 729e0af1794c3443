/* Audit trail: HMAC-SHA256 chained records in the state store. See audit.h. */
#include <config.h>
#include "store/schema_parts.h"
#include "audit/audit.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <nettle/hmac.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/fsutil.h"
#include "base/util.h"

#define DAY SOSAFE_DAY

static const char *const audit_steps[] = {
	/* 1: the chained records, their MACed head, access reviews */
	"CREATE TABLE audit ("
	"  seq INTEGER PRIMARY KEY,"
	"  time INTEGER NOT NULL,"
	"  event TEXT NOT NULL,"
	"  user TEXT NOT NULL,"
	"  service TEXT NOT NULL,"
	"  rhost TEXT NOT NULL,"
	"  actor TEXT NOT NULL,"
	"  detail TEXT NOT NULL,"
	"  mac BLOB NOT NULL);"
	"CREATE INDEX audit_time ON audit(time);"
	"CREATE TABLE audit_head ("
	"  id INTEGER PRIMARY KEY CHECK (id = 1),"
	"  first_seq INTEGER NOT NULL,"
	"  first_prev BLOB NOT NULL,"
	"  last_seq INTEGER NOT NULL,"
	"  last_mac BLOB NOT NULL,"
	"  mac BLOB NOT NULL);"
	"CREATE TABLE review ("
	"  user TEXT PRIMARY KEY NOT NULL,"
	"  time INTEGER NOT NULL,"
	"  reviewer TEXT NOT NULL"
	") WITHOUT ROWID",
};
/* The audit table is deliberately not per-user: purge must not break the
 * chain (with log_identity = pseudonym it holds no names anyway). */
static const char *const audit_user_tables[] = { "review" };

const struct schema_part audit_schema_part = {
	.name = "audit",
	.steps = audit_steps,
	.nsteps = ARRAY_SIZE(audit_steps),
	.user_tables = audit_user_tables,
	.nuser_tables = ARRAY_SIZE(audit_user_tables),
};

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

struct head {
	long long first_seq, last_seq;
	unsigned char first_prev[AUDIT_MAC_LEN], last_mac[AUDIT_MAC_LEN], mac[AUDIT_MAC_LEN];
};

static void head_mac(const unsigned char key[AUDIT_KEY_LEN], const struct head *hd,
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

/* Read the head; 1 if there is none yet. */
static int head_get(sqlite3 *db, struct head *hd)
{
	sqlite3_stmt *q = NULL;
	memset(hd, 0, sizeof(*hd));
	if (sqlite3_prepare_v2(db, "SELECT first_seq, first_prev, last_seq, last_mac, mac FROM audit_head"
			       " WHERE id = 1", -1, &q, NULL) != SQLITE_OK)
		return -1;
	int rc = sqlite3_step(q), ret = 1;
	if (rc == SQLITE_ROW) {
		ret = 0;
		hd->first_seq = sqlite3_column_int64(q, 0);
		hd->last_seq = sqlite3_column_int64(q, 2);
		const int cols[] = { 1, 3, 4 };
		unsigned char *dst[] = { hd->first_prev, hd->last_mac, hd->mac };
		for (int i = 0; i < 3; i++) {
			if (sqlite3_column_bytes(q, cols[i]) != AUDIT_MAC_LEN)
				ret = 2;   /* damaged: verify reports it */
			else
				memcpy(dst[i], sqlite3_column_blob(q, cols[i]), AUDIT_MAC_LEN);
		}
	} else if (rc != SQLITE_DONE) {
		ret = -1;
	}
	sqlite3_finalize(q);
	return ret;
}

static int head_put(sqlite3 *db, const unsigned char key[AUDIT_KEY_LEN], struct head *hd)
{
	sqlite3_stmt *q = NULL;
	head_mac(key, hd, hd->mac);
	if (sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO audit_head VALUES (1, ?, ?, ?, ?, ?)", -1, &q,
			       NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(q, 1, hd->first_seq);
	sqlite3_bind_blob(q, 2, hd->first_prev, AUDIT_MAC_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(q, 3, hd->last_seq);
	sqlite3_bind_blob(q, 4, hd->last_mac, AUDIT_MAC_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(q, 5, hd->mac, AUDIT_MAC_LEN, SQLITE_STATIC);
	int rc = sqlite3_step(q);
	sqlite3_finalize(q);
	return rc == SQLITE_DONE ? 0 : -1;
}

static int append_record(struct store *st, const unsigned char key[AUDIT_KEY_LEN],
			 struct audit_record *r, char *err, size_t errlen)
{
	sqlite3 *db = store_db(st);
	struct head hd;
	int h = head_get(db, &hd);
	if (h < 0 || h == 2) {
		snprintf(err, errlen, "cannot read audit head: %s", h < 0 ? sqlite3_errmsg(db) : "damaged");
		return -1;
	}
	if (h == 1) {          /* first record ever */
		hd.first_seq = 1;
		hd.last_seq = 0;
	} else {
		unsigned char want[AUDIT_MAC_LEN];
		head_mac(key, &hd, want);
		if (!ct_memeq(want, hd.mac, AUDIT_MAC_LEN)) {
			snprintf(err, errlen, "audit head fails its MAC (tampered, or audit.key replaced); "
				 "run: sosafectl audit verify");
			return -1;
		}
	}
	r->seq = hd.last_seq + 1;
	unsigned char mac[AUDIT_MAC_LEN];
	record_mac(key, hd.last_mac, r, mac);
	sqlite3_stmt *q = NULL;
	int rc = sqlite3_prepare_v2(db, "INSERT INTO audit VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", -1, &q, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_int64(q, 1, r->seq);
		sqlite3_bind_int64(q, 2, r->time);
		const char *f[] = { r->event, r->user, r->service, r->rhost, r->actor, r->detail };
		for (int i = 0; i < 6; i++)
			sqlite3_bind_text(q, 3 + i, f[i] ? f[i] : "", -1, SQLITE_STATIC);
		sqlite3_bind_blob(q, 9, mac, AUDIT_MAC_LEN, SQLITE_STATIC);
		rc = sqlite3_step(q);
	}
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE) {
		snprintf(err, errlen, "cannot write audit record: %s", sqlite3_errmsg(db));
		return -1;
	}
	hd.last_seq = r->seq;
	memcpy(hd.last_mac, mac, AUDIT_MAC_LEN);
	if (head_put(db, key, &hd)) {
		snprintf(err, errlen, "cannot write audit head: %s", sqlite3_errmsg(db));
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
		ret = append_record(st, key, &r, err.msg, sizeof(err.msg));
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

static const char *col(sqlite3_stmt *q, int i)
{
	const char *s = (const char *)sqlite3_column_text(q, i);
	return s ? s : "";
}

int audit_verify(struct store *st, const unsigned char key[AUDIT_KEY_LEN], long *count,
		 long long *bad_seq, struct sosafe_err *why)
{
	sqlite3 *db = store_db(st);
	struct head hd;
	*count = 0;
	*bad_seq = 0;
	int h = head_get(db, &hd);
	if (h < 0) {
		err_set(why, "cannot read the audit trail: %s", sqlite3_errmsg(db));
		return -1;
	}
	if (h == 2) {
		err_set(why, "audit head damaged");
		return 1;
	}
	sqlite3_stmt *q = NULL;
	if (sqlite3_prepare_v2(db, "SELECT seq, time, event, user, service, rhost, actor, detail, mac"
			       " FROM audit ORDER BY seq", -1, &q, NULL) != SQLITE_OK) {
		err_set(why, "cannot read the audit trail: %s", sqlite3_errmsg(db));
		return -1;
	}
	int ret = 0;
	if (h == 1) {
		if (sqlite3_step(q) == SQLITE_ROW) {
			*bad_seq = sqlite3_column_int64(q, 0);
			err_set(why, "audit head missing (deleted) but records exist");
			ret = 1;
		} else {
			err_set(why, "audit trail empty");
		}
		sqlite3_finalize(q);
		return ret;
	}
	unsigned char want[AUDIT_MAC_LEN], prev[AUDIT_MAC_LEN];
	head_mac(key, &hd, want);
	if (!ct_memeq(want, hd.mac, AUDIT_MAC_LEN)) {
		err_set(why, "audit head (checkpoint) fails its MAC: altered, or wrong audit.key");
		sqlite3_finalize(q);
		return 1;
	}
	memcpy(prev, hd.first_prev, AUDIT_MAC_LEN);
	long long expect = hd.first_seq;
	int rc;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct audit_record r = {
			.seq = sqlite3_column_int64(q, 0), .time = sqlite3_column_int64(q, 1),
			.event = col(q, 2), .user = col(q, 3), .service = col(q, 4),
			.rhost = col(q, 5), .actor = col(q, 6), .detail = col(q, 7),
		};
		if (r.seq != expect) {
			*bad_seq = r.seq < expect ? r.seq : expect;
			if (r.seq < expect)
				err_set(why, "record %lld lies before the checkpoint (inserted)", r.seq);
			else
				err_set(why, "record %lld missing (deleted); next is %lld", expect, r.seq);
			ret = 1;
			break;
		}
		unsigned char mac[AUDIT_MAC_LEN];
		record_mac(key, prev, &r, mac);
		if (sqlite3_column_bytes(q, 8) != AUDIT_MAC_LEN ||
		    !ct_memeq(mac, sqlite3_column_blob(q, 8), AUDIT_MAC_LEN)) {
			*bad_seq = r.seq;
			err_set(why, "record %lld altered, reordered or forged (MAC mismatch)", r.seq);
			ret = 1;
			break;
		}
		memcpy(prev, mac, AUDIT_MAC_LEN);
		expect++;
		(*count)++;
	}
	if (ret == 0 && rc != SQLITE_DONE) {
		err_set(why, "cannot read the audit trail: %s", sqlite3_errmsg(db));
		ret = -1;
	}
	if (ret == 0 && (expect - 1 != hd.last_seq || !ct_memeq(prev, hd.last_mac, AUDIT_MAC_LEN))) {
		*bad_seq = expect;
		err_set(why, "record %lld missing (deleted at the end; head says last is %lld)",
			 expect <= hd.last_seq ? expect : hd.last_seq, hd.last_seq);
		ret = 1;
	}
	if (ret == 0)
		err_set(why, "%ld records intact (seq %lld..%lld)", *count, hd.first_seq,
			 hd.last_seq);
	sqlite3_finalize(q);
	return ret;
}

int audit_prune(struct store *st, const struct log_ctx *ctx, const char *actor, unsigned days,
		int64_t now, long *pruned)
{
	sqlite3 *db = store_db(st);
	char dir[PATH_MAX];
	unsigned char key[AUDIT_KEY_LEN];
	*pruned = 0;
	if (days < 90)
		days = 90;
	int64_t cutoff = now - (int64_t)days * DAY;
	if (state_dir_of(st, dir, sizeof(dir)) || audit_key_load(dir, true, key, NULL)) {
		log_event(LOG_CRIT, ctx, "audit-error", "audit prune refused: no audit key");
		return -1;
	}
	struct head hd;
	int ret = -1;
	int h = head_get(db, &hd);
	if (h != 0) {
		explicit_bzero(key, sizeof(key));
		return h == 1 ? 0 : -1;   /* 1: nothing recorded yet */
	}
	unsigned char want[AUDIT_MAC_LEN];
	head_mac(key, &hd, want);
	sqlite3_stmt *q = NULL;
	if (!ct_memeq(want, hd.mac, AUDIT_MAC_LEN)) {
		log_event(LOG_CRIT, ctx, "audit-error", "audit prune refused: audit head fails its MAC");
		goto out;
	}
	if (sqlite3_prepare_v2(db, "SELECT seq, mac FROM audit WHERE time < ? ORDER BY seq DESC LIMIT 1",
			       -1, &q, NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_int64(q, 1, cutoff);
	int rc = sqlite3_step(q);
	if (rc == SQLITE_DONE) {
		ret = 0;
		goto out;
	}
	if (rc != SQLITE_ROW || sqlite3_column_bytes(q, 1) != AUDIT_MAC_LEN)
		goto out;
	long long upto = sqlite3_column_int64(q, 0);
	hd.first_seq = upto + 1;
	memcpy(hd.first_prev, sqlite3_column_blob(q, 1), AUDIT_MAC_LEN);
	sqlite3_finalize(q);
	q = NULL;
	if (sqlite3_prepare_v2(db, "DELETE FROM audit WHERE seq <= ?", -1, &q, NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_int64(q, 1, upto);
	if (sqlite3_step(q) != SQLITE_DONE)
		goto out;
	*pruned = sqlite3_changes(db);
	if (head_put(db, key, &hd))
		goto out;
	ret = append_now(st, ctx, "audit-prune", actor, now,
			 "pruned %ld records up to seq %lld (older than %u days); chain continues from its MAC",
			 *pruned, upto, days);
out:
	if (ret && q)
		log_event(LOG_CRIT, ctx, "audit-error", "audit prune failed: %s", sqlite3_errmsg(db));
	sqlite3_finalize(q);
	explicit_bzero(key, sizeof(key));
	return ret;
}

int audit_foreach(struct store *st, long long since, audit_record_fn fn, void *ctx)
{
	sqlite3 *db = store_db(st);
	sqlite3_stmt *q = NULL;
	if (sqlite3_prepare_v2(db, "SELECT seq, time, event, user, service, rhost, actor, detail"
			       " FROM audit WHERE time >= ? ORDER BY seq", -1, &q, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(q, 1, since);
	int rc;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct audit_record r = {
			.seq = sqlite3_column_int64(q, 0), .time = sqlite3_column_int64(q, 1),
			.event = col(q, 2), .user = col(q, 3), .service = col(q, 4),
			.rhost = col(q, 5), .actor = col(q, 6), .detail = col(q, 7),
		};
		if (fn(&r, ctx))
			break;
	}
	sqlite3_finalize(q);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}
