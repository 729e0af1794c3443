/* The sosafed request protocol: what pam_sosafe.so asks the daemon and what
 * it hears back. One request and one reply per connection, over the Unix
 * stream socket STATE_DIR/sosafed.sock.
 *
 * Frame:    u32 payload length, big-endian (1 .. SD_FRAME_MAX), payload.
 * Payload:  u8 version (SD_PROTO_VERSION), u8 kind (enum sd_kind),
 *           then fields, each u8 tag (enum sd_tag), u16 length big-endian,
 *           that many value bytes.
 * Values:   text fields hold no NUL byte and stay under their limit below;
 *           integers are 8 bytes, two's complement, big-endian. A field may
 *           appear once, except SDT_WORD (request) and SDT_INFO (reply).
 *           An unknown version, kind or tag, a short or long field, a
 *           repeated field or trailing bytes make the whole message invalid:
 *           the daemon answers SD_BAD_REQUEST and closes, the client fails
 *           closed. Nothing is guessed.
 *
 * Who may ask what is the daemon's business (SO_PEERCRED): uid 0 any
 * request for any user; any other uid only SD_PING, and SD_OTP and
 * SD_ACCOUNT for its own user name, in the plain prompt mode, with the
 * attempt counted by the daemon itself (SDT_SEQ from it is ignored).
 *
 * THREAD SAFETY: no state; every function works on the caller's buffers. */
#ifndef SOSAFE_PROTO_H
#define SOSAFE_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SD_PROTO_VERSION 1
#define SD_FRAME_MAX 8192          /* payload bytes, either direction */
#define SD_SOCKET_NAME "sosafed.sock"
#define SD_LOCK_NAME "sosafed.lock"   /* flock()ed by the running daemon; holds its pid */

/* Limits of the text fields (bytes, without the terminating NUL). */
#define SD_NAME_MAX 256            /* user, service, rhost, tty, ruser */
#define SD_PATH_MAX 1024           /* conf */
#define SD_WORD_MAX 512            /* one configuration word of the PAM line */
#define SD_WORDS_MAX 32
#define SD_SECRET_MAX 1024         /* answer, password */
#define SD_INFO_MAX 4              /* lines to show */
#define SD_INFO_LEN 256

enum sd_kind {
	SD_PING = 1,      /* are you there (autostart waits for this) */
	SD_PREAUTH,       /* refuse if locked; count the attempt up front */
	SD_AUTHSUCC,      /* the modules above succeeded: clear attempt SDT_SEQ */
	SD_OTP,           /* check the second factor in SDT_ANSWER */
	SD_ACCOUNT,       /* the account phase: lock, directory status, inactivity */
	SD_REPLY = 0x80,
};

enum sd_tag {
	/* request */
	SDT_USER = 1,
	SDT_SERVICE,
	SDT_RHOST,
	SDT_TTY,
	SDT_RUSER,
	SDT_CONF,         /* the line's conf=FILE; absent: the system file */
	SDT_WORD,         /* a configuration word of the line ("deny=3"), repeated */
	SDT_FLAGS,        /* enum sd_flag bits, integer */
	SDT_SEQ,          /* integer: request: attempt counted up front on this handle
			     (0 none); reply: see enum sd_seq_action */
	SDT_ANSWER,       /* what the user typed at the code prompt, or the single
			     field (forward_pass); secret */
	SDT_PASSWORD,     /* check_password: the password typed first; secret */
	/* reply */
	SDT_VERDICT = 64, /* integer, enum sd_verdict */
	SDT_SEQ_ACTION,   /* integer, enum sd_seq_action */
	SDT_PASSWORD_LEN, /* integer: forward_pass: the first N bytes of the answer
			     are the password to hand on as PAM_AUTHTOK */
	SDT_INFO,         /* a line to show the user (unless silent), repeated */
	SDT_AUTHTOK,      /* forward_pass: the password to hand on when it is not
			     the answer's first bytes (OpenVPN's SCRV1 form);
			     secret */
};

enum sd_flag {
	SDF_FORWARD_PASS = 1 << 0,
	SDF_CHECK_PASSWORD = 1 << 1,
	SDF_SILENT = 1 << 2,       /* PAM_SILENT or silent on the line */
};

enum sd_verdict {
	SD_ALLOW = 0,           /* PAM_SUCCESS */
	SD_DENY,                /* auth: PAM_AUTH_ERR; account: PAM_PERM_DENIED */
	SD_DENY_AS_FAILURE,     /* ask the password prompt, throw the answer away,
				   deny: a locked or refused name looks like a
				   wrong password */
	SD_EXPIRED,             /* account: PAM_ACCT_EXPIRED */
	SD_UNAVAILABLE,         /* configuration or store unusable: deny, LOG_CRIT
				   (break-glass applies) */
	SD_BUSY,                /* rate limit or overload: deny */
	SD_BAD_REQUEST,         /* malformed or not allowed for this peer: deny */
	SD_VERDICT_END
};

enum sd_seq_action {
	SD_SEQ_KEEP = 0,        /* leave the handle's attempt as it is */
	SD_SEQ_SET,             /* remember the attempt number in SDT_SEQ */
	SD_SEQ_FORGET,          /* settled: forget it */
};

/* A decoded request; text fields point into arena (NUL-terminated), absent
 * ones are NULL. Secrets (answer, password) live in the arena too:
 * sd_request_wipe() before it goes out of scope. */
struct sd_request {
	enum sd_kind kind;
	const char *user, *service, *rhost, *tty, *ruser, *conf;
	const char *words[SD_WORDS_MAX];
	unsigned nwords;
	uint32_t flags;
	int64_t seq;
	const char *answer;
	const char *password;
	char arena[SD_FRAME_MAX + SD_WORDS_MAX + 16];
};

struct sd_reply {
	enum sd_verdict verdict;
	enum sd_seq_action seq_action;
	int64_t seq;
	bool has_password_len;
	uint32_t password_len;
	unsigned ninfo;
	char info[SD_INFO_MAX][SD_INFO_LEN + 1];
	bool has_authtok;
	char authtok[SD_SECRET_MAX + 1];   /* secret: sd_reply_wipe() */
};

/* Encode REQ (or REP) as one whole frame (length prefix included) into BUF
 * of LEN bytes. Returns the frame length, or -1 when a field is over its
 * limit, holds a NUL byte, or the frame does not fit. */
long sd_request_encode(const struct sd_request *req, unsigned char *buf, size_t len);
long sd_reply_encode(const struct sd_reply *rep, unsigned char *buf, size_t len);

/* Decode the payload P of LEN bytes (without the length prefix). Returns 0,
 * or -1 on any malformation (*REQ / *REP then hold nothing usable). */
int sd_request_decode(struct sd_request *req, const unsigned char *p, size_t len);
int sd_reply_decode(struct sd_reply *rep, const unsigned char *p, size_t len);

/* Add a line to show; silently drops lines past SD_INFO_MAX, cuts at
 * SD_INFO_LEN. */
void sd_reply_info(struct sd_reply *rep, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Wipe the secrets a request (its arena) or a reply holds. */
void sd_request_wipe(struct sd_request *req);
void sd_reply_wipe(struct sd_reply *rep);

const char *sd_kind_name(enum sd_kind k);
const char *sd_verdict_name(enum sd_verdict v);

#endif
