/* pam_drive: run PAM conversations against a private service directory, for
 * the root torture and fault tests (tests/e2e/torture.test, faults.test,
 * hostile.test). No /etc/pam.d changes: pam_start_confdir().
 *
 *   pam_drive -d CONFDIR -s SERVICE -u USER [-U USERFILE] [-p PASSWORD]
 *             [-n COUNT] [-a] [-l LOGFILE] [-r RHOST]
 *
 * Each attempt runs pam_authenticate and, with -a, pam_acct_mgmt when auth
 * succeeded. With -l, "S" is appended to LOGFILE before an attempt starts
 * and "D auth=N acct=M" after it ended (one write(2) each, so a SIGKILL
 * loses nothing already written). -n 0 loops until killed. -U reads the
 * user name from a file (for names no shell argument can carry).
 * Prints the last result as "auth=NAME acct=NAME"; exit status 0 only when
 * the last attempt fully succeeded, 1 when PAM refused, 2 on usage errors. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <security/pam_appl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *password = "correct horse";

static int conv(int n, const struct pam_message **msg, struct pam_response **resp, void *data)
{
	(void)data;
	struct pam_response *r = calloc((size_t)n, sizeof(*r));
	if (!r)
		return PAM_BUF_ERR;
	for (int i = 0; i < n; i++) {
		if (msg[i]->msg_style == PAM_PROMPT_ECHO_OFF || msg[i]->msg_style == PAM_PROMPT_ECHO_ON) {
			r[i].resp = strdup(password);
			if (!r[i].resp) {
				for (int j = 0; j < i; j++)
					free(r[j].resp);
				free(r);
				return PAM_BUF_ERR;
			}
		}
	}
	*resp = r;
	return PAM_SUCCESS;
}

static void log_line(int fd, const char *line)
{
	if (fd < 0)
		return;
	size_t len = strlen(line);
	while (write(fd, line, len) < 0 && errno == EINTR)
		;
}

static char *read_user_file(const char *path)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return NULL;
	char *buf = malloc(65536);
	size_t n = buf ? fread(buf, 1, 65535, f) : 0;
	fclose(f);
	if (buf) {
		buf[n] = '\0';
		if (n && buf[n - 1] == '\n')
			buf[n - 1] = '\0';
	}
	return buf;
}

int main(int argc, char **argv)
{
	const char *confdir = NULL, *service = NULL, *user = NULL, *logfile = NULL, *rhost = NULL;
	char *user_buf = NULL;
	long count = 1;
	int acct = 0, opt;
	while ((opt = getopt(argc, argv, "d:s:u:U:p:n:al:r:")) != -1) {
		switch (opt) {
		case 'd': confdir = optarg; break;
		case 's': service = optarg; break;
		case 'u': user = optarg; break;
		case 'U': user = user_buf = read_user_file(optarg); break;
		case 'p': password = optarg; break;
		case 'n': count = strtol(optarg, NULL, 10); break;
		case 'a': acct = 1; break;
		case 'l': logfile = optarg; break;
		case 'r': rhost = optarg; break;
		default: return 2;
		}
	}
	if (!confdir || !service || !user) {
		fprintf(stderr, "usage: pam_drive -d CONFDIR -s SERVICE -u USER|-U FILE [-p PW] [-n N] [-a] [-l LOG]\n");
		return 2;
	}
	int logfd = logfile ? open(logfile, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644) : -1;
	struct pam_conv pc = { conv, NULL };
	int arc = PAM_SYSTEM_ERR, mrc = PAM_SYSTEM_ERR;
	for (long i = 0; count == 0 || i < count; i++) {
		pam_handle_t *h = NULL;
		log_line(logfd, "S\n");
		int rc = pam_start_confdir(service, user, &pc, confdir, &h);
		if (rc != PAM_SUCCESS) {
			fprintf(stderr, "pam_start_confdir: %d\n", rc);
			return 2;
		}
		if (rhost)
			pam_set_item(h, PAM_RHOST, rhost);
		arc = pam_authenticate(h, 0);
		mrc = -1;
		if (arc == PAM_SUCCESS && acct)
			mrc = pam_acct_mgmt(h, 0);
		pam_end(h, arc);
		char line[64];
		snprintf(line, sizeof(line), "D auth=%d acct=%d\n", arc, mrc);
		log_line(logfd, line);
	}
	printf("auth=%s acct=%s\n", arc == PAM_SUCCESS ? "success" : "refused",
	       mrc == -1 ? "not-run" : mrc == PAM_SUCCESS ? "success" : "refused");
	free(user_buf);
	return arc == PAM_SUCCESS && (mrc == -1 || mrc == PAM_SUCCESS) ? 0 : 1;
}
