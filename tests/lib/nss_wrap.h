/* Users from nss_wrapper for a test program (no root): the first run
 * writes passwd, group and shadow files into a fresh temporary directory
 * and runs the program again with libnss_wrapper.so preloaded, waits for
 * it, removes the directory and exits with its status. The second run
 * finds the directory in SOSAFE_TEST_DIR and goes on with the test. */
#ifndef SOSAFE_TEST_NSS_WRAP_H
#define SOSAFE_TEST_NSS_WRAP_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sosafed_stop.h"
#include "tmp_dir.h"

struct nss_files {
	const char *passwd, *group, *shadow;   /* file contents; shadow may be NULL */
	/* also preloaded (may be NULL); with it, SOSAFE_TEST_SYSLOG names
	 * DIR/syslog for tests/lib/syslog_capture.c */
	const char *preload;
};

static inline void nss_wrap_die(const char *what)
{
	fprintf(stderr, "%s: %s\n", what, strerror(errno));
	printf("Bail out! %s\n", what);
	exit(99);
}

static inline void nss_wrap_file(const char *dir, const char *name, const char *text,
				 mode_t mode, const char *env)
{
	char path[TMP_DIR_LEN + 32];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	if (!f || fputs(text, f) < 0 || fclose(f) || chmod(path, mode))
		nss_wrap_die(path);
	if (env)
		setenv(env, path, 1);
}

/* Returns (in the second run) with DIR holding the directory. */
static inline void nss_wrap_run(char dir[TMP_DIR_LEN], const char *tag,
				const struct nss_files *f, char **argv)
{
	const char *have = getenv("SOSAFE_TEST_DIR");
	if (have && getenv("NSS_WRAPPER_PASSWD")) {
		snprintf(dir, TMP_DIR_LEN, "%s", have);
		return;
	}
	if (tmp_dir_make(dir, tag))
		nss_wrap_die("mkdtemp");
	nss_wrap_file(dir, "passwd", f->passwd, 0644, "NSS_WRAPPER_PASSWD");
	nss_wrap_file(dir, "group", f->group, 0644, "NSS_WRAPPER_GROUP");
	if (f->shadow)
		nss_wrap_file(dir, "shadow", f->shadow, 0600, "NSS_WRAPPER_SHADOW");
	if (f->preload) {
		char preload[4200], log[TMP_DIR_LEN + 16];
		snprintf(preload, sizeof(preload), "libnss_wrapper.so:%s", f->preload);
		snprintf(log, sizeof(log), "%s/syslog", dir);
		setenv("LD_PRELOAD", preload, 1);
		setenv("SOSAFE_TEST_SYSLOG", log, 1);
	} else {
		setenv("LD_PRELOAD", "libnss_wrapper.so", 1);
	}
	setenv("SOSAFE_TEST_DIR", dir, 1);
	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0)
		nss_wrap_die("fork");
	if (pid == 0) {
		/* the resolved path: under valgrind /proc/self/exe is valgrind
		 * itself, while readlink() of it names the test program */
		char self[4096];
		ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
		if (n > 0) {
			self[n] = '\0';
			execv(self, argv);
		}
		execv("/proc/self/exe", argv);
		nss_wrap_die("re-exec under nss_wrapper");
	}
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	sosafed_stop_all(dir);   /* a daemon the module started for this test */
	if (!getenv("KEEP") && tmp_dir_remove(dir))
		fprintf(stderr, "cannot remove %s\n", dir);
	exit(WIFEXITED(status) ? WEXITSTATUS(status) : 98);
}

#endif
