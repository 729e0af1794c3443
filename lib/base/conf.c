/* Table-driven configuration parser (the table is conf_keys.c). Every key
 * has a type and bounds, so a value out of range is an error naming the
 * key, never a silent default. */
#include <config.h>
#include "base/conf.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "base/conf_keys.h"
#include "base/util.h"

#define DECIMAL_SCALE 1000   /* CONF_DECIMAL values are kept in thousandths */

static const struct conf_key *find_key(const char *name)
{
	for (size_t i = 0; i < conf_key_count; i++)
		if (!strcmp(conf_keys[i].name, name))
			return &conf_keys[i];
	return NULL;
}

/* Edit distance of A and B, capped: only "close or not" matters. */
static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 64 || lb > 64)
		return SIZE_MAX;
	size_t row[65];
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t best = diag + (a[i - 1] != b[j - 1]);
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

/* "; did you mean 'deny'?" for a word close to a known NAME, else "".
 * Errors never repeat the unknown text itself: with --conf it may come
 * from any root-owned file (a password hash, key bytes). */
static void suggest(const char *word, const char *const *names, size_t count, char *buf,
		    size_t len)
{
	buf[0] = '\0';
	size_t best = 3;
	for (size_t i = 0; i < count; i++) {
		size_t d = edit_distance(word, names[i]);
		if (d < best) {
			best = d;
			snprintf(buf, len, "; did you mean '%s'?", names[i]);
		}
	}
}

static void suggest_key(const char *word, char *buf, size_t len)
{
	const char *names[256];
	size_t n = 0;
	for (size_t i = 0; i < conf_key_count && n < ARRAY_SIZE(names); i++)
		names[n++] = conf_keys[i].name;
	suggest(word, names, n, buf, len);
}

/* Numbers, booleans and words share one accessor: the field is a bool
 * (booleans, two-word enums kept as a flag) or an unsigned/int. */
static void store_num(struct sosafe_config *cfg, size_t offset, size_t size, unsigned long v)
{
	char *field = (char *)cfg + offset;
	if (size == sizeof(bool))
		*(bool *)field = v != 0;
	else
		*(unsigned *)field = (unsigned)v;
}

static unsigned long load_num(const struct sosafe_config *cfg, size_t offset, size_t size)
{
	const char *field = (const char *)cfg + offset;
	if (size == sizeof(bool))
		return *(const bool *)field;
	return *(const unsigned *)field;
}

static int parse_bool(const char *v, bool *out)
{
	static const char *const yes[] = { "1", "yes", "true", "on" };
	static const char *const no[] = { "0", "no", "false", "off" };
	for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
		if (!strcasecmp(v, yes[i])) {
			*out = true;
			return 0;
		}
		if (!strcasecmp(v, no[i])) {
			*out = false;
			return 0;
		}
	}
	return -1;
}

/* Unsigned decimal, optionally with a time unit (s, m, h, d) for seconds. */
static int parse_uint(const char *v, bool seconds, unsigned long *out)
{
	if (!isdigit((unsigned char)v[0]))
		return -1;
	errno = 0;
	char *end;
	unsigned long long n = strtoull(v, &end, 10);
	if (errno || n > UINT32_MAX)
		return -1;
	unsigned long long mult = 1;
	if (seconds && *end) {
		switch (*end++) {
		case 's': mult = 1; break;
		case 'm': mult = 60; break;
		case 'h': mult = 3600; break;
		case 'd': mult = SOSAFE_DAY; break;
		default: return -1;
		}
	}
	if (*end)
		return -1;
	if (n * mult > UINT32_MAX)
		return -1;
	*out = (unsigned long)(n * mult);
	return 0;
}

/* "0", "1", "0.5", "0.125": at most three decimals, no sign, no leading
 * zero, kept in thousandths. */
static int parse_decimal(const char *v, unsigned long *out)
{
	unsigned long n = 0;
	size_t i = 0;
	if (!isdigit((unsigned char)v[0]) || (v[0] == '0' && isdigit((unsigned char)v[1])))
		return -1;
	for (; isdigit((unsigned char)v[i]); i++) {
		if (i >= 6)
			return -1;
		n = n * 10 + (unsigned long)(v[i] - '0');
	}
	n *= DECIMAL_SCALE;
	if (v[i] == '.') {
		unsigned long place = DECIMAL_SCALE / 10;
		size_t digits = 0;
		for (i++; isdigit((unsigned char)v[i]); i++, digits++, place /= 10) {
			if (digits >= 3)
				return -1;
			n += (unsigned long)(v[i] - '0') * place;
		}
		if (!digits)
			return -1;
	}
	if (v[i])
		return -1;
	*out = n;
	return 0;
}

/* A thousandths value as the shortest decimal: 0, 1, 0.5 (bounds in messages). */
static void format_decimal_bound(unsigned long v, char *buf, size_t len)
{
	if (v % DECIMAL_SCALE == 0) {
		snprintf(buf, len, "%lu", v / DECIMAL_SCALE);
		return;
	}
	int n = snprintf(buf, len, "%lu.%03lu", v / DECIMAL_SCALE, v % DECIMAL_SCALE);
	while (n > 0 && (size_t)n < len && buf[n - 1] == '0')
		buf[--n] = '\0';
}

static bool string_is_clean(const char *v)
{
	for (const unsigned char *p = (const unsigned char *)v; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return false;
	return true;
}

static const struct conf_word *word_find(const struct conf_word *w, const char *name)
{
	for (; w && w->name; w++)
		if (!strcmp(w->name, name))
			return w;
	return NULL;
}

/* The printed name of VALUE: its first word. */
static const char *word_name(const struct conf_word *w, unsigned value)
{
	for (; w && w->name; w++)
		if (w->value == value)
			return w->name;
	return NULL;
}

/* "a, b, c" with SEP before the last word ("a, b or c" for " or "). */
static void word_list(const struct conf_word *w, const char *last_sep, char *buf, size_t len)
{
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 0; w && w[i].name && used < len; i++) {
		const char *sep = i == 0 ? "" : w[i + 1].name ? ", " : last_sep;
		int n = snprintf(buf + used, len - used, "%s%s", sep, w[i].name);
		if (n < 0)
			break;
		used += (size_t)n;
	}
}

/* "unknown four_eyes action; did you mean 'unlock'? (known: ...)", without
 * WORD itself. */
static int unknown_word(const struct conf_key *k, const char *word, struct sosafe_err *e)
{
	const char *names[64];
	size_t count = 0;
	for (const struct conf_word *w = k->words; w && w->name && count < ARRAY_SIZE(names); w++)
		names[count++] = w->name;
	char hint[80], known[512];
	suggest(word, names, count, hint, sizeof(hint));
	word_list(k->words, ", ", known, sizeof(known));
	return err_set(e, "unknown %s%s (known: %s, all, none)", k->what, hint, known);
}

/* A list of words separated by commas and/or blanks; "all"; "none" or
 * nothing is the empty set. */
static int parse_flags(const struct conf_key *k, const char *list, unsigned *mask,
		       struct sosafe_err *e)
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
		if (n >= sizeof(word))
			return unknown_word(k, "", e);
		memcpy(word, p, n);
		word[n] = '\0';
		p += n;
		if (!strcmp(word, "none"))
			continue;
		const struct conf_word *w = word_find(k->words, word);
		if (!w && strcmp(word, "all"))
			return unknown_word(k, word, e);
		m |= w ? w->value : k->all;
	}
	*mask = m & k->all;
	return 0;
}

/* Store VALUE in CFG's field of K, or say what is wrong with it. */
static int apply_value(struct sosafe_config *cfg, const struct conf_key *k, const char *value,
		       struct sosafe_err *e)
{
	switch (k->type) {
	case CONF_BOOL: {
		bool b;
		if (parse_bool(value, &b))
			return err_set(e, "bad value for '%s': expected yes or no", k->name);
		store_num(cfg, k->offset, k->size, b);
		return 0;
	}
	case CONF_UINT:
	case CONF_SECONDS: {
		unsigned long n;
		if (parse_uint(value, k->type == CONF_SECONDS, &n) || n < k->min || n > k->max)
			return err_set(e, "bad value for '%s': expected %s from %lu to %lu", k->name,
				       k->type == CONF_SECONDS ? "seconds (or with s/m/h/d)" : "a number",
				       k->min, k->max);
		store_num(cfg, k->offset, k->size, n);
		return 0;
	}
	case CONF_DECIMAL: {
		unsigned long n;
		if (parse_decimal(value, &n) || n < k->min || n > k->max) {
			char lo[32], hi[32];
			format_decimal_bound(k->min, lo, sizeof(lo));
			format_decimal_bound(k->max, hi, sizeof(hi));
			return err_set(e, "bad value for '%s': expected a fraction from %s to %s "
				       "(such as 0.5)", k->name, lo, hi);
		}
		store_num(cfg, k->offset, k->size, n);
		return 0;
	}
	case CONF_STRING:
	case CONF_PATH: {
		size_t len = strlen(value);
		if (len >= k->size || !string_is_clean(value))
			return err_set(e, "bad value for '%s': too long or contains control characters",
				       k->name);
		/* an empty path unsets an optional one (what config_dump prints for it) */
		if (k->type == CONF_PATH && (len || k->min) &&
		    (value[0] != '/' || strstr(value, "/../") ||
		     (len >= 3 && !strcmp(value + len - 3, "/.."))))
			return err_set(e, "bad value for '%s': must be an absolute path without '..'",
				       k->name);
		memcpy((char *)cfg + k->offset, value, len + 1);
		return 0;
	}
	case CONF_ENUM: {
		const struct conf_word *w = word_find(k->words, value);
		if (!w) {
			char words[256];
			word_list(k->words, " or ", words, sizeof(words));
			return err_set(e, "bad value for '%s': expected %s", k->name, words);
		}
		store_num(cfg, k->offset, k->size, w->value);
		return 0;
	}
	case CONF_FLAGS: {
		unsigned mask = 0;
		if (parse_flags(k, value, &mask, e))
			return err_prefix(e, "bad value for '%s'", k->name);
		store_num(cfg, k->offset, k->size, mask);
		return 0;
	}
	}
	return err_set(e, "key '%s' has no parser", k->name);
}

void config_defaults(struct sosafe_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	/* every default parses: tests/unit/base/test_conf checks it */
	for (size_t i = 0; i < conf_key_count; i++)
		(void)apply_value(cfg, &conf_keys[i], conf_keys[i].def, NULL);
	snprintf(cfg->conf_path, sizeof(cfg->conf_path), "%s", SOSAFE_CONF);
}

unsigned config_root_unlock_time(const struct sosafe_config *cfg)
{
	return cfg->root_unlock_time_set ? cfg->root_unlock_time : cfg->unlock_time;
}

int config_apply(struct sosafe_config *cfg, const char *key, const char *value,
		 struct sosafe_err *e)
{
	const struct conf_key *k = find_key(key);
	if (!k) {
		char hint[80];
		suggest_key(key, hint, sizeof(hint));
		return err_set(e, "unknown key%s (\"sosafectl config --template\" lists them)", hint);
	}
	if (!value) {
		if (k->type != CONF_BOOL)
			return err_set(e, "key '%s' needs a value (%s=...)", k->name, k->name);
		value = "yes";
	}
	if (apply_value(cfg, k, value, e))
		return -1;
	if (k->set_offset)
		*(bool *)((char *)cfg + k->set_offset) = true;
	return 0;
}

int config_apply_word(struct sosafe_config *cfg, const char *word, struct sosafe_err *e)
{
	const char *eq = strchr(word, '=');
	if (!eq)
		return config_apply(cfg, word, NULL, e);
	size_t klen = (size_t)(eq - word);
	char key[64];
	if (klen == 0 || klen >= sizeof(key))
		return config_apply(cfg, "", eq + 1, e);
	memcpy(key, word, klen);
	key[klen] = '\0';
	return config_apply(cfg, key, eq + 1, e);
}

int config_check(const struct sosafe_config *cfg, struct sosafe_err *e)
{
	if (cfg->uid_min > cfg->uid_max)
		return err_set(e, "uid_min (%u) is above uid_max (%u)", cfg->uid_min, cfg->uid_max);
	if (cfg->store_backend == 1 && !cfg->pg_conninfo_file[0])
		return err_set(e, "store = postgresql needs pg_conninfo_file (a root-only file with "
			       "the connection string)");
	return 0;
}

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		s[--n] = '\0';
	return s;
}

int config_parse_text(struct sosafe_config *cfg, const char *text, size_t len,
		      const char *name, struct sosafe_err *e)
{
	size_t pos = 0;
	unsigned lineno = 0;
	char line[SOSAFE_CONF_LINE_MAX];
	while (pos < len) {
		size_t end = pos;
		while (end < len && text[end] != '\n')
			end++;
		lineno++;
		size_t n = end - pos;
		if (n >= sizeof(line))
			return err_set(e, "%s:%u: line longer than %d bytes", name, lineno,
				       SOSAFE_CONF_LINE_MAX - 1);
		memcpy(line, text + pos, n);
		line[n] = '\0';
		pos = end + 1;
		if (memchr(line, '\0', n))
			return err_set(e, "%s:%u: NUL byte in line", name, lineno);
		char *s = trim(line);
		if (*s == '\0' || *s == '#')
			continue;
		char *eq = strchr(s, '=');
		char *key = s, *value = NULL;
		if (eq) {
			*eq = '\0';
			key = trim(s);
			value = trim(eq + 1);
		}
		if (config_apply(cfg, key, value, e))
			return err_prefix(e, "%s:%u", name, lineno);
	}
	if (config_check(cfg, e))
		return err_prefix(e, "%s", name);
	return 0;
}

/* Files of /proc, /sys and the like are root's and "regular", but read as
 * anything but a configuration (/proc/version reads as no key at all). */
static bool on_pseudo_fs(int fd)
{
	static const unsigned long magic[] = {
		PROC_SUPER_MAGIC, SYSFS_MAGIC, DEBUGFS_MAGIC, SECURITYFS_MAGIC, TRACEFS_MAGIC,
		CGROUP_SUPER_MAGIC, CGROUP2_SUPER_MAGIC, EFIVARFS_MAGIC, BPF_FS_MAGIC, PSTOREFS_MAGIC,
	};
	struct statfs fs;
	if (fstatfs(fd, &fs))
		return true;   /* unknown: fail closed */
	for (size_t i = 0; i < ARRAY_SIZE(magic); i++)
		if ((unsigned long)fs.f_type == magic[i])
			return true;
	return false;
}

int config_load_file(struct sosafe_config *cfg, const char *path, bool missing_ok,
		     struct sosafe_err *e)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
	if (fd < 0) {
		if (errno == ENOENT && missing_ok)
			return 0;
		return err_set(e, "cannot open %s: %s", path, strerror(errno));
	}
	struct stat st;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode))
		return err_set(e, "%s is not a regular file", path);
	if (on_pseudo_fs(fd))
		return err_set(e, "%s is a kernel pseudo-file (/proc, /sys, ...), not a configuration", path);
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		return err_set(e, "%s is group- or world-writable; run: chmod go-w %s", path, path);
	if (st.st_uid != 0 && st.st_uid != geteuid())
		return err_set(e, "%s is owned by uid %u, not root; run: chown root %s", path,
			       (unsigned)st.st_uid, path);
	if (st.st_size > 1024 * 1024)
		return err_set(e, "%s is larger than 1 MiB", path);
	char *buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		return err_set(e, "out of memory reading %s", path);
	size_t got = 0;
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	snprintf(cfg->conf_path, sizeof(cfg->conf_path), "%s", path);
	int r = config_parse_text(cfg, buf, got, path, e);
	free(buf);
	return r;
}

/* K's value in CFG as the file would say it (what config_dump prints). */
static void format_value(const struct sosafe_config *cfg, const struct conf_key *k, char *buf,
			 size_t len)
{
	size_t offset = k->offset;
	if (k->set_offset && k->fallback_offset && !*(const bool *)((const char *)cfg + k->set_offset))
		offset = k->fallback_offset;
	unsigned long v = k->type == CONF_STRING || k->type == CONF_PATH ? 0
			  : load_num(cfg, offset, k->size);
	switch (k->type) {
	case CONF_BOOL:
		snprintf(buf, len, "%s", v ? "yes" : "no");
		return;
	case CONF_UINT:
	case CONF_SECONDS:
		snprintf(buf, len, "%lu", v);
		return;
	case CONF_DECIMAL:
		snprintf(buf, len, "%lu.%03lu", v / DECIMAL_SCALE, v % DECIMAL_SCALE);
		return;
	case CONF_STRING:
	case CONF_PATH:
		snprintf(buf, len, "%s", (const char *)cfg + offset);
		return;
	case CONF_ENUM: {
		const char *name = word_name(k->words, (unsigned)v);
		snprintf(buf, len, "%s", name ? name : "");
		return;
	}
	case CONF_FLAGS: {
		size_t used = 0;
		buf[0] = '\0';
		for (unsigned bit = 1; bit && bit <= k->all && used < len; bit <<= 1) {
			const char *name = (v & bit) ? word_name(k->words, bit) : NULL;
			if (!name)
				continue;
			int n = snprintf(buf + used, len - used, "%s%s", used ? ", " : "", name);
			used += n > 0 ? (size_t)n : 0;
		}
		return;
	}
	}
	buf[0] = '\0';
}

int config_copy_key(struct sosafe_config *dst, const struct sosafe_config *src, const char *name)
{
	const struct conf_key *k = find_key(name);
	if (!k)
		return -1;
	memcpy((char *)dst + k->offset, (const char *)src + k->offset, k->size);
	if (k->set_offset)
		memcpy((char *)dst + k->set_offset, (const char *)src + k->set_offset, sizeof(bool));
	return 0;
}

bool config_key_equal(const struct sosafe_config *a, const struct sosafe_config *b,
		      const char *name)
{
	const struct conf_key *k = find_key(name);
	if (!k)
		return false;
	char va[PATH_MAX + 64], vb[PATH_MAX + 64];
	format_value(a, k, va, sizeof(va));
	format_value(b, k, vb, sizeof(vb));
	return !strcmp(va, vb);
}

void config_dump(const struct sosafe_config *cfg, FILE *out)
{
	char value[PATH_MAX + 64];
	for (size_t i = 0; i < conf_key_count; i++) {
		format_value(cfg, &conf_keys[i], value, sizeof(value));
		fprintf(out, "%s = %s\n", conf_keys[i].name, value);
	}
}

/* "# one of: a, b, c" (enum) or "# any of: ..., all, none" (flags),
 * wrapped before 78 columns. */
static void template_words(const struct conf_key *k, FILE *out)
{
	static const struct conf_word set_words[] = { { "all", 0 }, { "none", 0 }, { NULL, 0 } };
	int col = fprintf(out, "# %s:", k->type == CONF_FLAGS ? "any of" : "one of");
	for (int list = 0; list < (k->type == CONF_FLAGS ? 2 : 1); list++) {
		for (const struct conf_word *w = list ? set_words : k->words; w && w->name; w++) {
			bool last = !w[1].name && (list || k->type != CONF_FLAGS);
			int len = (int)strlen(w->name) + (last ? 0 : 1);
			if (col + 1 + len > 78)
				col = fprintf(out, "\n#");
			col += fprintf(out, " %s%s", w->name, last ? "" : ",");
		}
	}
	fputc('\n', out);
}

void config_write_template(FILE *out)
{
	struct sosafe_config def;
	config_defaults(&def);
	fputs("# sosafe.conf -- configuration of pam_sosafe, nss_sosafe and sosafectl.\n"
	      "# Format: \"key = value\"; '#' starts a comment. Every key can also be given on\n"
	      "# a PAM line as key=value (the PAM line wins). An unknown key or a bad value\n"
	      "# makes the module refuse every login with a syslog error naming the key:\n"
	      "# check with \"sosafectl config\" after editing. See sosafe.conf(5).\n"
	      "# This file must be owned by root and not writable by group or others.\n"
	      "# Every key is listed, commented out, with its default\n"
	      "# (this file is the output of \"sosafectl config --template\").\n", out);
	char value[PATH_MAX + 64];
	for (unsigned sec = 0; sec < CONF_SEC_COUNT; sec++) {
		fprintf(out, "\n## %s\n", conf_section_title[sec]);
		for (size_t i = 0; i < conf_key_count; i++) {
			const struct conf_key *k = &conf_keys[i];
			if (k->section != sec)
				continue;
			fprintf(out, "# %s\n", k->doc);
			if (k->words)
				template_words(k, out);
			format_value(&def, k, value, sizeof(value));
			size_t n = strlen(value);
			while (n && value[n - 1] == ' ')
				value[--n] = '\0';   /* the parser drops trailing blanks too */
			fprintf(out, "#%s =%s%s\n", k->name, n ? " " : "", value);
		}
	}
}
