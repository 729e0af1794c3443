/* Four-eyes action names (the request table is in store/four_eyes_store.c). */
#include <config.h>
#include "base/four_eyes.h"

#include <string.h>

/* Also the words of the four_eyes key, in the order `sosafectl config` prints
 * them; "exempt" is another word for enroll-window. */
const struct conf_word four_eyes_actions[] = {
	{ "unlock", FE_UNLOCK },
	{ "reset-otp", FE_RESET_OTP },
	{ "recovery-codes", FE_RECOVERY_CODES },
	{ "enroll-window", FE_ENROLL_WINDOW },
	{ "exempt", FE_ENROLL_WINDOW },
	{ "enroll", FE_ENROLL },
	{ "purge", FE_PURGE },
	{ "audit-prune", FE_AUDIT_PRUNE },
	{ "audit-reveal", FE_AUDIT_REVEAL },
	{ "import", FE_IMPORT },
	{ "backup", FE_BACKUP },
	{ NULL, 0 },
};

const char *four_eyes_name(unsigned bit)
{
	for (const struct conf_word *w = four_eyes_actions; w->name; w++)
		if (w->value == bit)
			return w->name;
	return NULL;
}

unsigned four_eyes_bit(const char *name)
{
	for (const struct conf_word *w = four_eyes_actions; w->name; w++)
		if (!strcmp(w->name, name))
			return w->value;
	return 0;
}
