/* The JSON reader (see json.h). */
#include <config.h>
#include "directory/json.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"

struct jp {
	const char *p, *end;
	unsigned line;
	int depth;
	struct sosafe_err *e;
};

/* NOLINTNEXTLINE(misc-no-recursion): depth of the tree, at most 17 (jcontainer refuses nesting > 16) */
void json_free(struct jval *v)
{
	free(v->s);
	for (size_t i = 0; i < v->n; i++) {
		json_free(&v->items[i]);
		if (v->keys)
			free(v->keys[i]);
	}
	free(v->items);
	free(v->keys);
}

static void jws(struct jp *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r')) {
		if (*j->p == '\n')
			j->line++;
		j->p++;
	}
}

static int jerr(struct jp *j, const char *what)
{
	err_set(j->e, "JSON: %s", what);
	return err_prefix(j->e, "line %u", j->line);
}

static void put_utf8(char *o, size_t *k, unsigned cp)
{
	if (cp < 0x80) {
		o[(*k)++] = (char)cp;
	} else if (cp < 0x800) {
		o[(*k)++] = (char)(0xc0 | cp >> 6);
		o[(*k)++] = (char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		o[(*k)++] = (char)(0xe0 | cp >> 12);
		o[(*k)++] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[(*k)++] = (char)(0x80 | (cp & 0x3f));
	} else {
		o[(*k)++] = (char)(0xf0 | cp >> 18);
		o[(*k)++] = (char)(0x80 | ((cp >> 12) & 0x3f));
		o[(*k)++] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[(*k)++] = (char)(0x80 | (cp & 0x3f));
	}
}

static int hex4(const char *p, unsigned *out)
{
	unsigned v = 0;
	for (int i = 0; i < 4; i++) {
		int c = (unsigned char)p[i];
		v <<= 4;
		if (isdigit(c)) v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f') v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F') v |= (unsigned)(c - 'A' + 10);
		else return -1;
	}
	*out = v;
	return 0;
}

static int jstring(struct jp *j, char **out)
{
	j->p++;   /* opening quote */
	const char *start = j->p;
	while (j->p < j->end && *j->p != '"') {
		if (*j->p == '\\')
			j->p++;
		j->p++;
	}
	if (j->p >= j->end)
		return jerr(j, "unterminated string");
	char *o = malloc((size_t)(j->p - start) * 2 + 8);
	size_t k = 0;
	if (!o)
		return jerr(j, "out of memory");
	for (const char *q = start; q < j->p; q++) {
		unsigned char c = (unsigned char)*q;
		if (c < 0x20) {
			free(o);
			return jerr(j, "control character in a string");
		}
		if (c != '\\') {
			o[k++] = (char)c;
			continue;
		}
		q++;
		switch (*q) {
		case '"': o[k++] = '"'; break;
		case '\\': o[k++] = '\\'; break;
		case '/': o[k++] = '/'; break;
		case 'b': o[k++] = '\b'; break;
		case 'f': o[k++] = '\f'; break;
		case 'n': o[k++] = '\n'; break;
		case 'r': o[k++] = '\r'; break;
		case 't': o[k++] = '\t'; break;
		case 'u': {
			unsigned cp, lo;
			if (j->p - q < 5 || hex4(q + 1, &cp)) {
				free(o);
				return jerr(j, "bad \\u escape");
			}
			q += 4;
			if (cp >= 0xd800 && cp < 0xdc00) {
				if (j->p - q < 7 || q[1] != '\\' || q[2] != 'u' || hex4(q + 3, &lo) ||
				    lo < 0xdc00 || lo > 0xdfff) {
					free(o);
					return jerr(j, "bad surrogate pair");
				}
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				q += 6;
			} else if (cp >= 0xdc00 && cp < 0xe000) {
				free(o);
				return jerr(j, "bad surrogate pair");
			}
			if (cp == 0) {
				free(o);
				return jerr(j, "NUL in a string");
			}
			put_utf8(o, &k, cp);
			break;
		}
		default:
			free(o);
			return jerr(j, "bad escape");
		}
	}
		o[k] = 0;
	j->p++;   /* closing quote */
	*out = o;
	return 0;
}

static int jvalue(struct jp *j, struct jval *v);

/* NOLINTNEXTLINE(misc-no-recursion): bounded, j->depth > 16 is refused before any child is parsed */
static int jcontainer(struct jp *j, struct jval *v, bool obj)
{
	char close = obj ? '}' : ']';
	j->p++;
	if (++j->depth > 16)
		return jerr(j, "nested too deeply");
	jws(j);
	if (j->p < j->end && *j->p == close) {
		j->p++;
		j->depth--;
		return 0;
	}
	for (;;) {
		char *key = NULL;
		jws(j);
		if (obj) {
			if (j->p >= j->end || *j->p != '"')
				return jerr(j, "expected a key");
			if (jstring(j, &key))
				return -1;
			jws(j);
			if (j->p >= j->end || *j->p != ':') {
				free(key);
				return jerr(j, "expected ':'");
			}
			j->p++;
		}
		struct jval *ni = realloc(v->items, (v->n + 1) * sizeof(*ni));
		char **nk = obj ? realloc(v->keys, (v->n + 1) * sizeof(*nk)) : NULL;
		if (!ni || (obj && !nk)) {
			free(key);
			if (ni)
				v->items = ni;
			if (nk) /* realloc freed the old keys: keep the new block, never lose it */
				v->keys = nk;
			return jerr(j, "out of memory");
		}
		v->items = ni;
		if (obj) {
			v->keys = nk;
			v->keys[v->n] = key;
		}
		memset(&v->items[v->n], 0, sizeof(*ni));
		v->n++;
		if (jvalue(j, &v->items[v->n - 1]))
			return -1;
		jws(j);
		if (j->p < j->end && *j->p == ',') {
			j->p++;
			continue;
		}
		if (j->p < j->end && *j->p == close) {
			j->p++;
			j->depth--;
			return 0;
		}
		return jerr(j, obj ? "expected ',' or '}'" : "expected ',' or ']'");
	}
}

/* NOLINTNEXTLINE(misc-no-recursion): recurses only through jcontainer, which bounds the depth at 16 */
static int jvalue(struct jp *j, struct jval *v)
{
	jws(j);
	v->line = j->line;
	if (j->p >= j->end)
		return jerr(j, "unexpected end");
	char c = *j->p;
	if (c == '{') {
		v->t = J_OBJ;
		return jcontainer(j, v, true);
	}
	if (c == '[') {
		v->t = J_ARR;
		return jcontainer(j, v, false);
	}
	if (c == '"') {
		v->t = J_STR;
		return jstring(j, &v->s);
	}
	static const struct { const char *w; enum jtype t; bool b; } words[] = {
		{ "true", J_BOOL, true }, { "false", J_BOOL, false }, { "null", J_NULL, false },
	};
	for (size_t i = 0; i < ARRAY_SIZE(words); i++) {
		size_t n = strlen(words[i].w);
		if ((size_t)(j->end - j->p) >= n && !memcmp(j->p, words[i].w, n)) {
			v->t = words[i].t;
			v->b = words[i].b;
			j->p += n;
			return 0;
		}
	}
	if (c == '-' || isdigit((unsigned char)c)) {
		const char *s = j->p;
		while (j->p < j->end && (isdigit((unsigned char)*j->p) || strchr("+-.eE", *j->p)))
			j->p++;
		char tmp[32];
		size_t n = (size_t)(j->p - s);
		v->t = J_NUM;
		if (n < sizeof(tmp)) {
			memcpy(tmp, s, n);
			tmp[n] = 0;
			char *end;
			errno = 0;
			long long x = strtoll(tmp, &end, 10);
			v->num_ok = !errno && !*end;
			v->num = x;
		}
		return 0;
	}
	return jerr(j, "unexpected character");
}

const struct jval *json_get(const struct jval *o, const char *key)
{
	for (size_t i = 0; i < o->n; i++)
		if (!strcmp(o->keys[i], key))
			return &o->items[i];
	return NULL;
}


int json_parse(const char *text, size_t len, struct jval *root, struct sosafe_err *e)
{
	struct jp j = { text, text + len, 1, 0, e };
	memset(root, 0, sizeof(*root));
	if (jvalue(&j, root))
		goto bad;
	jws(&j);
	if (j.p == j.end)
		return 0;
	jerr(&j, "text after the document");
bad:
	json_free(root);
	memset(root, 0, sizeof(*root));
	return -1;
}
