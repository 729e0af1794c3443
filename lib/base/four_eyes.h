/* Four-eyes principle (R6): security-weakening admin actions named in
 * four_eyes = ... are proposed by one admin (sosafectl request) and carried
 * out only when a second, different admin approves (sosafectl approve).
 * This file holds the action names (for the configuration); the request
 * table is a store schema part and sosafectl/cmd_four_eyes.c drives them. */
#ifndef SOSAFE_FOUR_EYES_H
#define SOSAFE_FOUR_EYES_H

#include "base/conf_keys.h"

enum four_eyes_action {
	FE_UNLOCK = 1u << 0,          /* unlock USER */
	FE_RESET_OTP = 1u << 1,       /* reset-otp USER */
	FE_RECOVERY_CODES = 1u << 2,  /* recovery-codes USER */
	FE_ENROLL_WINDOW = 1u << 3,   /* enroll-window USER --hours/--until (exempt) */
	FE_ENROLL = 1u << 4,          /* enroll USER: the admin sets (or replaces) a secret */
	FE_PURGE = 1u << 5,           /* purge (not --report, not --dry-run) */
	FE_AUDIT_PRUNE = 1u << 6,     /* audit prune */
	FE_AUDIT_REVEAL = 1u << 7,    /* audit reveal PSEUDONYM */
	FE_IMPORT = 1u << 8,          /* import secrets from pam_oath / google-authenticator files */
	FE_BACKUP = 1u << 9,          /* backup: a copy of every secret leaves the store */
};
#define FE_ALL 0x3ffu

/* The action names ("exempt" = enroll-window), NULL-terminated. */
extern const struct conf_word four_eyes_actions[];

/* Name of one action bit ("unlock", "reset-otp", ...), NULL if unknown. */
const char *four_eyes_name(unsigned bit);
/* Bit of NAME (also "exempt" = enroll-window); 0 if unknown. */
unsigned four_eyes_bit(const char *name);

#endif
