/* Table-driven configuration parser. Every key has a type and bounds, so a
 * value out of range is an error naming the key, never a silent default. */
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
#include <sys/stat.h>
#include <unistd.h>

#include "base/four_eyes.h"
#include "base/util.h"

enum key_type { K_UINT, K_SECONDS, K_BOOL, K_STRING, K_PATH, K_NO_SECRET, K_FRACTION, K_LOG_IDENTITY,
		K_FOUR_EYES };

struct key_desc {
	const char *name;
	enum key_type type;
	size_t offset;
	size_t size;        /* for strings: buffer size */
	unsigned long min, max;
	size_t set_offset;  /* offset of a "was set" flag, or 0 */
};

#define OFF(f) offsetof(struct sosafe_config, f)
#define STR(f) OFF(f), sizeof(((struct sosafe_config *)0)->f)
#define DAY SOSAFE_DAY
#define YEAR (366 * DAY)

static const struct key_desc keys[] = {
	{ "deny", K_UINT, OFF(deny), 0, 1, SOSAFE_MAX_DENY, 0 },
	{ "fail_interval", K_SECONDS, OFF(fail_interval), 0, 1, YEAR, 0 },
	{ "unlock_time", K_SECONDS, OFF(unlock_time), 0, 0, YEAR, 0 },
	{ "even_deny_root", K_BOOL, OFF(even_deny_root), 0, 0, 1, 0 },
	{ "root_unlock_time", K_SECONDS, OFF(root_unlock_time), 0, 0, YEAR, OFF(root_unlock_time_set) },
	{ "max_locks", K_UINT, OFF(max_locks), 0, 0, 64, 0 },
	{ "escalation_period", K_SECONDS, OFF(escalation_period), 0, 0, YEAR, 0 },
	{ "deny_per_period", K_UINT, OFF(deny_per_period), 0, 0, 4096, 0 },
	{ "admin_group", K_STRING, STR(admin_group), 0, 0, 0 },
	{ "silent", K_BOOL, OFF(silent), 0, 0, 1, 0 },
	{ "nodelay", K_BOOL, OFF(nodelay), 0, 0, 1, 0 },
	{ "show_lock", K_BOOL, OFF(show_lock), 0, 0, 1, 0 },
	{ "fail_delay_ms", K_UINT, OFF(fail_delay_ms), 0, 0, 60000, 0 },
	{ "debug", K_BOOL, OFF(debug), 0, 0, 1, 0 },
	{ "state_dir", K_PATH, STR(state_dir), 1, 0, 0 }, /* min 1: may not be empty */
	{ "store_timeout_ms", K_UINT, OFF(store_timeout_ms), 0, 10, 60000, 0 },
	{ "store_sync_commits", K_BOOL, OFF(store_sync_commits), 0, 0, 1, 0 },
	{ "window", K_UINT, OFF(window), 0, 0, 10, 0 },
	{ "otp_prompt", K_STRING, STR(otp_prompt), 0, 0, 0 },
	{ "password_prompt", K_STRING, STR(password_prompt), 0, 0, 0 },
	{ "no_secret", K_NO_SECRET, OFF(no_secret), 0, 0, 0, 0 },
	{ "issuer", K_STRING, STR(issuer), 0, 0, 0 },
	{ "entitled_group", K_STRING, STR(entitled_group), 0, 0, 0 },
	{ "grace_days", K_UINT, OFF(grace_days), 0, 0, 3650, 0 },
	{ "max_snapshot_age", K_SECONDS, OFF(max_snapshot_age), 0, 60, 30 * DAY, 0 },
	{ "inactive_days", K_UINT, OFF(inactive_days), 0, 0, 3650, 0 },
	{ "uid_min", K_UINT, OFF(uid_min), 0, 1000, 0xfffffffeUL, 0 },
	{ "uid_max", K_UINT, OFF(uid_max), 0, 1000, 0xfffffffeUL, 0 },
	/* live directory pull (sosafectl sync without --from) */
	{ "ldap_uri", K_STRING, STR(ldap_uri), 0, 0, 0 },
	{ "ldap_base", K_STRING, STR(ldap_base), 0, 0, 0 },
	{ "ldap_bind_dn", K_STRING, STR(ldap_bind_dn), 0, 0, 0 },
	{ "ldap_bind_password_file", K_PATH, STR(ldap_bind_password_file), 0, 0, 0 },
	{ "ldap_starttls", K_BOOL, OFF(ldap_starttls), 0, 0, 1, 0 },
	{ "ldap_ca_file", K_PATH, STR(ldap_ca_file), 0, 0, 0 },
	{ "ldap_user_filter", K_STRING, STR(ldap_user_filter), 0, 0, 0 },
	{ "ldap_group_filter", K_STRING, STR(ldap_group_filter), 0, 0, 0 },
	{ "ldap_insecure", K_BOOL, OFF(ldap_insecure), 0, 0, 1, 0 },
	{ "ldap_timeout", K_SECONDS, OFF(ldap_timeout), 0, 1, 3600, 0 },
	{ "ldap_page_size", K_UINT, OFF(ldap_page_size), 0, 10, 100000, 0 },
	{ "ldap_attr_name", K_STRING, STR(ldap_attr_name), 1, 0, 0 },
	{ "ldap_attr_group_name", K_STRING, STR(ldap_attr_group_name), 1, 0, 0 },
	{ "ldap_attr_uid", K_STRING, STR(ldap_attr_uid), 0, 0, 0 },
	{ "ldap_attr_gid", K_STRING, STR(ldap_attr_gid), 0, 0, 0 },
	{ "ldap_attr_gecos", K_STRING, STR(ldap_attr_gecos), 0, 0, 0 },
	{ "ldap_attr_home", K_STRING, STR(ldap_attr_home), 0, 0, 0 },
	{ "ldap_attr_shell", K_STRING, STR(ldap_attr_shell), 0, 0, 0 },
	{ "ldap_attr_id", K_STRING, STR(ldap_attr_id), 0, 0, 0 },
	{ "ldap_attr_member_of", K_STRING, STR(ldap_attr_member_of), 0, 0, 0 },
	{ "ldap_attr_member", K_STRING, STR(ldap_attr_member), 0, 0, 0 },
	{ "ldap_disabled_filter", K_STRING, STR(ldap_disabled_filter), 0, 0, 0 },
	{ "ldap_sasl_mech", K_STRING, STR(ldap_sasl_mech), 0, 0, 0 },
	{ "ldap_tls_cert", K_PATH, STR(ldap_tls_cert), 0, 0, 0 },
	{ "ldap_tls_key", K_PATH, STR(ldap_tls_key), 0, 0, 0 },
	{ "min_sync_fraction", K_FRACTION, OFF(min_sync_permille), 0, 0, 1000, 0 },
	{ "audit_retention_days", K_UINT, OFF(audit_retention_days), 0, 90, 36500, 0 },
	{ "log_identity", K_LOG_IDENTITY, OFF(log_pseudonym), 0, 0, 1, 0 },
	{ "four_eyes", K_FOUR_EYES, OFF(four_eyes), 0, 0, 0, 0 },
	{ "four_eyes_ttl", K_SECONDS, OFF(four_eyes_ttl), 0, 60, 30 * DAY, 0 },
	{ "privileged_groups", K_STRING, STR(privileged_groups), 0, 0, 0 },
};

void config_defaults(struct sosafe_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->deny = 6;
	cfg->fail_interval = 900;
	cfg->unlock_time = 600;
	cfg->root_unlock_time = 600;
	cfg->max_locks = 4;
	cfg->escalation_period = DAY;
	cfg->deny_per_period = 24;
	cfg->fail_delay_ms = 2000;
	cfg->store_timeout_ms = 5000;
	cfg->store_sync_commits = true;
	cfg->window = 1;
	snprintf(cfg->otp_prompt, sizeof(cfg->otp_prompt), "Verification code: ");
	snprintf(cfg->password_prompt, sizeof(cfg->password_prompt), "Password: ");
	cfg->no_secret = NO_SECRET_DENY;
	snprintf(cfg->issuer, sizeof(cfg->issuer), "sosafe");
	cfg->grace_days = 30;
	cfg->max_snapshot_age = DAY;
	cfg->inactive_days = 0;
	/* Above Debian's dynamic system range and below systemd's container/
	 * DynamicUser ranges (61184..65519, 524288..). */
	cfg->uid_min = 200000;
	cfg->uid_max = 499999;
	cfg->ldap_timeout = 30;
	cfg->ldap_page_size = 500;
	cfg->min_sync_permille = 500;
	snprintf(cfg->ldap_user_filter, sizeof(cfg->ldap_user_filter), "%s",
		 "(&(objectClass=user)(!(objectClass=computer)))");
	snprintf(cfg->ldap_group_filter, sizeof(cfg->ldap_group_filter), "%s", "(objectClass=group)");
	snprintf(cfg->ldap_attr_name, sizeof(cfg->ldap_attr_name), "sAMAccountName");
	snprintf(cfg->ldap_attr_group_name, sizeof(cfg->ldap_attr_group_name), "sAMAccountName");
	snprintf(cfg->ldap_attr_uid, sizeof(cfg->ldap_attr_uid), "uidNumber");
	snprintf(cfg->ldap_attr_gid, sizeof(cfg->ldap_attr_gid), "gidNumber");
	snprintf(cfg->ldap_attr_gecos, sizeof(cfg->ldap_attr_gecos), "gecos,displayName,cn");
	snprintf(cfg->ldap_attr_home, sizeof(cfg->ldap_attr_home), "unixHomeDirectory");
	snprintf(cfg->ldap_attr_shell, sizeof(cfg->ldap_attr_shell), "loginShell");
	snprintf(cfg->ldap_attr_id, sizeof(cfg->ldap_attr_id), "objectSid,objectGUID,entryUUID");
	snprintf(cfg->ldap_attr_member_of, sizeof(cfg->ldap_attr_member_of), "memberOf");
	snprintf(cfg->ldap_attr_member, sizeof(cfg->ldap_attr_member), "member");
	cfg->audit_retention_days = 90;
	cfg->log_pseudonym = false;
	cfg->four_eyes = 0;
	cfg->four_eyes_ttl = DAY;
	snprintf(cfg->privileged_groups, sizeof(cfg->privileged_groups), "%s",
		 "root, sudo, wheel, adm, admin, domain admins, enterprise admins");
	snprintf(cfg->state_dir, sizeof(cfg->state_dir), "%s", SOSAFE_STATE_DIR);
	snprintf(cfg->conf_path, sizeof(cfg->conf_path), "%s", SOSAFE_CONF);
}

unsigned config_root_unlock_time(const struct sosafe_config *cfg)
{
	return cfg->root_unlock_time_set ? cfg->root_unlock_time : cfg->unlock_time;
}

static const struct key_desc *find_key(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
		if (!strcmp(keys[i].name, name))
			return &keys[i];
	return NULL;
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

/* Unsigned decimal, optionally with a time unit (s, m, h, d) for K_SECONDS. */
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
		case 'd': mult = DAY; break;
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

static bool string_is_clean(const char *v)
{
	for (const unsigned char *p = (const unsigned char *)v; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return false;
	return true;
}

int config_apply(struct sosafe_config *cfg, const char *key, const char *value,
		 char *err, size_t errlen)
{
	const struct key_desc *k = find_key(key);
	char *base = (char *)cfg;
	if (!k) {
		snprintf(err, errlen, "unknown key '%.64s'", key);
		return -1;
	}
	if (!value) {
		if (k->type != K_BOOL) {
			snprintf(err, errlen, "key '%s' needs a value (%s=...)", k->name, k->name);
			return -1;
		}
		value = "yes";
	}
	switch (k->type) {
	case K_BOOL: {
		bool b;
		if (parse_bool(value, &b)) {
			snprintf(err, errlen, "bad value for '%s': expected yes or no", k->name);
			return -1;
		}
		*(bool *)(base + k->offset) = b;
		break;
	}
	case K_UINT:
	case K_SECONDS: {
		unsigned long n;
		if (parse_uint(value, k->type == K_SECONDS, &n) || n < k->min || n > k->max) {
			snprintf(err, errlen, "bad value for '%s': expected %s from %lu to %lu",
				 k->name, k->type == K_SECONDS ? "seconds (or with s/m/h/d)" : "a number",
				 k->min, k->max);
			return -1;
		}
		*(unsigned *)(base + k->offset) = (unsigned)n;
		break;
	}
	case K_FRACTION: {
		/* 0, 1, or 0.d to 0.ddd: kept in thousandths */
		unsigned v = 0;
		const char *p = value;
		bool okv = (p[0] == '0' || p[0] == '1') && (p[1] == 0 || p[1] == '.');
		if (okv && p[1] == '.') {
			unsigned digits = 0;
			for (p += 2; *p && okv; p++, digits++)
				okv = isdigit((unsigned char)*p) && digits < 3;
			okv = okv && digits > 0;
			for (unsigned i = 0; okv && i < 3; i++)
				v = v * 10 + (i < digits ? (unsigned)(value[2 + i] - '0') : 0);
		}
		if (okv && value[0] == '1') {
			okv = v == 0;
			v = 1000;
		}
		if (!okv) {
			snprintf(err, errlen, "bad value for '%s': expected a fraction from 0 to 1 "
				 "(such as 0.5)", k->name);
			return -1;
		}
		*(unsigned *)(base + k->offset) = v;
		break;
	}
	case K_STRING:
	case K_PATH: {
		size_t len = strlen(value);
		if (len >= k->size || !string_is_clean(value)) {
			snprintf(err, errlen, "bad value for '%s': too long or contains control characters",
				 k->name);
			return -1;
		}
		/* an empty path unsets an optional one (what config_dump prints for it) */
		if (k->type == K_PATH && (len || k->min) &&
		    (value[0] != '/' || strstr(value, "/../") ||
					  (len >= 3 && !strcmp(value + len - 3, "/..")))) {
			snprintf(err, errlen, "bad value for '%s': must be an absolute path without '..'",
				 k->name);
			return -1;
		}
		memcpy(base + k->offset, value, len + 1);
		break;
	}
	case K_LOG_IDENTITY:
		if (strcmp(value, "name") && strcmp(value, "pseudonym")) {
			snprintf(err, errlen, "bad value for '%s': expected name or pseudonym", k->name);
			return -1;
		}
		*(bool *)(base + k->offset) = !strcmp(value, "pseudonym");
		break;
	case K_FOUR_EYES: {
		char why[200];
		if (four_eyes_parse(value, (unsigned *)(base + k->offset), why, sizeof(why))) {
			snprintf(err, errlen, "bad value for '%s': %s", k->name, why);
			return -1;
		}
		break;
	}
	case K_NO_SECRET: {
		static const char *const names[] = { "deny", "allow", "enroll_window" };
		size_t i;
		for (i = 0; i < ARRAY_SIZE(names); i++)
			if (!strcmp(value, names[i]))
				break;
		if (i == ARRAY_SIZE(names)) {
			snprintf(err, errlen, "bad value for '%s': expected deny, allow or enroll_window",
				 k->name);
			return -1;
		}
		*(int *)(base + k->offset) = (int)i;
		break;
	}
	}
	if (k->set_offset)
		*(bool *)(base + k->set_offset) = true;
	return 0;
}

int config_apply_word(struct sosafe_config *cfg, const char *word, char *err, size_t errlen)
{
	const char *eq = strchr(word, '=');
	if (!eq)
		return config_apply(cfg, word, NULL, err, errlen);
	size_t klen = (size_t)(eq - word);
	char key[64];
	if (klen == 0 || klen >= sizeof(key)) {
		snprintf(err, errlen, "unknown key '%.*s'", (int)(klen > 64 ? 64 : klen), word);
		return -1;
	}
	memcpy(key, word, klen);
	key[klen] = '\0';
	return config_apply(cfg, key, eq + 1, err, errlen);
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

static int check_consistency(const struct sosafe_config *cfg, const char *name, char *err,
			     size_t errlen)
{
	if (cfg->uid_min > cfg->uid_max) {
		snprintf(err, errlen, "%s: uid_min (%u) is above uid_max (%u)", name, cfg->uid_min,
			 cfg->uid_max);
		return -1;
	}
	return 0;
}

int config_parse_text(struct sosafe_config *cfg, const char *text, size_t len,
		      const char *name, char *err, size_t errlen)
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
		if (n >= sizeof(line)) {
			snprintf(err, errlen, "%s:%u: line longer than %d bytes", name, lineno,
				 SOSAFE_CONF_LINE_MAX - 1);
			return -1;
		}
		memcpy(line, text + pos, n);
		line[n] = '\0';
		pos = end + 1;
		if (memchr(line, '\0', n)) {
			snprintf(err, errlen, "%s:%u: NUL byte in line", name, lineno);
			return -1;
		}
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
		char msg[256];
		if (config_apply(cfg, key, value, msg, sizeof(msg))) {
			snprintf(err, errlen, "%s:%u: %s", name, lineno, msg);
			return -1;
		}
	}
	return check_consistency(cfg, name, err, errlen);
}

int config_load_file(struct sosafe_config *cfg, const char *path, bool missing_ok,
		     char *err, size_t errlen)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
	if (fd < 0) {
		if (errno == ENOENT && missing_ok)
			return 0;
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	struct stat st;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s is not a regular file", path);
		return -1;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		snprintf(err, errlen, "%s is group- or world-writable; run: chmod go-w %s", path, path);
		return -1;
	}
	if (st.st_uid != 0 && st.st_uid != geteuid()) {
		snprintf(err, errlen, "%s is owned by uid %u, not root; run: chown root %s", path,
			 (unsigned)st.st_uid, path);
		return -1;
	}
	if (st.st_size > 1024 * 1024) {
		snprintf(err, errlen, "%s is larger than 1 MiB", path);
		return -1;
	}
	_cleanup_free_ char *buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		snprintf(err, errlen, "out of memory reading %s", path);
		return -1;
	}
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
	return config_parse_text(cfg, buf, got, path, err, errlen);
}

static void dump_one(const struct sosafe_config *cfg, const struct key_desc *k, FILE *out)
{
	const char *base = (const char *)cfg;
	switch (k->type) {
	case K_BOOL:
		fprintf(out, "%s = %s\n", k->name, *(const bool *)(base + k->offset) ? "yes" : "no");
		break;
	case K_UINT:
	case K_SECONDS:
		if (k->set_offset == OFF(root_unlock_time_set))
			fprintf(out, "%s = %u\n", k->name, config_root_unlock_time(cfg));
		else
			fprintf(out, "%s = %u\n", k->name, *(const unsigned *)(base + k->offset));
		break;
	case K_STRING:
	case K_PATH:
		fprintf(out, "%s = %s\n", k->name, base + k->offset);
		break;
	case K_FRACTION: {
		unsigned v = *(const unsigned *)(base + k->offset);
		fprintf(out, "%s = %u.%03u\n", k->name, v / 1000, v % 1000);
		break;
	}
	case K_LOG_IDENTITY:
		fprintf(out, "%s = %s\n", k->name, *(const bool *)(base + k->offset) ? "pseudonym" : "name");
		break;
	case K_FOUR_EYES:
		fprintf(out, "%s = ", k->name);
		four_eyes_print(*(const unsigned *)(base + k->offset), out);
		fputc('\n', out);
		break;
	case K_NO_SECRET: {
		static const char *const names[] = { "deny", "allow", "enroll_window" };
		fprintf(out, "%s = %s\n", k->name, names[*(const int *)(base + k->offset)]);
		break;
	}
	}
}

void config_dump(const struct sosafe_config *cfg, FILE *out)
{
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
		dump_one(cfg, &keys[i], out);
}
