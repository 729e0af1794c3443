/* sosafed: the root daemon that owns the state store and takes every
 * lockout and second-factor decision for pam_sosafe. See sosafed(8).
 *
 *   sosafed [--conf FILE] [--foreground] [--idle-exit SECONDS] [--strict-peers]
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "base/fsutil.h"
#include "base/log.h"
#include "daemon.h"
#include "listen.h"
#include "proto/proto.h"
#include "server.h"

enum { EXIT_USAGE = 2, EXIT_CONFIG = 3 };
#define LOCK_WAIT_ROUNDS 60      /* 3 s */
#define LOCK_WAIT_US 50000

static const struct log_ctx daemon_log = { .ident = "sosafed" };

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: sosafed [--conf FILE] [--foreground] [--idle-exit SECONDS] [--strict-peers]\n"
		"\n"
		"  --conf FILE         configuration file (default %s); the daemon serves its\n"
		"                      state_dir, on STATE_DIR/%s\n"
		"  --foreground        do not detach (systemd, tests)\n"
		"  --idle-exit N       exit after N seconds without a connection (0: never)\n"
		"  --strict-peers      give the daemon's own uid no privilege when it is not root\n"
		"  --version, --help\n"
		"See sosafed(8).\n", SOSAFE_CONF, SD_SOCKET_NAME);
}

static int parse_args(struct daemon *dm, bool *foreground, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "conf", required_argument, NULL, 'c' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "idle-exit", required_argument, NULL, 'i' },
		{ "strict-peers", no_argument, NULL, 's' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int o;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		char *end;
		unsigned long v;
		switch (o) {
		case 'c':
			dm->conf_path = optarg;
			dm->conf_missing_ok = false;
			break;
		case 'f':
			*foreground = true;
			break;
		case 'i':
			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (errno || *end || !*optarg || optarg[0] == '-' || v > 86400UL * 366) {
				fprintf(stderr, "sosafed: --idle-exit wants seconds, not '%s'\n", optarg);
				return -1;
			}
			dm->idle_exit = (unsigned)v;
			break;
		case 's':
			dm->strict_peers = true;
			break;
		case 'V':
			printf("sosafed %s\n", PACKAGE_VERSION);
			exit(0);
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return -1;
	}
	return 0;
}

/* Load the daemon's own configuration and identify its state directory. */
static int load_config(struct daemon *dm)
{
	struct sosafe_err e;
	config_defaults(&dm->cfg);
	if (config_load_file(&dm->cfg, dm->conf_path, dm->conf_missing_ok, &e) < 0 ||
	    config_check(&dm->cfg, &e) < 0) {
		fprintf(stderr, "sosafed: %s\n", e.msg);
		log_event(LOG_ERR, &daemon_log, "config-error", "%s", e.msg);
		return -1;
	}
	struct stat st;
	if (fs_check_dir(dm->cfg.state_dir, &e) < 0 || stat(dm->cfg.state_dir, &st) < 0) {
		fprintf(stderr, "sosafed: state_dir: %s\n", e.msg);
		log_event(LOG_ERR, &daemon_log, "config-error", "state_dir: %s", e.msg);
		return -1;
	}
	dm->state_dev = st.st_dev;
	dm->state_ino = st.st_ino;
	if (!(st.st_mode & S_IXOTH))
		log_event(LOG_WARNING, &daemon_log, "config-warning",
			  "state_dir %s is not searchable by others (mode %o): unprivileged callers "
			  "(screen lockers) cannot reach the socket; chmod 0711 or 0755",
			  dm->cfg.state_dir, (unsigned)(st.st_mode & 07777));
	if (snprintf(dm->socket_path, sizeof(dm->socket_path), "%s/%s", dm->cfg.state_dir,
		     SD_SOCKET_NAME) >= (int)sizeof(dm->socket_path)) {
		fprintf(stderr, "sosafed: state_dir %s is too long for a socket path\n",
			dm->cfg.state_dir);
		return -1;
	}
	return 0;
}

/* Room for MAX_CONN connections; no core file with a secret in it. */
static void set_limits(void)
{
	struct rlimit r;
	if (getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < MAX_CONN + 64) {
		r.rlim_cur = r.rlim_max == RLIM_INFINITY || r.rlim_max > MAX_CONN + 64 ?
			     MAX_CONN + 64 : r.rlim_max;
		setrlimit(RLIMIT_NOFILE, &r);
	}
	struct rlimit core = { 0, 0 };
	setrlimit(RLIMIT_CORE, &core);
}

/* One lookup of each kind before the workers start: some NSS modules
 * (nss_wrapper in the tests) load their files lazily, and not safely from
 * several threads at once. */
static void nss_warm_up(void)
{
	char buf[16384];
	struct passwd pw, *pwp = NULL;
	struct group gr, *grp = NULL;
	(void)getpwnam_r("root", &pw, buf, sizeof(buf), &pwp);
	(void)getpwuid_r(0, &pw, buf, sizeof(buf), &pwp);
	(void)getgrnam_r("root", &gr, buf, sizeof(buf), &grp);
	(void)getgrgid_r(0, &gr, buf, sizeof(buf), &grp);
}

/* SIGTERM and SIGINT end the loop through a signalfd; SIGHUP is ignored
 * (the configuration is reread per request anyway); SIGPIPE never kills. */
static int signals_setup(void)
{
	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -1;
	return signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
}

/* The lock, or -2 when another daemon serves. A holder without the
 * socket's name is starting, or leaving after --idle-exit (it takes the
 * name away first); a client that came in between started us: wait a
 * moment for the name to come or the lock to be free. */
static int take_lock(const struct daemon *dm, struct sosafe_err *e)
{
	for (int i = 0; i < LOCK_WAIT_ROUNDS; i++) {
		int fd = listen_lock(dm, e);
		if (fd != -2 || access(dm->socket_path, F_OK) == 0)
			return fd;
		usleep(LOCK_WAIT_US);
	}
	return -2;
}

static int detach(void)
{
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid > 0)
		_exit(0);   /* the socket is listening already: the caller may connect */
	if (setsid() < 0)
		return -1;
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null < 0)
		return -1;
	for (int fd = 0; fd <= 2; fd++)
		if (dup2(null, fd) < 0)
			return -1;
	if (null > 2)
		close(null);
	return 0;
}

int main(int argc, char **argv)
{
	struct daemon dm = { .conf_path = SOSAFE_CONF, .conf_missing_ok = true };
	bool foreground = false;
	if (parse_args(&dm, &foreground, argc, argv) < 0)
		return EXIT_USAGE;
	umask(077);
	openlog("sosafed", LOG_PID, LOG_AUTHPRIV);
	/* from the start: a SIGTERM while starting ends it cleanly too (the
	 * signalfd reads the signals of whichever process reads it: the
	 * detached child) */
	int signal_fd = signals_setup();
	if (signal_fd < 0)
		return 1;
	if (load_config(&dm) < 0)
		return EXIT_CONFIG;
	if (chdir("/") < 0)
		return 1;
	set_limits();

	struct sosafe_err e;
	int lock_fd = take_lock(&dm, &e);
	if (lock_fd == -2)
		return 0;   /* another daemon serves this state directory */
	if (lock_fd < 0) {
		fprintf(stderr, "sosafed: %s\n", e.msg);
		log_event(LOG_ERR, &daemon_log, "error", "%s", e.msg);
		return 1;
	}
	int listen_fd = listen_socket(&dm, &e);
	if (listen_fd < 0) {
		fprintf(stderr, "sosafed: %s\n", e.msg);
		log_event(LOG_ERR, &daemon_log, "error", "%s", e.msg);
		return 1;
	}
	if (!foreground && detach() < 0)
		return 1;
	listen_lock_pid(lock_fd);
	nss_warm_up();
	log_event(LOG_INFO, &daemon_log, "start", "serving %s (%s)", dm.cfg.state_dir,
		  dm.socket_activated ? "socket activation" : dm.socket_path);
	int rc = server_run(&dm, listen_fd, signal_fd);
	log_event(LOG_INFO, &daemon_log, "stop", NULL);
	return rc;
}
