/* AES-256-GCM sealing of stored secrets (see seal.h). */
#include <config.h>
#include "store/seal.h"

#include <errno.h>
#include <nettle/gcm.h>
#include <string.h>
#include <sys/random.h>

#include "base/util.h"

#define SEAL_MAGIC 'S'
#define SEAL_VERSION 1
/* what the values sealed here are, so no other use of the key can collide */
#define SEAL_LABEL "sosafe sealed secret v1"
#define AD_MAX 640

/* The associated data: the header, then label, table, column and user,
 * each with its NUL (none of them holds one, so the split is unique). */
static size_t build_ad(const uint8_t *head, const struct seal_place *at, uint8_t *ad)
{
	const char *parts[] = { SEAL_LABEL, at->table, at->column, at->user };
	size_t n = SEAL_HEAD_LEN;
	memcpy(ad, head, SEAL_HEAD_LEN);
	for (size_t i = 0; i < ARRAY_SIZE(parts); i++) {
		size_t l = strlen(parts[i]) + 1;
		if (n + l > AD_MAX)
			return 0;
		memcpy(ad + n, parts[i], l);
		n += l;
	}
	return n;
}

static int fill_random(uint8_t *buf, size_t len)
{
	size_t got = 0;
	while (got < len) {
		ssize_t n = getrandom(buf + got, len - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		got += (size_t)n;
	}
	return 0;
}

enum seal_result seal_value(const struct keyring *kr, const struct seal_place *at,
			    const uint8_t *plain, size_t len, uint8_t *out, size_t cap,
			    size_t *outlen, struct sosafe_err *e)
{
	const struct keyring_key *k = keyring_at(kr, 0);
	uint8_t ad[AD_MAX];
	*outlen = 0;
	if (!k) {
		err_set(e, "%s", keyring_error(kr));
		return SEAL_NOKEY;
	}
	if (!len || len > SEAL_MAX_PLAIN || cap < len + SEAL_OVERHEAD) {
		err_set(e, "cannot seal a value of %zu bytes", len);
		return SEAL_ERROR;
	}
	out[0] = SEAL_MAGIC;
	out[1] = SEAL_VERSION;
	memcpy(out + 2, k->id, KEYRING_ID_LEN);
	uint8_t *nonce = out + SEAL_HEAD_LEN, *body = nonce + SEAL_NONCE_LEN;
	size_t adlen = build_ad(out, at, ad);
	if (!adlen) {
		err_set(e, "user name too long to seal a value for");
		return SEAL_ERROR;
	}
	if (fill_random(nonce, SEAL_NONCE_LEN)) {
		err_set(e, "getrandom failed: %s", strerror(errno));
		return SEAL_ERROR;
	}
	struct gcm_aes256_ctx c;
	gcm_aes256_set_key(&c, k->key);
	gcm_aes256_set_iv(&c, SEAL_NONCE_LEN, nonce);
	gcm_aes256_update(&c, adlen, ad);
	gcm_aes256_encrypt(&c, len, body, plain);
	gcm_aes256_digest(&c, SEAL_TAG_LEN, body + len);
	explicit_bzero(&c, sizeof(c));
	*outlen = len + SEAL_OVERHEAD;
	return SEAL_OK;
}

enum seal_result seal_open(const struct keyring *kr, const struct seal_place *at,
			   const uint8_t *in, size_t len, uint8_t *out, size_t cap,
			   size_t *outlen, struct sosafe_err *e)
{
	uint8_t ad[AD_MAX], tag[SEAL_TAG_LEN];
	*outlen = 0;
	if (len <= SEAL_OVERHEAD || in[0] != SEAL_MAGIC || in[1] != SEAL_VERSION ||
	    len - SEAL_OVERHEAD > cap) {
		err_set(e, "not a sealed value (damaged, or written by another program)");
		return SEAL_BAD;
	}
	if (keyring_error(kr)) {
		err_set(e, "%s", keyring_error(kr));
		return SEAL_NOKEY;
	}
	const struct keyring_key *k = keyring_find(kr, in + 2);
	if (!k) {
		char hex[2 * KEYRING_ID_LEN + 1];
		keyring_id_hex(in + 2, hex);
		err_set(e, "sealed under key %s, which secret key file %s does not hold (a key "
			"file of another fleet, or a key removed by a rekey)", hex, keyring_path(kr));
		return SEAL_NOKEY;
	}
	size_t adlen = build_ad(in, at, ad);
	if (!adlen) {
		err_set(e, "user name too long to open a value for");
		return SEAL_ERROR;
	}
	size_t n = len - SEAL_OVERHEAD;
	const uint8_t *nonce = in + SEAL_HEAD_LEN, *body = nonce + SEAL_NONCE_LEN;
	struct gcm_aes256_ctx c;
	gcm_aes256_set_key(&c, k->key);
	gcm_aes256_set_iv(&c, SEAL_NONCE_LEN, nonce);
	gcm_aes256_update(&c, adlen, ad);
	gcm_aes256_decrypt(&c, n, out, body);
	gcm_aes256_digest(&c, SEAL_TAG_LEN, tag);
	explicit_bzero(&c, sizeof(c));
	if (!ct_memeq(tag, body + n, SEAL_TAG_LEN)) {
		explicit_bzero(out, cap);
		err_set(e, "a sealed value does not open: it was altered, or copied from another "
			"user or column");
		return SEAL_BAD;
	}
	*outlen = n;
	return SEAL_OK;
}
