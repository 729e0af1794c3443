#!/bin/sh
# sosafed stays responsive whatever one client does: malformed and
# oversized frames get SD_BAD_REQUEST and the daemon keeps serving; a client
# that connects and stalls (nothing, or half a frame) is cut off at its
# deadline while other requests pass at once; an unprivileged uid that
# floods gets SD_BUSY, and cannot hold more than a few connections, while
# privileged requests still pass. TAP output.
set -u
. "$(dirname "$0")/lib.sh"
daemon_setup sosafed-lim
plan 14
if [ "$(id -u)" = 0 ]; then
	daemon_start
else
	daemon_start --strict-peers   # our own uid is then an unprivileged peer
fi
ms() { echo $(( $(date +%s%N) / 1000000 )); }

t "garbage payload: bad-request" "$(req ping >/dev/null; "$CLIENT" "$SOCK" --raw 0102ff)" bad-request
t "unknown version: bad-request" "$("$CLIENT" "$SOCK" --raw 0901)" bad-request
t "trailing bytes: bad-request" "$("$CLIENT" "$SOCK" --raw 010101000161ff)" bad-request
t "NUL in a name: bad-request" "$("$CLIENT" "$SOCK" --raw 01020100026100)" bad-request
out=$("$CLIENT" "$SOCK" --bytes 0000ffff01 --stall 5)
case $out in "closed after "*) ok "a frame over the limit is refused at its header ($out)" ;;
	*) nok "a frame over the limit is refused at its header ($out)" ;; esac
t "... and the daemon keeps serving" "$("$CLIENT" "$SOCK" ping)" allow

# stalled clients: one sends nothing, one half a frame
"$CLIENT" "$SOCK" --bytes "" --stall 6 > "$T/stall1" &
s1=$!
"$CLIENT" "$SOCK" --bytes 0000000a0101 --stall 6 > "$T/stall2" &
s2=$!
sleep 0.3
start=$(ms)
r=$("$CLIENT" "$SOCK" ping)
took=$(( $(ms) - start ))
t "a request passes while two clients stall" "$r" allow
check "... at once (${took} ms)" test "$took" -lt 1000
wait $s1 $s2
stalled() { # FILE: closed between 1.5 and 4 s
	n=$(sed -n 's/^closed after \([0-9]*\) ms$/\1/p' "$1")
	[ -n "$n" ] && [ "$n" -ge 1500 ] && [ "$n" -le 4000 ] || { diag "$(cat "$1")"; return 1; }
}
check "a client sending nothing is closed at its deadline" stalled "$T/stall1"
check "a client sending half a frame is closed at its deadline" stalled "$T/stall2"

# a flood from one unprivileged uid
as_peer "$CLIENT" "$SOCK" --count 60 ping > "$T/flood"
busy=$(sed -n 's/.*busy=\([0-9]*\).*/\1/p' "$T/flood")
check "a flood from one unprivileged uid gets busy ($(cat "$T/flood"))" test "${busy:-0}" -gt 0
if [ "$(id -u)" = 0 ]; then
	t "... while root still passes" "$("$CLIENT" "$SOCK" ping)" allow
else
	ok "... while root still passes # SKIP needs root"
fi
# an unprivileged uid holds at most a few connections
sleep 2.5   # the bucket refills
for i in 1 2 3 4 5 6; do
	as_peer "$CLIENT" "$SOCK" --bytes "" --stall 4 > "$T/hold$i" &
	eval "h$i=\$!"
done
sleep 0.5
if [ "$(id -u)" = 0 ]; then
	t "root passes while an unprivileged uid holds connections" "$("$CLIENT" "$SOCK" ping)" allow
else
	ok "root passes while an unprivileged uid holds connections # SKIP needs root"
fi
wait $h1 $h2 $h3 $h4 $h5 $h6
quick=0
for i in 1 2 3 4 5 6; do
	n=$(sed -n 's/^closed after \([0-9]*\) ms$/\1/p' "$T/hold$i")
	[ -n "$n" ] && [ "$n" -lt 1000 ] && quick=$((quick + 1))
done
t "of six stalled connections of one uid, two are refused at once" "$quick" 2
daemon_stop
tap_done
