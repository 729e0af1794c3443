/* Started by test_spawn through spawn_detached() in place of sosafed:
 * writes what it inherited (ids, session, descriptors, signals,
 * scheduling, environment) as "key value" lines into argv[1], through a
 * rename so the test never reads half a file. */
#include <config.h>

#include <dirent.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

extern char **environ;

static void write_fds(FILE *f)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	if (!d)
		return;
	fprintf(f, "fds");
	while ((de = readdir(d))) {
		int fd = atoi(de->d_name);
		if (de->d_name[0] == '.' || fd == dirfd(d) || fd == fileno(f))
			continue;
		fprintf(f, " %s", de->d_name);
	}
	fprintf(f, "\n");
	closedir(d);
	for (int fd = 0; fd < 3; fd++) {
		char link[32], target[PATH_MAX];
		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		ssize_t n = readlink(link, target, sizeof(target) - 1);
		target[n < 0 ? 0 : n] = '\0';
		fprintf(f, "fd%d %s\n", fd, target);
	}
}

/* Only an ignored signal survives execve (a handler is reset to the
 * default), so "ignored" is what the spawn must clear; counting handlers
 * would count the probe's own, e.g. a sanitizer runtime's. */
static void write_signals(FILE *f)
{
	sigset_t cur;
	unsigned blocked = 0, ignored = 0;
	sigprocmask(SIG_BLOCK, NULL, &cur);
	for (int sig = 1; sig < NSIG; sig++) {
		struct sigaction sa;
		if (sigismember(&cur, sig) == 1)
			blocked++;
		if (sigaction(sig, NULL, &sa) == 0 && sa.sa_handler == SIG_IGN)
			ignored++;
	}
	fprintf(f, "blocked %u\nignored %u\n", blocked, ignored);
}

static long tty_nr(void)
{
	char buf[1024];
	FILE *f = fopen("/proc/self/stat", "re");
	if (!f)
		return -1;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	const char *p = strrchr(buf, ')');   /* comm may hold spaces */
	long tty = -1;
	if (p && sscanf(p + 2, "%*c %*d %*d %*d %ld", &tty) != 1)
		tty = -1;
	return tty;
}

int main(int argc, char **argv)
{
	if (argc != 2)
		return 2;
	char tmp[PATH_MAX];
	snprintf(tmp, sizeof(tmp), "%s.tmp", argv[1]);
	FILE *f = fopen(tmp, "we");
	if (!f)
		return 1;
	uid_t ru, eu, su;
	gid_t rg, eg, sg;
	gid_t groups[64];
	getresuid(&ru, &eu, &su);
	getresgid(&rg, &eg, &sg);
	fprintf(f, "uid %u %u %u\ngid %u %u %u\n", ru, eu, su, rg, eg, sg);
	int ng = getgroups(64, groups);
	fprintf(f, "groups");
	for (int i = 0; i < ng; i++)
		fprintf(f, " %u", groups[i]);
	fprintf(f, "\n");
	fprintf(f, "pid %d\nppid %d\nsid %d\npgid %d\ntty %ld\n", getpid(), getppid(), getsid(0),
		getpgid(0), tty_nr());
	write_fds(f);
	write_signals(f);
	fprintf(f, "nice %d\nsched %d\n", getpriority(PRIO_PROCESS, 0), sched_getscheduler(0));
	mode_t um = umask(0);
	fprintf(f, "umask %03o\n", (unsigned)um);
	char cwd[PATH_MAX];
	fprintf(f, "cwd %s\n", getcwd(cwd, sizeof(cwd)) ? cwd : "?");
	const char *mark = getenv("SOSAFE_SPAWN_MARK");
	fprintf(f, "mark %s\n", mark ? mark : "-");
	if (fclose(f) || rename(tmp, argv[1]))
		return 1;
	return 0;
}
