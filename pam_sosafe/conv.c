#include <config.h>
#include "conv.h"

#include <security/pam_ext.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

void conv_info(pam_handle_t *pamh, bool silent, const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	if (silent)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	pam_info(pamh, "%s", buf);
}

int conv_ask(pam_handle_t *pamh, const char *prompt, bool echo, char **answer)
{
	*answer = NULL;
	int rc = pam_prompt(pamh, echo ? PAM_PROMPT_ECHO_ON : PAM_PROMPT_ECHO_OFF, answer, "%s",
			    prompt);
	if (rc != PAM_SUCCESS)
		return rc;
	return *answer ? PAM_SUCCESS : PAM_CONV_ERR;
}
