# Shared part of the end-to-end suites (sourced, POSIX sh + a few bashisms
# avoided). Every suite runs as root against the BUILT tree inside its own
# sandbox so that nothing on the host changes, even if the suite is killed:
#
#   unshare --mount --pid --net   private mounts, processes and loopback
#   overlayfs on /etc             users (useradd/chpasswd), /etc/pam.d,
#                                 sudoers.d, /etc/security/sosafe.conf
#   overlayfs on the PAM module   the built pam_sosafe.so appears as
#   directory                     pam_sosafe.so, so contrib/pam.d stacks are
#                                 used verbatim
#   tmpfs on /run and /var/log    /run/sshd, sudo timestamps, utmp/wtmp, and
#                                 no host nscd answering for our users
#
# The PID namespace ends every process of the suite when it ends; servers
# are still stopped by PID in the trap. Usage in a suite:
#
#   . "$abs_top_srcdir/tests/e2e/lib.sh"
#   e2e_enter "$0"          # re-runs the script inside the sandbox
#   e2e_plan 5; ok "name" test ...; ...

: "${abs_top_srcdir:?run through make check-e2e}"
: "${abs_top_builddir:?run through make check-e2e}"

E2E_NAME=$(basename "$0" .test)
SOSAFECTL="$abs_top_builddir/sosafectl/sosafectl"
BUILT_MODULE="$abs_top_builddir/pam_sosafe/.libs/pam_sosafe.so"
CONTRIB="$abs_top_srcdir/contrib"
E2E_DIR="$abs_top_srcdir/tests/e2e"
# the configuration the built module and sosafectl read by default
SOSAFE_CONF_PATH=$(sed -n 's/^#define SOSAFE_CONF "\(.*\)"$/\1/p' "$abs_top_builddir/config.h")

e2e_bail() {
	echo "Bail out! $E2E_NAME: $*"
	exit 1
}

# Outside: make the temp dir, run the script again inside the namespaces
# (bounded in time), clean up. Inside: build the private filesystem view.
e2e_enter() {
	if [ -z "${SOSAFE_E2E_INSIDE:-}" ]; then
		[ "$(id -u)" = 0 ] || e2e_bail "needs root (make check-e2e runs as root in CI)"
		[ -f "$BUILT_MODULE" ] || e2e_bail "module not built: $BUILT_MODULE"
		[ -x "$SOSAFECTL" ] || e2e_bail "sosafectl not built: $SOSAFECTL"
		e2e_tmp=$(mktemp -d "/tmp/sosafe-e2e-$E2E_NAME.XXXXXX") || e2e_bail "mktemp"
		chmod 755 "$e2e_tmp"
		rc=0
		timeout --kill-after=10 "${E2E_TIMEOUT:-170}" \
			unshare --mount --pid --net --kill-child --mount-proc --propagation private \
			env SOSAFE_E2E_INSIDE=1 E2E_TMP="$e2e_tmp" sh "$1" || rc=$?
		[ -n "${E2E_KEEP:-}" ] || rm -rf "$e2e_tmp"
		[ "$rc" = 124 ] && echo "Bail out! $E2E_NAME: timed out"
		exit "$rc"
	fi
	T=$E2E_TMP
	trap e2e_cleanup EXIT
	trap 'exit 143' TERM INT HUP
	mkdir -p "$T/ovl/etc.u" "$T/ovl/etc.w" "$T/ovl/mod.u" "$T/ovl/mod.w" "$T/home" "$T/bin" ||
		e2e_bail "mkdir"
	moddir=$(dirname "$(ls /usr/lib/*/security/pam_unix.so /lib/*/security/pam_unix.so 2>/dev/null | head -n 1)")
	[ -d "$moddir" ] || e2e_bail "cannot find the PAM module directory (pam_unix.so)"
	moddir=$(readlink -f "$moddir")
	cp "$BUILT_MODULE" "$T/ovl/mod.u/pam_sosafe.so" || e2e_bail "copy module"
	mount -t overlay overlay -o "lowerdir=/etc,upperdir=$T/ovl/etc.u,workdir=$T/ovl/etc.w" /etc ||
		e2e_bail "overlay on /etc"
	mount -t overlay overlay -o "lowerdir=$moddir,upperdir=$T/ovl/mod.u,workdir=$T/ovl/mod.w" "$moddir" ||
		e2e_bail "overlay on $moddir"
	mount -t tmpfs -o mode=755 tmpfs /run || e2e_bail "tmpfs on /run"
	mount -t tmpfs -o mode=755 tmpfs /var/log || e2e_bail "tmpfs on /var/log"
	mkdir -m 755 /run/sshd /run/lock
	ip link set lo up || e2e_bail "loopback up"
	case "$SOSAFE_CONF_PATH" in
	/etc/*) ;;
	*) e2e_bail "built with a config outside /etc ($SOSAFE_CONF_PATH): cannot make it private" ;;
	esac
	mkdir -p "$(dirname "$SOSAFE_CONF_PATH")"
	e2e_write_conf ""
	"$SOSAFECTL" init >/dev/null || e2e_bail "sosafectl init"
}

E2E_PIDS=""
e2e_cleanup() {
	for p in $E2E_PIDS; do
		kill "$p" 2>/dev/null
	done
	for p in $E2E_PIDS; do
		wait "$p" 2>/dev/null
	done
	E2E_PIDS=""
}

# e2e_write_conf "extra lines": the private sosafe.conf (state in $T/state)
e2e_write_conf() {
	cat >"$SOSAFE_CONF_PATH" <<EOF
# private configuration of the $E2E_NAME suite
state_dir = $T/state
deny = 6
unlock_time = 600
$1
EOF
	chmod 644 "$SOSAFE_CONF_PATH"
}

# e2e_stack NAME SERVICE: install contrib/pam.d/NAME verbatim as SERVICE
e2e_stack() {
	cp "$CONTRIB/pam.d/$1" "/etc/pam.d/$2" || e2e_bail "install stack $1"
	chmod 644 "/etc/pam.d/$2"
}

# e2e_user NAME PASSWORD: a local user in the private /etc, home in $T
e2e_user() {
	useradd -M -d "$T/home/$1" -s /bin/sh "$1" || e2e_bail "useradd $1"
	mkdir -p "$T/home/$1" && chown "$1:" "$T/home/$1"
	printf '%s:%s\n' "$1" "$2" | chpasswd || e2e_bail "chpasswd $1"
}

# run NAME PID-list bookkeeping for servers
e2e_started() {
	E2E_PIDS="$E2E_PIDS $1"
}

# sosafectl shortcuts
ctl() {
	"$SOSAFECTL" --conf "$SOSAFE_CONF_PATH" "$@"
}
# status_field USER FIELD: one field of `sosafectl status USER --json`
status_field() {
	ctl status "$1" --json | jq -r ".$2"
}

# failures_are USER N (quiet, for wait_for)
failures_are() {
	[ "$(status_field "$1" failures)" = "$2" ]
}
# quiet COMMAND...: run with output only in the log when it fails
quiet() {
	"$@" >"$T/quiet.out" 2>&1 && return 0
	sed 's/^/#   /' "$T/quiet.out"
	return 1
}

# ---- TAP ---------------------------------------------------------------
e2e_n=0
e2e_plan() {
	echo "1..$1"
}
# ok NAME COMMAND...: passes when COMMAND exits 0
ok() {
	e2e_name=$1
	shift
	e2e_n=$((e2e_n + 1))
	if "$@"; then
		echo "ok $e2e_n - $e2e_name"
	else
		echo "not ok $e2e_n - $e2e_name"
	fi
}
# diag TEXT: a comment line for the log
diag() {
	printf '%s\n' "$*" | sed 's/^/# /'
}
# eq A B: string equality that says what it saw when it fails
eq() {
	[ "$1" = "$2" ] && return 0
	diag "expected '$2', got '$1'"
	return 1
}
# contains FILE PATTERN (grep -E)
contains() {
	grep -Eq -- "$2" "$1" && return 0
	diag "'$2' not found in $1:"
	tail -n 15 "$1" | sed 's/^/#   /'
	return 1
}
lacks() {
	grep -Eq -- "$2" "$1" || return 0
	diag "'$2' unexpectedly found in $1"
	return 1
}
# wait_for SECONDS COMMAND...: poll until COMMAND succeeds
wait_for() {
	e2e_w=$(($1 * 10))
	shift
	while [ "$e2e_w" -gt 0 ]; do
		"$@" 2>/dev/null && return 0
		sleep 0.1
		e2e_w=$((e2e_w - 1))
	done
	return 1
}
