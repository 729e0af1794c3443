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
/* ---- fields.c: passwd fields from a directory -------------------------- */

/* No ':', no C0 or C1 control character, no DEL. */
bool field_safe(const char *s);
/* Each unsafe character (see field_safe) becomes a space. */
void field_neutralise(char *s);
/* Quarantine U (dir_user.held) with the reason FMT; the first reason
 * stays. -1 + E only when out of memory. */
int directory_hold(struct dir_user *u, struct sosafe_err *e, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Take V (malloc'd, may be NULL) as U's home or shell into *SLOT; an unsafe
 * one is freed and quarantines U, naming ATTR and LINE. -1 + E out of memory. */
int user_field(struct dir_user *u, const char *attr, char **slot, char *v, unsigned line,
	       struct sosafe_err *e);

/* Decimal id: 1000..4294967294, never 65534 (nobody). */
int parse_id(const char *v, long long *out);

#endif
