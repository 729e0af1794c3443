#include <config.h>
#include "client/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* What a setuid caller (su, sudo) hands on: nothing of the user's. */
static char *const secure_env[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL };

static void close_all_fds(void)
{
#ifdef SYS_close_range
	if (syscall(SYS_close_range, 0U, ~0U, 0U) == 0)
		return;
#endif
	struct rlimit rl;
	long max = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
				   rl.rlim_cur < 1048576 ? (long)rl.rlim_cur : 65536;
	for (long fd = 0; fd < max; fd++)
		close((int)fd);
}

/* The grandchild: shed the caller, then exec. System calls only (the host
 * may be threaded: no allocation, no locks after fork). */
static _Noreturn void become_detached(const char *path, char *const argv[], char *const envp[],
				      uid_t uid, gid_t gid)
{
	/* an unprivileged caller can only make its ids equal; root also drops
	 * the supplementary groups */
	if (setresgid(gid, gid, gid) || (uid == 0 && setgroups(1, &gid)) || setresuid(uid, uid, uid))
		_exit(127);
	close_all_fds();
	int fd = open("/dev/null", O_RDWR);
	if (fd != 0)
		_exit(127);
	if (dup2(0, 1) != 1 || dup2(0, 2) != 2)
		_exit(127);
	struct sigaction dfl;
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	sigemptyset(&dfl.sa_mask);
	for (int sig = 1; sig < NSIG; sig++)
		(void)sigaction(sig, &dfl, NULL);   /* SIGKILL, SIGSTOP and glibc's own refuse */
	struct sched_param sp = { .sched_priority = 0 };
	(void)sched_setscheduler(0, SCHED_OTHER, &sp);
	(void)setpriority(PRIO_PROCESS, 0, 0);   /* lowering needs privilege: root only */
	umask(077);
	if (chdir("/"))
		_exit(127);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	execve(path, argv, envp);
	_exit(127);
}

int spawn_detached(const char *path, char *const argv[], struct sosafe_err *e)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return err_set(e, "%s: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode) || access(path, X_OK) < 0)
		return err_set(e, "%s: not an executable file", path);
	/* cppcheck-suppress variableScope ; decided before fork: the children only make system calls */
	char *const *envp = getauxval(AT_SECURE) ? secure_env : environ;
	uid_t uid = geteuid();
	gid_t gid = getegid();

	/* No signal may run a host handler in the children before their
	 * dispositions are reset. */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pid_t pid = fork();
	if (pid == 0) {
		if (setsid() < 0)
			_exit(127);
		pid_t grandchild = fork();
		if (grandchild == 0)
			become_detached(path, argv, envp, uid, gid);
		/* the grandchild is no session leader: it can never acquire a
		 * controlling terminal; init (or a subreaper) adopts it */
		_exit(grandchild < 0 ? 127 : 0);
	}
	int saved = errno;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (pid < 0)
		return err_set(e, "cannot fork to start %s: %s", path, strerror(saved));
	int status = 0;
	pid_t w;
	while ((w = waitpid(pid, &status, 0)) < 0 && errno == EINTR)
		;
	/* ECHILD: the host ignores SIGCHLD or reaped it itself; the grandchild
	 * lives on either way */
	if (w == pid && (!WIFEXITED(status) || WEXITSTATUS(status) != 0))
		return err_set(e, "cannot start %s: session setup failed", path);
	return 0;
}
