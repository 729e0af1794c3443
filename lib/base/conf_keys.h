/* The configuration keys, each declared once (conf_keys.c): type, bounds,
 * default and a one-line description. The parser, `sosafectl config`, the
 * commented example file and the documentation test all read this table. */
#ifndef SOSAFE_CONF_KEYS_H
#define SOSAFE_CONF_KEYS_H

#include <stddef.h>

enum conf_type {
	CONF_UINT,      /* decimal number in min..max */
	CONF_SECONDS,   /* like CONF_UINT, also with a unit: s, m, h, d */
	CONF_DECIMAL,   /* 0.5 and the like, kept in thousandths (min..max) */
	CONF_BOOL,      /* yes/no, true/false, on/off, 1/0; a bare key is yes */
	CONF_STRING,    /* printable text shorter than the field */
	CONF_PATH,      /* absolute path without ".."; min 1: may not be empty */
	CONF_ENUM,      /* one of the words (stored as its value) */
	CONF_FLAGS,     /* a list of the words (their values or'ed), "all", "none" */
};

/* Where a key is documented: the groups of sosafe.conf(5) and of the
 * example file, in that order. */
enum conf_section {
	CONF_SEC_LOCKOUT,
	CONF_SEC_BEHAVIOUR,
	CONF_SEC_SECOND_FACTOR,
	CONF_SEC_DIRECTORY,
	CONF_SEC_DIRECTORY_SERVER,
	CONF_SEC_AUDIT,
	CONF_SEC_FOUR_EYES,
	CONF_SEC_STORAGE,
	CONF_SEC_COUNT
};

/* A word of an enum or flag-set key; a list ends with a NULL name. A value
 * may have several words (an alias): the first one is how it is printed. */
struct conf_word {
	const char *name;
	unsigned value;
};

struct conf_key {
	const char *name;
	enum conf_type type;
	enum conf_section section;
	size_t offset;              /* of the field in struct sosafe_config */
	size_t size;                /* of that field */
	unsigned long min, max;
	const struct conf_word *words;   /* CONF_ENUM, CONF_FLAGS */
	unsigned all;               /* CONF_FLAGS: the value of "all" */
	const char *what;           /* CONF_FLAGS: what a word names, for messages */
	size_t set_offset;          /* of a bool set once the key is given, or 0 */
	size_t fallback_offset;     /* printed instead while the key is not given */
	const char *def;            /* the default, written as in the file */
	const char *doc;            /* one line for the example file */
};

extern const struct conf_key conf_keys[];
extern const size_t conf_key_count;

/* "Lockout", "Second factor", ...: sosafe.conf(5) has them as "LOCKOUT KEYS". */
extern const char *const conf_section_title[CONF_SEC_COUNT];

#endif
