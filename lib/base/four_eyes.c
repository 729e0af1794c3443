/* Four-eyes action names (the request table is in store/four_eyes_store.c). */
#include <config.h>
#include "base/four_eyes.h"

#include <string.h>

#include "base/util.h"

static const struct {
	const char *name;
	unsigned bit;
} actions[] = {
	{ "unlock", FE_UNLOCK },
	{ "reset-otp", FE_RESET_OTP },
	{ "recovery-codes", FE_RECOVERY_CODES },
	{ "enroll-window", FE_ENROLL_WINDOW },
	{ "enroll", FE_ENROLL },
	{ "purge", FE_PURGE },
	{ "audit-prune", FE_AUDIT_PRUNE },
	{ "audit-reveal", FE_AUDIT_REVEAL },
	{ "import", FE_IMPORT },
	{ "backup", FE_BACKUP },
};

const char *four_eyes_name(unsigned bit)
{
	for (size_t i = 0; i < ARRAY_SIZE(actions); i++)
		if (actions[i].bit == bit)
			return actions[i].name;
	return NULL;
}

unsigned four_eyes_bit(const char *name)
{
	if (!strcmp(name, "exempt"))   /* letting a user in without a second factor */
		return FE_ENROLL_WINDOW;
	for (size_t i = 0; i < ARRAY_SIZE(actions); i++)
		if (!strcmp(actions[i].name, name))
			return actions[i].bit;
	return 0;
}

int four_eyes_parse(const char *list, unsigned *mask, char *err, size_t errlen)
{
	unsigned m = 0;
	const char *p = list;
	for (;;) {
		while (*p == ',' || *p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		size_t n = strcspn(p, ", \t");
		char word[32];
		if (n >= sizeof(word)) {
			snprintf(err, errlen, "unknown four_eyes action '%.31s...'", p);
			return -1;
		}
		memcpy(word, p, n);
		word[n] = '\0';
		p += n;
		unsigned b = four_eyes_bit(word);
		if (!strcmp(word, "all"))
			b = FE_ALL;
		else if (!strcmp(word, "none"))
			continue;
		if (!b) {
			snprintf(err, errlen, "unknown four_eyes action '%s' (known: unlock, reset-otp, "
				 "recovery-codes, enroll-window, exempt, enroll, purge, audit-prune, "
				 "audit-reveal, import, backup, all, none)", word);
			return -1;
		}
		m |= b;
	}
	*mask = m & FE_ALL;
	return 0;
}

void four_eyes_print(unsigned mask, FILE *out)
{
	bool first = true;
	for (size_t i = 0; i < ARRAY_SIZE(actions); i++)
		if (mask & actions[i].bit) {
			fprintf(out, "%s%s", first ? "" : ", ", actions[i].name);
			first = false;
		}
}
