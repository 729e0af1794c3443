#include <config.h>
#include "otp/recovery.h"

#include <crypt.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "base/base32.h"
#include "base/util.h"

/* yescrypt cost: the codes carry 60 random bits, so the hash only has to
 * make an offline search of a stolen store hopeless, not stretch a weak
 * password; cost 2 takes ~17 ms here and keeps the prompt responsive. */
#define RECOVERY_COST 2
/* A setting with the same cost, for the dummy check (the salt is public). */
static const char dummy_setting[] = "$y$j85$Qv9j.q6JsJI2e7wh8tkyQ/";

static int fill_random(void *buf, size_t len)
{
	size_t got = 0;
	while (got < len) {
		ssize_t n = getrandom((char *)buf + got, len - got, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		got += (size_t)n;
	}
	return 0;
}

void recovery_id_of(const char *code, char id[RECOVERY_ID_LEN + 1])
{
	memcpy(id, code, RECOVERY_ID_LEN);
	id[RECOVERY_ID_LEN] = '\0';
}

static bool hash_with(const char *code, const char *setting, char *out, size_t outlen)
{
	struct crypt_data *cd = calloc(1, sizeof(*cd));   /* ~32 KiB: not on a thread's stack */
	if (!cd)
		return false;
	bool ok = false;
	const char *h = crypt_rn(code, setting, cd, sizeof(*cd));
	if (h && h[0] != '*' && strlen(h) < outlen) {
		memcpy(out, h, strlen(h) + 1);
		ok = true;
	}
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
	return ok;
}

int recovery_generate(struct recovery_code *c)
{
	uint8_t rnd[RECOVERY_LEN];
	char code[RECOVERY_LEN + 1], setting[CRYPT_GENSALT_OUTPUT_SIZE];
	memset(c, 0, sizeof(*c));
	if (fill_random(rnd, sizeof(rnd)))
		return -1;
	for (unsigned i = 0; i < RECOVERY_LEN; i++)
		code[i] = base32_digit(rnd[i]);
	code[RECOVERY_LEN] = '\0';
	explicit_bzero(rnd, sizeof(rnd));
	for (unsigned i = 0, o = 0; i < RECOVERY_LEN; i++) {
		if (i && i % 4 == 0)
			c->shown[o++] = '-';
		c->shown[o++] = code[i];
	}
	recovery_id_of(code, c->id);
	int rc = -1;
	if (crypt_gensalt_rn("$y$", RECOVERY_COST, NULL, 0, setting, sizeof(setting)) &&
	    hash_with(code, setting, c->hash, sizeof(c->hash)))
		rc = 0;
	explicit_bzero(code, sizeof(code));
	if (rc)
		explicit_bzero(c, sizeof(*c));
	return rc;
}

bool recovery_check(const char *code, const char *hash)
{
	char got[RECOVERY_HASH_MAX];
	bool have = hash && *hash;
	bool ok = hash_with(code, have ? hash : dummy_setting, got, sizeof(got));
	bool same = false;
	if (ok && have) {
		size_t n = strlen(hash);
		same = strlen(got) == n && ct_memeq(got, hash, n);
	}
	explicit_bzero(got, sizeof(got));
	return have && same;
}
