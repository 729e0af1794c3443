# Shared by the daemon tests (sourced): a private state directory, the
# built sosafed on it (stopped by its PID at exit), the test client.
#   daemon_setup NAME     $T (the temp dir), $T/conf, an initialised store
#   daemon_start [ARGS]   start sosafed in the foreground, wait for its answer
#   daemon_stop           SIGTERM, wait; $daemon_rc holds its exit status
#   req KIND [k=v...]     one request with this test's conf=
#   as_peer CMD...        run CMD as an unprivileged peer: user nobody when
#                         root, else ourselves (the daemon then needs
#                         --strict-peers)
B=${abs_top_builddir:?}
CTL=$B/sosafectl/sosafectl
SOSAFED=$B/sosafed/sosafed
CLIENT=$B/tests/daemon/sd_client
. "$(dirname "$0")/../lib/tap.sh"

daemon_pid=
daemon_setup() {
	tap_tmpdir "$1"
	T=$tmp
	trap 'daemon_kill; [ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
	mkdir -p "$T/state"
	chmod 755 "$T/state"
	cat > "$T/conf" <<EOC
state_dir = $T/state
secret_key_file = $T/sosafe.key
deny = 3
fail_delay_ms = 0
entitled_group = sosafe-users
max_snapshot_age = 1h
EOC
	chmod 600 "$T/conf"
	"$CTL" --conf "$T/conf" init >/dev/null || bail "sosafectl init failed"
	SOCK=$T/state/sosafed.sock
}

# wait_for COMMAND...: up to 5 s for COMMAND to succeed
wait_for() {
	i=0
	while [ $i -lt 50 ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

pinged() { [ "$("$CLIENT" "$SOCK" ping 2>/dev/null)" = allow ]; }

daemon_start() {
	"$SOSAFED" --conf "$T/conf" --foreground "$@" &
	daemon_pid=$!
	wait_for pinged || diag "sosafed does not answer"
}

daemon_stop() {
	daemon_rc=
	[ -n "$daemon_pid" ] || return 0
	kill -TERM "$daemon_pid" 2>/dev/null
	wait "$daemon_pid"
	daemon_rc=$?
	daemon_pid=
}

daemon_kill() {
	[ -n "$daemon_pid" ] && kill -KILL "$daemon_pid" 2>/dev/null
	daemon_pid=
}

req() {
	kind=$1
	shift
	"$CLIENT" "$SOCK" "$kind" conf="$T/conf" "$@"
}

if [ "$(id -u)" = 0 ]; then
	PEER_USER=nobody
	as_peer() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }
else
	PEER_USER=$(id -un)
	as_peer() { "$@"; }
fi
