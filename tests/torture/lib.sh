# Shared helpers of the root torture/fault/hostile tests. Source it.
# Needs root, util-linux (unshare, mount, setpriv), sqlite3, python3.

: "${abs_top_builddir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${abs_top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
MOD=$abs_top_builddir/pam_sosafe/.libs/pam_sosafe.so
CTL=$abs_top_builddir/sosafectl/sosafectl
DRIVE=$abs_top_builddir/tests/torture/pam_drive
. "$abs_top_srcdir/tests/lib/tap.sh"
not() { ! "$@"; }

require_root() {
	if [ "$(id -u)" != 0 ]; then
		tap_abort "$(basename "$0") must run as root (make check-e2e)"
	fi
	for f in "$MOD" "$CTL" "$DRIVE"; do
		if [ ! -x "$f" ] && [ ! -f "$f" ]; then
			tap_abort "$f not built (run make check first)"
		fi
	done
}

# Re-run this script in a private mount namespace with a private /dev/log
# served by tests/torture/syslog_listen.py; $SYSLOG is the captured file.
enter_private_syslog() {
	if [ -z "${SOSAFE_IN_NS:-}" ]; then
		SOSAFE_IN_NS=1 exec unshare -m --propagation private "$SHELL" "$0" "$@"
	fi
	_dev=$(mktemp -d /tmp/sosafe-dev.XXXXXX)
	mount --bind /dev "$_dev"
	mount -t tmpfs -o mode=0755,size=1m sosafe-dev /dev
	for n in null zero full random urandom tty; do
		[ -e "$_dev/$n" ] || continue
		: >"/dev/$n"; mount --bind "$_dev/$n" "/dev/$n"
	done
	ln -s /proc/self/fd /dev/fd
	SYSLOG=$(mktemp /tmp/sosafe-syslog.XXXXXX)
	python3 "$abs_top_srcdir/tests/torture/syslog_listen.py" /dev/log "$SYSLOG" &
	SYSLOG_PID=$!
	for _i in $(seq 50); do grep -q listening "$SYSLOG" 2>/dev/null && break; sleep 0.1; done
}
stop_private_syslog() {
	[ -n "${SYSLOG_PID:-}" ] && kill "$SYSLOG_PID" 2>/dev/null
	wait "$SYSLOG_PID" 2>/dev/null
	rm -f "$SYSLOG"
}

# make_env DIR [extra config lines...]: state dir, config and three services:
#   good: the password module says yes (pam_permit), bad: it says no (pam_deny),
#   acct: only the account phase of pam_sosafe
make_env() {
	_d=$1; shift
	mkdir -p "$_d/state" "$_d/pam.d"
	chmod 0755 "$_d" "$_d/state"
	{
		echo "state_dir = $_d/state"
		echo "secret_key_file = $_d/sosafe.key"
		echo "nodelay = yes"
		echo "store_timeout_ms = 5000"
		echo "sosafed_path = $abs_top_builddir/sosafed/sosafed"
		for l in "$@"; do echo "$l"; done
	} >"$_d/sosafe.conf"
	chmod 0644 "$_d/sosafe.conf"
	for s in good bad; do
		m=pam_permit.so; [ "$s" = bad ] && m=pam_deny.so
		cat >"$_d/pam.d/$s" <<EOS
auth     requisite  $MOD preauth conf=$_d/sosafe.conf
auth     requisite  $m
auth     required   $MOD authsucc conf=$_d/sosafe.conf
account  required   $MOD conf=$_d/sosafe.conf
EOS
	done
	# account phase alone (auth always passes)
	cat >"$_d/pam.d/acct" <<EOS
auth     required   pam_permit.so
account  required   $MOD conf=$_d/sosafe.conf
EOS
}

ctl() { "$CTL" --conf "$ENVDIR/sosafe.conf" "$@"; }

# drive SERVICE USER [pam_drive args]: one bounded conversation, prints result
drive() {
	_s=$1 _u=$2; shift 2
	timeout -s KILL "${DRIVE_TIMEOUT:-15}" "$DRIVE" -d "$ENVDIR/pam.d" -s "$_s" -u "$_u" -a "$@"
}

# sql QUERY: read the state store of $ENVDIR
sql() { sqlite3 -batch -noheader -cmd ".timeout 5000" "$ENVDIR/state/state.db" "$@"; }
