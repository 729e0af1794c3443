#!/bin/sh
# What a login costs with sosafed deciding (not a test; take the numbers on a
# quiet machine, as root):
#   (a) instructions in the calling process per full login (auth + account,
#       right code), callgrind of tests/torture/pam_drive, against the same
#       driver on a pam_permit stack;
#   (b) median wall per full login at each size of BENCH_USERS, next to
#       pam_google_authenticator and pam_faillock+pam_oath in the same run
#       (bench/auth/bench_auth seeds every backend);
#   (c) daemon logins per second with BENCH_CLIENTS concurrent clients
#       (tests/integration/pam_threads: one thread each, password logins:
#       preauth + authsucc + account) and the daemon's RSS, at each size.
#   bench/daemon/run.sh BUILD_DIR
# Environment: BENCH_CONF_EXTRA (lines added to the configuration of (b) and
# (c): bench/daemon/pg-run.sh names the PostgreSQL store there), BENCH_USERS (default "1000 1000000"), BENCH_K (logins per
# stack and path, 200), BENCH_CLIENTS (64), BENCH_ROUNDS (logins per client,
# 50), BENCH_RUNS (callgrind runs, median, 3).
# Needs valgrind, oathtool, libnss-wrapper, libpam-oath,
# libpam-google-authenticator. Markdown tables on stdout.
set -eu
B=$(cd "${1:?build dir}" && pwd)
USERS=${BENCH_USERS:-"1000 1000000"}
K=${BENCH_K:-200}
CLIENTS=${BENCH_CLIENTS:-64}
ROUNDS=${BENCH_ROUNDS:-50}
RUNS=${BENCH_RUNS:-3}
MOD="$B/pam_sosafe/.libs/pam_sosafe.so"
CTL="$B/sosafectl/sosafectl"
DAEMON="$B/sosafed/sosafed"
DRV="$B/tests/torture/pam_drive"
THREADED="$B/tests/integration/pam_threads"
AUTH="$B/bench/auth/bench_auth"
SECRET=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP
USER_NAME=${BENCH_USER:-nobody}   # a local account every Debian host has
for t in valgrind callgrind_annotate oathtool; do
	command -v "$t" >/dev/null || { echo "run.sh: $t is missing" >&2; exit 2; }
done
for f in "$MOD" "$CTL" "$DAEMON" "$DRV" "$THREADED" "$AUTH"; do
	[ -e "$f" ] || { echo "run.sh: not built: $f" >&2; exit 2; }
done
W=$(mktemp -d /var/tmp/sosafe-bench-daemon-XXXXXX)
chmod 755 "$W"
DPID=""
stop_daemon() {
	[ -z "$DPID" ] || { kill "$DPID" 2>/dev/null; wait "$DPID" 2>/dev/null || true; }
	DPID=""
}
trap 'stop_daemon; rm -rf "$W"' EXIT
trap 'exit 130' INT TERM

# start_daemon CONF STATE_DIR [ENV...]: sosafed in the foreground of this
# script, ready when its socket answers
start_daemon() {
	c=$1 s=$2
	shift 2
	env "$@" "$DAEMON" --conf "$c" --foreground &
	DPID=$!
	i=0
	until [ -S "$s/sosafed.sock" ]; do
		i=$((i + 1))
		[ "$i" -lt 100 ] || { echo "run.sh: sosafed did not start" >&2; exit 1; }
		sleep 0.1
	done
}

# ---- (a) instructions in the calling process ----------------------------
# (the same whatever the store: BENCH_CALLER=no skips it)
if [ "${BENCH_CALLER:-yes}" != no ]; then
A="$W/a"
mkdir -p "$A/pam.d"
printf 'state_dir = %s/state\nsecret_key_file = %s/sosafe.key\nwindow = 10\n' "$A" "$A" >"$A/sosafe.conf"
chmod 600 "$A/sosafe.conf"
"$CTL" --conf "$A/sosafe.conf" init >/dev/null
printf "%s\n" "$SECRET" | "$CTL" --conf "$A/sosafe.conf" enroll "$USER_NAME" --secret - --no-confirm --no-qr >/dev/null
cat >"$A/pam.d/sosafe" <<PAM
auth     requisite  $MOD preauth conf=$A/sosafe.conf
auth     required   pam_permit.so
auth     required   $MOD otp conf=$A/sosafe.conf
account  required   $MOD conf=$A/sosafe.conf
PAM
cat >"$A/pam.d/permit" <<PAM
auth     required   pam_permit.so
account  required   pam_permit.so
PAM
start_daemon "$A/sosafe.conf" "$A/state"
step=0
# instructions SERVICE: the whole calling process, one login (a code not
# used before: a later time step each run, within window)
instructions() {
	code=$(oathtool --totp -b -N "now + $((step * 30)) seconds" "$SECRET")
	step=$((step + 1))
	valgrind --tool=callgrind --callgrind-out-file="$A/cg.out" "$DRV" -d "$A/pam.d" -s "$1" \
		-u "$USER_NAME" -p "$code" -a >"$A/drive.log" 2>"$A/vg.log" ||
		{ cat "$A/drive.log" "$A/vg.log" >&2; echo "run.sh: the $1 login failed" >&2; exit 1; }
	callgrind_annotate "$A/cg.out" 2>/dev/null | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1 }'
}
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
"$DRV" -d "$A/pam.d" -s permit -u "$USER_NAME" >/dev/null   # warm caches
for s in permit sosafe; do
	for i in $(seq "$RUNS"); do instructions "$s"; done | median >"$A/$s"
done
stop_daemon
permit=$(cat "$A/permit") sosafe=$(cat "$A/sosafe")
echo "| (a) one full login, calling process | instructions |"
echo "|---|---|"
echo "| pam_permit stack (baseline) | $permit |"
echo "| sosafe stack (preauth + otp + account) | $sosafe |"
echo "| above the baseline (target <= 500000) | $((sosafe - permit)) |"
echo
fi

# ---- (b) and (c) at each size --------------------------------------------
echo "| (b) enrolled users | stack | path | n | median ms | p90 ms | mean ms | median CPU ms | wrong results |"
echo "|---|---|---|---|---|---|---|---|---|"
for n in $USERS; do
	d="$W/n$n"
	t0=$(date +%s)
	"$AUTH" setup "$d" "$n" >&2
	echo "setup of $n users: $(($(date +%s) - t0)) s; store $(du -sh "$d/state" | cut -f1)" >&2
	NSSW="NSS_WRAPPER_PASSWD=$d/passwd NSS_WRAPPER_GROUP=$d/group LD_PRELOAD=libnss_wrapper.so"
	# shellcheck disable=SC2086
	start_daemon "$d/sosafe.conf" "$d/state" $NSSW
	# shellcheck disable=SC2086
	env $NSSW "$AUTH" run "$d" "$n" "$K" "$MOD"

	# (c) password logins of CLIENTS distinct enrolled users at once
	mkdir -p "$d/pam.c"
	cat >"$d/pam.c/pw" <<PAM
auth     requisite  $MOD preauth conf=$d/sosafe.conf
auth     required   pam_permit.so
auth     required   $MOD authsucc conf=$d/sosafe.conf
account  required   $MOD conf=$d/sosafe.conf
PAM
	jobs=$(awk -F: -v c="$CLIENTS" -v r="$ROUNDS" 'NR > 1 && NR <= c + 1 { printf "%s:x:%d ", $1, r }' "$d/passwd")
	t0=$(date +%s%N)
	# shellcheck disable=SC2086
	env $NSSW "$THREADED" "$d/pam.c" pw $jobs >"$d/threads.out"
	ms=$((($(date +%s%N) - t0) / 1000000))
	ok=$(sed -n 's/.* success=\([0-9]*\) .*/\1/p' "$d/threads.out" | awk '{ s += $1 } END { print s + 0 }')
	rss=$(awk '/^VmRSS/ { print $2 }' "/proc/$DPID/status")
	hwm=$(awk '/^VmHWM/ { print $2 }' "/proc/$DPID/status")
	echo "$n $CLIENTS $ok $ms $((ok * 1000 / (ms > 0 ? ms : 1))) $rss $hwm" >>"$W/c"
	stop_daemon
	rm -rf "$d"
done
echo
echo "| (c) enrolled users | clients | logins ok | wall ms | logins/s | daemon RSS kB | daemon peak RSS kB |"
echo "|---|---|---|---|---|---|---|"
awk '{ printf "| %s | %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6, $7 }' "$W/c"
