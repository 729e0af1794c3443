/* A VPN-gateway-style caller: one process, many threads, each running whole
 * PAM transactions (pam_start_confdir .. pam_authenticate .. pam_acct_mgmt ..
 * pam_end) like FreeRADIUS or an OpenVPN plugin would.
 *
 *   pam_threads CONFDIR SERVICE USER:PASSWORD:ROUNDS...
 *
 * Every USER:PASSWORD:ROUNDS runs in its own thread; all threads start
 * together (barrier). Prints one line per thread
 *   thread N user=USER success=S fail=F
 * and at the end
 *   error_msgs=E info_msgs=I conv_cross_talk=X
 * where conv_cross_talk counts conversation calls that arrived with another
 * thread's data. Exit 0 when every thread ran; the counts are for the caller
 * (tests/integration/threads.sh) to check. */
#include <config.h>

#include <pthread.h>
#include <security/pam_appl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_THREADS 64

struct job {
	int index;
	const char *confdir;
	const char *service;
	char user[128];
	char password[128];
	int rounds;
	int success, fail;
	pthread_t thread;
};

static pthread_barrier_t start_line;
static atomic_int error_msgs, info_msgs, cross_talk;

static int conv(int n, const struct pam_message **msg, struct pam_response **resp, void *data)
{
	struct job *j = data;
	struct pam_response *r = calloc((size_t)n, sizeof(*r));
	if (!r)
		return PAM_BUF_ERR;
	for (int i = 0; i < n; i++) {
		switch (msg[i]->msg_style) {
		case PAM_PROMPT_ECHO_OFF:
			r[i].resp = strdup(j->password);
			break;
		case PAM_PROMPT_ECHO_ON:
			r[i].resp = strdup(j->user);
			break;
		case PAM_ERROR_MSG:
			atomic_fetch_add(&error_msgs, 1);
			break;
		case PAM_TEXT_INFO:
			atomic_fetch_add(&info_msgs, 1);
			break;
		default:
			break;
		}
	}
	*resp = r;
	return PAM_SUCCESS;
}

/* A gateway answers on its own schedule: no libpam sleep in the thread. */
static void no_delay(int status, unsigned delay, void *data)
{
	(void)status;
	(void)delay;
	(void)data;
}

static void *run(void *arg)
{
	struct job *j = arg;
	pthread_barrier_wait(&start_line);
	for (int k = 0; k < j->rounds; k++) {
		pam_handle_t *h = NULL;
		struct pam_conv c = { conv, j };
		int rc = pam_start_confdir(j->service, j->user, &c, j->confdir, &h);
		if (rc != PAM_SUCCESS) {
			j->fail++;
			continue;
		}
		pam_set_item(h, PAM_FAIL_DELAY, (const void *)no_delay);
		pam_set_item(h, PAM_RHOST, "127.0.0.1");
		rc = pam_authenticate(h, 0);
		if (rc == PAM_SUCCESS)
			rc = pam_acct_mgmt(h, 0);
		/* the user PAM ended up with must be the one this thread asked for */
		const void *item = NULL;
		if (pam_get_item(h, PAM_USER, &item) == PAM_SUCCESS && item &&
		    strcmp(item, j->user) != 0)
			atomic_fetch_add(&cross_talk, 1);
		if (rc == PAM_SUCCESS)
			j->success++;
		else
			j->fail++;
		pam_end(h, rc);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc < 4 || argc - 3 > MAX_THREADS) {
		fprintf(stderr, "usage: %s CONFDIR SERVICE USER:PASSWORD:ROUNDS... (at most %d)\n",
			argv[0], MAX_THREADS);
		return 2;
	}
	int n = argc - 3;
	static struct job jobs[MAX_THREADS];
	for (int i = 0; i < n; i++) {
		struct job *j = &jobs[i];
		const char *spec = argv[i + 3];
		const char *c1 = strchr(spec, ':');
		const char *c2 = c1 ? strrchr(spec, ':') : NULL;
		if (!c1 || c2 == c1 || (size_t)(c1 - spec) >= sizeof(j->user) ||
		    (size_t)(c2 - c1 - 1) >= sizeof(j->password)) {
			fprintf(stderr, "bad spec '%s' (USER:PASSWORD:ROUNDS)\n", spec);
			return 2;
		}
		j->index = i;
		j->confdir = argv[1];
		j->service = argv[2];
		memcpy(j->user, spec, (size_t)(c1 - spec));
		memcpy(j->password, c1 + 1, (size_t)(c2 - c1 - 1));
		j->rounds = atoi(c2 + 1);
	}
	if (pthread_barrier_init(&start_line, NULL, (unsigned)n))
		return 1;
	for (int i = 0; i < n; i++)
		if (pthread_create(&jobs[i].thread, NULL, run, &jobs[i])) {
			fprintf(stderr, "pthread_create failed\n");
			return 1;
		}
	for (int i = 0; i < n; i++)
		pthread_join(jobs[i].thread, NULL);
	for (int i = 0; i < n; i++)
		printf("thread %d user=%s success=%d fail=%d\n", i, jobs[i].user, jobs[i].success,
		       jobs[i].fail);
	printf("error_msgs=%d info_msgs=%d conv_cross_talk=%d\n", atomic_load(&error_msgs),
	       atomic_load(&info_msgs), atomic_load(&cross_talk));
	return 0;
}
