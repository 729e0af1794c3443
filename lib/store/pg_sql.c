/* The shared SQL dialect in PostgreSQL's terms (see store_sql.h). */
#include <config.h>
#include "store/pg_link.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "?" and "?N" of the shared dialect become "$N"; quoted text is copied
 * as it is. NULL if out of memory. */
char *pg_translate(const char *sql, int *nparams)
{
	size_t len = strlen(sql);
	char *out = malloc(len * 4 + 1);
	if (!out)
		return NULL;
	char *w = out;
	int max = 0;
	char quote = 0;
	for (const char *p = sql; *p; p++) {
		if (quote) {
			if (*p == quote)
				quote = 0;
			*w++ = *p;
		} else if (*p == '\'' || *p == '"') {
			quote = *p;
			*w++ = *p;
		} else if (*p == '?') {
			int n;
			if (p[1] >= '1' && p[1] <= '9') {
				n = (int)strtol(p + 1, (char **)&p, 10);
				p--;
			} else {   /* as SQLite numbers it: after the largest so far */
				n = max + 1;
			}
			if (n > max)
				max = n;
			w += sprintf(w, "$%d", n);
		} else {
			*w++ = *p;
		}
	}
	*w = '\0';
	*nparams = max;
	return out;
}
