/* Configuration: /etc/security/sosafe.conf ("key = value", '#' comments)
 * and the same keys as "key=value" on the PAM line (the PAM line wins).
 * Unknown keys and bad values are errors: the caller fails closed.
 *
 * THREAD SAFETY: every function reads or fills only the struct
 * sosafe_config it is given (the key table is const), so threads with
 * different PAM lines each hold their own configuration. */
#ifndef SOSAFE_CONF_H
#define SOSAFE_CONF_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "base/err.h"

#define SOSAFE_MAX_DENY 64
#define SOSAFE_CONF_LINE_MAX 4096

enum sosafe_no_secret {
	NO_SECRET_DENY = 0,         /* users without a TOTP secret are refused */
	NO_SECRET_ALLOW,            /* nullok: they pass the second factor */
	NO_SECRET_ENROLL_WINDOW,    /* allowed only until the admin's enrollment deadline */
};

struct sosafe_config {
	/* lockout */
	unsigned deny;              /* failures within fail_interval that lock */
	unsigned fail_interval;     /* seconds a failure counts */
	unsigned unlock_time;       /* first lock lasts this long; 0 = until admin unlock */
	bool even_deny_root;        /* root (and admin_group) can be locked too */
	unsigned root_unlock_time;  /* unlock_time for root/admin_group when even_deny_root */
	bool root_unlock_time_set;
	unsigned max_locks;         /* the max_locks-th lock within escalation_period is
	                               permanent (admin unlock); 0 = never permanent */
	unsigned escalation_period; /* locks closer than this escalate (doubling) */
	unsigned deny_per_period;   /* failures within escalation_period that lock
	                               until an admin unlocks; 0 = off */
	char admin_group[257];      /* members are treated like root */
	/* behaviour */
	bool silent;                /* never send informational messages */
	bool nodelay;               /* do not ask libpam for a delay on failure */
	bool show_lock;             /* tell a locked user so (off: indistinguishable) */
	unsigned fail_delay_ms;     /* delay requested on failure */
	bool debug;
	/* storage */
	char state_dir[PATH_MAX];
	char secret_key_file[PATH_MAX]; /* keyring that seals secrets in the store */
	unsigned store_timeout_ms;  /* longest wait for the store lock */
	bool store_sync_commits;    /* flush a login's commits before answering (group commit) */
	int store_backend;          /* enum store_backend: sqlite (default) or postgresql */
	char pg_conninfo_file[PATH_MAX]; /* root 0600 file with the libpq connection string */
	bool pg_insecure;           /* allow a connection without verified TLS >= 1.2 (tests) */
	unsigned pg_connect_timeout_ms; /* connecting to the database, per server */
	char sosafed_path[PATH_MAX];/* the daemon the module starts; "" = the installed one */
	unsigned sosafed_timeout_ms;/* one request's deadline: connect, start, reply */
	/* second factor (TOTP) */
	unsigned window;            /* accepted steps either side of now */
	char otp_prompt[128];       /* prompt for the code */
	char password_prompt[128];  /* prompt when the module asks for the password */
	int no_secret;              /* enum sosafe_no_secret: users without a secret */
	char issuer[128];           /* issuer shown in authenticator apps */
	/* directory snapshot and lifecycle */
	char entitled_group[257];   /* directory group whose members may log in */
	char entitled_group_dn[512];/* LDIF and pulls: that group by DN; empty: by name */
	unsigned grace_days;        /* deactivated users are purged after this */
	unsigned max_snapshot_age;  /* seconds; older snapshot = directory users refused */
	unsigned inactive_days;     /* refuse users idle longer; 0 = off */
	unsigned inactive_local_days;   /* the same for local accounts; 0 = off */
	unsigned uid_min, uid_max;  /* allocation range for directory users */
	/* live pull from LDAP / Active Directory (sosafectl sync) */
	char ldap_uri[1024];        /* space-separated, tried in order */
	char ldap_base[512];
	char ldap_bind_dn[512];     /* empty: anonymous */
	char ldap_bind_password_file[PATH_MAX];
	bool ldap_starttls;         /* StartTLS on ldap:// URIs */
	char ldap_ca_file[PATH_MAX];
	char ldap_user_filter[1024];
	char ldap_group_filter[1024];
	bool ldap_insecure;         /* allow plain ldap:// (warned at every sync) */
	unsigned ldap_timeout;      /* seconds, network and search */
	unsigned ldap_page_size;    /* Simple Paged Results page size */
	/* attribute map (AD names by default; lists are comma-separated, the
	 * first attribute present wins) */
	char ldap_attr_name[128];       /* user name (sAMAccountName; uid) */
	char ldap_attr_group_name[128]; /* group name (sAMAccountName; cn) */
	char ldap_attr_uid[128];        /* uidNumber */
	char ldap_attr_gid[128];        /* gidNumber */
	char ldap_attr_gecos[256];      /* gecos,displayName,cn */
	char ldap_attr_home[128];       /* unixHomeDirectory */
	char ldap_attr_shell[128];      /* loginShell */
	char ldap_attr_id[256];         /* stable id: objectSid,objectGUID,entryUUID */
	char ldap_attr_member_of[128];  /* memberOf; empty: not read */
	char ldap_attr_member[128];     /* member */
	char ldap_disabled_filter[1024];/* users also matching it are disabled */
	char ldap_sasl_mech[32];        /* "" = simple bind; EXTERNAL = client certificate */
	char ldap_tls_cert[PATH_MAX];   /* client certificate (PEM) */
	char ldap_tls_key[PATH_MAX];    /* its key: root-only file */
	unsigned min_sync_permille; /* refuse a pull with fewer users than this
	                               share (in thousandths) of the last known */
	/* audit trail */
	unsigned audit_retention_days; /* audit records kept at least this long (>= 90) */
	bool log_pseudonym;         /* log_identity = pseudonym: keyed hash instead of names */
	/* four-eyes and access review (R6, R7) */
	unsigned four_eyes;         /* enum four_eyes_action bits: need a second admin */
	unsigned four_eyes_ttl;     /* seconds a request stays approvable */
	char privileged_groups[1024]; /* comma-separated groups the report flags */
	unsigned review_days;       /* access review due this long after the last one */
	unsigned privileged_review_days; /* the same for privileged accounts */
	/* where this configuration came from, for messages */
	char conf_path[PATH_MAX];
};

/* Fill CFG with the defaults of the key table (conf_keys.c). */
void config_defaults(struct sosafe_config *cfg);

/* Apply one "key=value" (or a bare boolean key) from the PAM line or the
 * command line. Returns 0, or -1 with a message naming the key in E. */
int config_apply(struct sosafe_config *cfg, const char *key, const char *value,
		 struct sosafe_err *e);

/* Apply a "key=value" or bare "key" word. */
int config_apply_word(struct sosafe_config *cfg, const char *word, struct sosafe_err *e);

/* The rules between keys (uid_min <= uid_max). config_parse_text applies
 * them to the file; a caller that applies more words (the PAM line) calls
 * it again afterwards. Returns 0 or -1 + E. */
int config_check(const struct sosafe_config *cfg, struct sosafe_err *e);

/* Parse the file at PATH into CFG. MISSING_OK: a file that does not exist
 * is not an error (defaults stay). The file must not be group/world
 * writable and must be owned by root or the caller. Returns 0 or -1 + E. */
int config_load_file(struct sosafe_config *cfg, const char *path, bool missing_ok,
		     struct sosafe_err *e);

/* Parse configuration text (for tests and fuzzing); NAME is used in messages. */
int config_parse_text(struct sosafe_config *cfg, const char *text, size_t len,
		      const char *name, struct sosafe_err *e);

/* Copy key NAME (its value, and whether it was given) from SRC to DST.
 * Returns 0, or -1 for an unknown key. */
int config_copy_key(struct sosafe_config *dst, const struct sosafe_config *src, const char *name);

/* True if key NAME is known and reads the same in A and B. */
bool config_key_equal(const struct sosafe_config *a, const struct sosafe_config *b,
		      const char *name);

/* Effective unlock time for a privileged (root/admin_group) account. */
unsigned config_root_unlock_time(const struct sosafe_config *cfg);

/* Print every key with its current value as "key = value" lines. */
void config_dump(const struct sosafe_config *cfg, FILE *out);

/* Print the example file: every key commented out with its default and
 * its description, grouped as in sosafe.conf(5). */
void config_write_template(FILE *out);

#endif
