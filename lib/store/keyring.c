/* The keyring in memory: making, sharing, parsing (see keyring.h). */
#include <config.h>
#include "store/keyring.h"
#include "store/keyring_int.h"

#include <errno.h>
#include <nettle/base64.h>
#include <nettle/sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

/* The id names a key without revealing it: 32 bits of a hash under a
 * label of its own, so it is no use against the key. */
static void key_id(const uint8_t key[KEYRING_KEY_LEN], uint8_t id[KEYRING_ID_LEN])
{
	static const char label[] = "sosafe secret key id v1";
	uint8_t d[SHA256_DIGEST_SIZE];
	struct sha256_ctx h;
	sha256_init(&h);
	sha256_update(&h, sizeof(label), (const uint8_t *)label);
	sha256_update(&h, KEYRING_KEY_LEN, key);
	sha256_digest(&h, sizeof(d), d);
	memcpy(id, d, KEYRING_ID_LEN);
	explicit_bzero(d, sizeof(d));
	explicit_bzero(&h, sizeof(h));
}

struct keyring *keyring_alloc(void)
{
	struct keyring *kr = calloc(1, sizeof(*kr));
	if (kr)
		atomic_init(&kr->refs, 1);
	return kr;
}

struct keyring *keyring_ref(struct keyring *kr)
{
	if (kr)
		atomic_fetch_add(&kr->refs, 1);
	return kr;
}

void keyring_unref(struct keyring *kr)
{
	if (!kr || atomic_fetch_sub(&kr->refs, 1) != 1)
		return;
	explicit_bzero(kr, sizeof(*kr));
	free(kr);
}

const char *keyring_error(const struct keyring *kr)
{
	if (!kr)
		return "no secret key file was read; see secret_key_file in sosafe.conf(5)";
	return kr->n ? NULL : kr->err;
}

const char *keyring_path(const struct keyring *kr) { return kr->path; }
unsigned keyring_count(const struct keyring *kr) { return kr ? kr->n : 0; }

const struct keyring_key *keyring_at(const struct keyring *kr, unsigned i)
{
	return kr && i < kr->n ? &kr->k[i] : NULL;
}

const struct keyring_key *keyring_find(const struct keyring *kr, const uint8_t id[KEYRING_ID_LEN])
{
	for (unsigned i = 0; kr && i < kr->n; i++)
		if (!memcmp(kr->k[i].id, id, KEYRING_ID_LEN))
			return &kr->k[i];
	return NULL;
}

void keyring_id_hex(const uint8_t id[KEYRING_ID_LEN], char out[2 * KEYRING_ID_LEN + 1])
{
	for (unsigned i = 0; i < KEYRING_ID_LEN; i++)
		snprintf(out + 2 * i, 3, "%02x", id[i]);
}

int keyring_add(struct keyring *kr, const uint8_t key[KEYRING_KEY_LEN], struct sosafe_err *e)
{
	uint8_t id[KEYRING_ID_LEN];
	key_id(key, id);
	if (keyring_find(kr, id))
		return err_set(e, "the same key is listed twice");
	if (kr->n == KEYRING_MAX_KEYS)
		return err_set(e, "more than %d keys", KEYRING_MAX_KEYS);
	memcpy(kr->k[kr->n].id, id, KEYRING_ID_LEN);
	memcpy(kr->k[kr->n].key, key, KEYRING_KEY_LEN);
	kr->n++;
	return 0;
}

static int add_random(struct keyring *kr, struct sosafe_err *e)
{
	uint8_t key[KEYRING_KEY_LEN];
	size_t got = 0;
	while (got < sizeof(key)) {
		ssize_t n = getrandom(key + got, sizeof(key) - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			explicit_bzero(key, sizeof(key));
			return err_set(e, "getrandom failed: %s", strerror(errno));
		}
		got += (size_t)n;
	}
	int r = keyring_add(kr, key, e);
	explicit_bzero(key, sizeof(key));
	return r;
}

struct keyring *keyring_generate(struct sosafe_err *e)
{
	return keyring_rotate(NULL, e);
}

struct keyring *keyring_rotate(const struct keyring *old, struct sosafe_err *e)
{
	struct keyring *kr = keyring_alloc();
	if (!kr) {
		err_set(e, "out of memory");
		return NULL;
	}
	int r = add_random(kr, e);
	for (unsigned i = 0; !r && old && i < old->n; i++)
		r = keyring_add(kr, old->k[i].key, e);
	if (r) {
		keyring_unref(kr);
		return NULL;
	}
	return kr;
}

struct keyring *keyring_current_only(const struct keyring *kr, struct sosafe_err *e)
{
	struct keyring *one = keyring_alloc();
	if (!one) {
		err_set(e, "out of memory");
		return NULL;
	}
	if (!kr || !kr->n || keyring_add(one, kr->k[0].key, e)) {
		if (!kr || !kr->n)
			err_set(e, "no key to keep");
		keyring_unref(one);
		return NULL;
	}
	return one;
}

/* One "key ID BASE64" line (NUL-terminated, no newline) into KR. */
static int parse_line(struct keyring *kr, char *line, struct sosafe_err *e)
{
	char *save = NULL;
	const char *word = strtok_r(line, " \t", &save);
	const char *hex = strtok_r(NULL, " \t", &save);
	const char *b64 = strtok_r(NULL, " \t", &save);
	if (!word || strcmp(word, "key") || !hex || !b64 || strtok_r(NULL, " \t", &save))
		return err_set(e, "expected: key ID BASE64");
	uint8_t key[BASE64_DECODE_LENGTH(64)];
	size_t len = sizeof(key);
	struct base64_decode_ctx b;
	base64_decode_init(&b);
	int ok = strlen(b64) <= 64 && base64_decode_update(&b, &len, key, strlen(b64), b64) &&
		 base64_decode_final(&b);
	int r = 0;
	if (!ok || len != KEYRING_KEY_LEN) {
		r = err_set(e, "the key is not %d bytes of base64", KEYRING_KEY_LEN);
	} else {
		uint8_t id[KEYRING_ID_LEN];
		char want[2 * KEYRING_ID_LEN + 1];
		key_id(key, id);
		keyring_id_hex(id, want);
		if (strcmp(hex, want))
			r = err_set(e, "key id %s does not match its key (mistyped or truncated?)", hex);
		else
			r = keyring_add(kr, key, e);
	}
	explicit_bzero(key, sizeof(key));
	return r;
}

struct keyring *keyring_parse(const char *text, const char *name, struct sosafe_err *e)
{
	struct keyring *kr = keyring_alloc();
	char line[256];
	if (!kr) {
		err_set(e, "out of memory");
		return NULL;
	}
	unsigned no = 0;
	for (const char *p = text; *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		no++;
		int r = 0;
		if (len >= sizeof(line)) {
			r = err_set(e, "line too long");
		} else {
			memcpy(line, p, len);
			line[len] = '\0';
			const char *s = line + strspn(line, " \t\r");
			line[strcspn(line, "\r")] = '\0';
			if (*s && *s != '#')
				r = parse_line(kr, line, e);
		}
		explicit_bzero(line, sizeof(line));
		if (r) {
			err_prefix(e, "%s:%u", name, no);
			keyring_unref(kr);
			return NULL;
		}
		p += len + (nl ? 1 : 0);
	}
	if (!kr->n) {
		err_set(e, "%s holds no key", name);
		keyring_unref(kr);
		return NULL;
	}
	return kr;
}

/* The text of KR in the file format into BUF; its length, or -1. */
int keyring_format(const struct keyring *kr, char *buf, size_t len)
{
	static const char head[] =
		"# sosafe secret keys (sosafe.conf(5), secret_key_file): keep this file\n"
		"# secret and backed up apart from the store. The first key seals, the\n"
		"# others only open rows sealed before a rekey (sosafectl rekey).\n";
	size_t used = 0;
	int n = snprintf(buf, len, "%s", head);
	if (n < 0 || (size_t)n >= len)
		return -1;
	used = (size_t)n;
	for (unsigned i = 0; i < kr->n; i++) {
		char hex[2 * KEYRING_ID_LEN + 1], b64[BASE64_ENCODE_RAW_LENGTH(KEYRING_KEY_LEN) + 1];
		keyring_id_hex(kr->k[i].id, hex);
		base64_encode_raw(b64, KEYRING_KEY_LEN, kr->k[i].key);
		b64[BASE64_ENCODE_RAW_LENGTH(KEYRING_KEY_LEN)] = '\0';
		n = snprintf(buf + used, len - used, "key %s %s\n", hex, b64);
		explicit_bzero(b64, sizeof(b64));
		if (n < 0 || (size_t)n >= len - used)
			return -1;
		used += (size_t)n;
	}
	return (int)used;
}
