/* A small JSON reader: the whole document into a tree of values, with
 * the line each value starts on for error messages. Strings are UTF-8
 * without NUL; numbers are kept as integers when they fit; nesting deeper
 * than 16 is refused. */
#ifndef SOSAFE_JSON_H
#define SOSAFE_JSON_H

#include <stdbool.h>
#include <stddef.h>

#include "base/err.h"

enum jtype { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };
struct jval {
	enum jtype t;
	unsigned line;
	bool b;
	long long num;
	bool num_ok;        /* an integer that fits */
	char *s;
	struct jval *items; /* arrays and objects (objects: keys in keys[]) */
	char **keys;
	size_t n;
};

/* Parse TEXT into *ROOT (free with json_free). On error returns -1 and E
 * says "line N: JSON: what is wrong". */
int json_parse(const char *text, size_t len, struct jval *root, struct sosafe_err *e);
void json_free(struct jval *v);
/* The member KEY of object O, or NULL. */
const struct jval *json_get(const struct jval *o, const char *key);

#endif
