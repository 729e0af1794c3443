/* Shared by the export readers (ldif.c, json_export.c) and export.c,
 * inside lib/directory/ only. */
#ifndef SOSAFE_DIRECTORY_PARSE_H
#define SOSAFE_DIRECTORY_PARSE_H

#include "directory/directory.h"

/* E gets "line LINE: " and the message (no prefix for LINE 0); returns -1. */
int fail_at(struct sosafe_err *e, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The format readers: fill D (D->flags is set); names not yet resolved. */
int parse_ldif(const char *text, size_t len, struct directory *d, struct sosafe_err *e);
int parse_json(const char *text, size_t len, struct directory *d, struct sosafe_err *e);

char *dir_strndup(const char *s, size_t n);
int push_str(char ***arr, size_t *n, const char *s);
void free_strs(char **a, size_t n);
/* ASCII lower case in place (AD compares names case-insensitively). */
void lower(char *s);
/* Decimal id: 1000..4294967294, never 65534 (nobody). */
int parse_id(const char *v, long long *out);

#endif
