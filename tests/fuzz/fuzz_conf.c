/* Fuzz the configuration file parser: config_parse_text() on arbitrary
 * bytes. Beyond memory safety it checks that whatever the parser accepts
 * is a configuration the rest of the code may rely on, and that
 * `sosafectl config` output (config_dump) parses back to the same values. */
#include <config.h>

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/conf.h"
#include "fuzz_util.h"

static void check_string(const char *field, const char *s, size_t size)
{
	size_t len = strnlen(s, size);
	fuzz_require(len < size, "%s is not NUL-terminated", field);
	for (size_t i = 0; i < len; i++)
		fuzz_require((unsigned char)s[i] >= 0x20 && (unsigned char)s[i] != 0x7f,
			     "%s holds control byte 0x%02x", field, (unsigned char)s[i]);
}

#define CHECK_STR(cfg, f) check_string(#f, (cfg)->f, sizeof((cfg)->f))

static void check_accepted(const struct sosafe_config *c)
{
	fuzz_require(c->deny >= 1 && c->deny <= SOSAFE_MAX_DENY, "deny=%u", c->deny);
	fuzz_require(c->fail_interval >= 1, "fail_interval=%u", c->fail_interval);
	fuzz_require(c->max_locks <= 64, "max_locks=%u", c->max_locks);
	fuzz_require(c->store_timeout_ms >= 10 && c->store_timeout_ms <= 60000, "store_timeout_ms=%u",
		     c->store_timeout_ms);
	fuzz_require(c->window <= 10, "window=%u", c->window);
	fuzz_require(c->no_secret >= NO_SECRET_DENY && c->no_secret <= NO_SECRET_ENROLL_WINDOW,
		     "no_secret=%d", c->no_secret);
	fuzz_require(c->uid_min >= 1000 && c->uid_min <= c->uid_max, "uid range %u..%u", c->uid_min,
		     c->uid_max);
	fuzz_require(c->max_snapshot_age >= 60, "max_snapshot_age=%u", c->max_snapshot_age);
	CHECK_STR(c, admin_group);
	CHECK_STR(c, state_dir);
	CHECK_STR(c, otp_prompt);
	CHECK_STR(c, password_prompt);
	CHECK_STR(c, issuer);
	CHECK_STR(c, entitled_group);
	fuzz_require(c->state_dir[0] == '/', "state_dir '%s' is not absolute", c->state_dir);
	fuzz_require(!strstr(c->state_dir, "/../"), "state_dir '%s' has /../", c->state_dir);
}

/* `sosafectl config` prints a file that must load again to the same policy. */
static void check_round_trip(const struct sosafe_config *c)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	fuzz_require(f != NULL, "open_memstream failed");
	config_dump(c, f);
	fclose(f);
	struct sosafe_config again;
	struct sosafe_err err;
	config_defaults(&again);
	int rc = config_parse_text(&again, text, len, "dump", &err);
	fuzz_require(rc == 0, "dump does not parse back: %s", err.msg);
	fuzz_require(again.deny == c->deny && again.fail_interval == c->fail_interval &&
			     again.unlock_time == c->unlock_time &&
			     again.max_locks == c->max_locks &&
			     again.escalation_period == c->escalation_period &&
			     again.even_deny_root == c->even_deny_root &&
			     config_root_unlock_time(&again) == config_root_unlock_time(c) &&
			     again.no_secret == c->no_secret && again.window == c->window &&
			     again.uid_min == c->uid_min && again.uid_max == c->uid_max,
		     "lockout or range values changed in the round trip");
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 64 * 1024)
		return 0; /* config_load_file refuses > 1 MiB; keep runs fast */
	/* the parser gets exactly SIZE bytes, no NUL after them: an over-read
	 * past the text is an ASan heap-buffer-overflow */
	char *copy = malloc(size ? size : 1);
	if (!copy)
		abort();
	if (size)
		memcpy(copy, data, size);
	struct sosafe_config cfg;
	struct sosafe_err err;
	memset(err.msg, 'X', sizeof(err.msg));
	config_defaults(&cfg);
	int rc = config_parse_text(&cfg, copy, size, "fuzz.conf", &err);
	if (rc == 0) {
		check_accepted(&cfg);
		check_round_trip(&cfg);
	} else {
		fuzz_require(rc == -1, "rc=%d", rc);
		fuzz_require(memchr(err.msg, '\0', sizeof(err.msg)) != NULL, "error text not terminated");
		fuzz_require(err.msg[0] != '\0', "failure without a message");
	}
	free(copy);
	return 0;
}
