#!/bin/sh
# What a fleet on one PostgreSQL store costs (not a test; as root, on a
# quiet machine):
#   (d) successful password logins per second (preauth + authsucc +
#       account) with HOSTS hosts x CALLERS threads each (one
#       tests/integration/pam_threads process per host, like a VPN gateway),
#       all hosts on one database over TLS; next to one host on the same
#       database and one host on its own SQLite store;
#   (e) instructions sosafed executes per login (callgrind, the daemon
#       only: the PostgreSQL server's work is another process), SQLite
#       against PostgreSQL, N sequential logins minus none.
#   bench/fleet/run.sh BUILD_DIR
# Environment: BENCH_HOSTS (4), BENCH_CALLERS (16), BENCH_ROUNDS (logins per
# caller, 50), BENCH_N (logins under callgrind, 200), BENCH_PG_PORT (55498).
# Needs postgresql-15, openssl, valgrind, libnss-wrapper. Markdown on stdout.
set -eu
B=$(cd "${1:?build dir}" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../lib/pg-cluster.sh"
HOSTS=${BENCH_HOSTS:-4}
CALLERS=${BENCH_CALLERS:-16}
ROUNDS=${BENCH_ROUNDS:-50}
N=${BENCH_N:-200}
MOD="$B/pam_sosafe/.libs/pam_sosafe.so"
CTL="$B/sosafectl/sosafectl"
DAEMON="$B/sosafed/sosafed"
DRV="$B/tests/torture/pam_drive"
THREADED="$B/tests/integration/pam_threads"
for f in "$MOD" "$CTL" "$DAEMON" "$DRV" "$THREADED"; do
	[ -e "$f" ] || { echo "run.sh: not built: $f" >&2; exit 2; }
done
command -v valgrind >/dev/null || { echo "run.sh: valgrind is missing" >&2; exit 2; }
W=$(mktemp -d /var/tmp/sosafe-bench-fleet-XXXXXX)
chmod 755 "$W"
DPIDS=""
stop_daemons() {
	for p in $DPIDS; do kill "$p" 2>/dev/null || true; done
	for p in $DPIDS; do wait "$p" 2>/dev/null || true; done
	DPIDS=""
}
trap 'stop_daemons; bench_pg_stop; rm -rf "$W"' EXIT
trap 'exit 130' INT TERM
bench_pg_start "$W/pg" "${BENCH_PG_PORT:-55498}"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo

# the callers' accounts, through nss_wrapper for sosafed and the callers
: >"$W/passwd"
i=0
while [ "$i" -lt $((HOSTS * CALLERS)) ]; do
	echo "fb$i:x:$((30000 + i)):100::/nonexistent:/bin/sh" >>"$W/passwd"
	i=$((i + 1))
done
printf 'users:x:100:\n' >"$W/group"
NSSW="NSS_WRAPPER_PASSWD=$W/passwd NSS_WRAPPER_GROUP=$W/group LD_PRELOAD=libnss_wrapper.so"

# host NAME STORE-LINES: configuration, state, PAM service "pw" of host NAME
host() {
	mkdir -p "$W/$1/pam.d"
	printf 'state_dir = %s/%s/state\nsecret_key_file = %s/sosafe.key\nnodelay = yes\n%s\n' \
		"$W" "$1" "$W" "$2" >"$W/$1/sosafe.conf"
	chmod 600 "$W/$1/sosafe.conf"
	"$CTL" --conf "$W/$1/sosafe.conf" init >/dev/null
	cat >"$W/$1/pam.d/pw" <<-PAM
	auth     requisite  $MOD preauth conf=$W/$1/sosafe.conf
	auth     required   pam_permit.so
	auth     required   $MOD authsucc conf=$W/$1/sosafe.conf
	account  required   $MOD conf=$W/$1/sosafe.conf
	PAM
}
start_daemon() {   # start_daemon HOST [valgrind args...]
	h=$1
	shift
	rm -f "$W/$h/state/sosafed.sock"   # the last daemon's: wait for this one's
	# shellcheck disable=SC2086
	env $NSSW "$@" "$DAEMON" --conf "$W/$h/sosafe.conf" --foreground &
	DPIDS="$DPIDS $!"
	i=0
	until [ -S "$W/$h/state/sosafed.sock" ]; do
		i=$((i + 1))
		[ "$i" -lt 300 ] || { echo "run.sh: sosafed of $h did not start" >&2; exit 1; }
		sleep 0.1
	done
}
PG="store = postgresql
pg_conninfo_file = $W/pg/conninfo"
for h in $(seq "$HOSTS"); do
	host "pg$h" "$PG"
	[ "$h" = 1 ] || install -m 600 "$W/pg1/state/audit.key" "$W/pg$h/state/audit.key"
done
host lite ""

# run_hosts FIRST COUNT PREFIX: COUNT hosts PREFIX1.. each with CALLERS
# threads, all at once; prints "logins_ok wall_ms"
run_hosts() {
	t0=$(date +%s%N)
	pids=""
	h=1
	while [ "$h" -le "$2" ]; do
		dir=$W/$3$h
		[ "$3" = lite ] && dir=$W/lite
		jobs=""
		i=0
		while [ "$i" -lt "$CALLERS" ]; do
			jobs="$jobs fb$(((h - 1) * CALLERS + i)):x:$ROUNDS"
			i=$((i + 1))
		done
		# shellcheck disable=SC2086
		env $NSSW "$THREADED" "$dir/pam.d" pw $jobs >"$W/threads$h.out" 2>&1 &
		pids="$pids $!"
		h=$((h + 1))
	done
	for p in $pids; do wait "$p"; done
	ms=$((($(date +%s%N) - t0) / 1000000))
	ok=$(cat "$W"/threads*.out | sed -n 's/.* success=\([0-9]*\) .*/\1/p' | awk '{ s += $1 } END { print s + 0 }')
	rm -f "$W"/threads*.out
	echo "$ok $ms"
}
row() {   # row LABEL HOSTS "ok ms"
	set -- "$1" "$2" $3
	echo "| $1 | $2 | $CALLERS | $3 | $4 | $(($3 * 1000 / ($4 > 0 ? $4 : 1))) |"
}
echo "| (d) store | hosts | callers each | logins ok | wall ms | logins/s |"
echo "|---|---|---|---|---|---|"
start_daemon lite
r=$(run_hosts 1 1 lite)
row "SQLite, one host" 1 "$r"
stop_daemons
start_daemon pg1
r=$(run_hosts 1 1 pg)
row "PostgreSQL (TLS), one host" 1 "$r"
for h in $(seq 2 "$HOSTS"); do start_daemon "pg$h"; done
r=$(run_hosts 1 "$HOSTS" pg)
row "PostgreSQL (TLS), shared" "$HOSTS" "$r"
stop_daemons
echo

# (e) sosafed's instructions per login
inst() {   # inst HOST COUNT: sosafed's total instructions for COUNT logins
	start_daemon "$1" valgrind --tool=callgrind --callgrind-out-file="$W/cg.$1.$2" -q
	"$DRV" -d "$W/$1/pam.d" -s pw -u fb0 -n "$2" >/dev/null 2>&1 || true
	stop_daemons
	callgrind_annotate "$W/cg.$1.$2"* 2>/dev/null | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1 }'
}
echo "| (e) store | sosafed instructions per login |"
echo "|---|---|"
for h in lite pg1; do
	a=$(inst "$h" 1)
	b=$(inst "$h" $((N + 1)))
	label=SQLite
	[ "$h" = pg1 ] && label="PostgreSQL (TLS; the server's own work not counted)"
	echo "| $label | $(((b - a) / N)) |"
done
echo
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
