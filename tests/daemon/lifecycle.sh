#!/bin/sh
# One sosafed per state directory: a second one exits quietly and the first
# keeps the socket; SIGTERM stops it cleanly and a restart serves the same
# socket path; one started while the last one leaves takes over; without
# --foreground it detaches and writes its pid; with --idle-exit it leaves
# when idle and takes the socket's name with it; a counted attempt survives
# a SIGKILL of the daemon. TAP output.
set -u
. "$(dirname "$0")/lib.sh"
daemon_setup sosafed-life
plan 16

daemon_start
first=$daemon_pid
t "the lock file holds the daemon's pid" "$(cat "$T/state/sosafed.lock")" "$first"
t "the socket is open to every local user (the daemon decides by SO_PEERCRED)" \
	"$(stat -c %a "$SOCK")" 666
t "the lock file is private" "$(stat -c %a "$T/state/sosafed.lock")" 600
"$SOSAFED" --conf "$T/conf" --foreground > "$T/second.out" 2>&1 &
second=$!
wait $second
t "a second daemon on the same state directory exits 0" "$?" 0
t "... quietly" "$(cat "$T/second.out")" ""
t "... and the first one still serves" "$(req ping)" allow
t "... alone on one socket" "$(ls "$T/state" | grep -c sosafed.sock)" 1

# the first one leaving (lock held, socket name gone) when a client starts a
# second one: the second waits and takes over
daemon_stop
flock "$T/state/sosafed.lock" sleep 1 &
holder=$!
sleep 0.2
rm -f "$SOCK"
daemon_start
t "a daemon started while the last one leaves takes over" "$(req ping)" allow
wait $holder

req preauth user=alice >/dev/null
daemon_stop
t "SIGTERM stops it with status 0" "$daemon_rc" 0
daemon_start
t "a restarted daemon serves the same socket path" "$(req ping)" allow
t "... and the store kept the attempt" "$(req preauth user=alice)" "allow seq_action=set seq=2"
kill -KILL "$daemon_pid"
wait "$daemon_pid" 2>/dev/null
daemon_pid=
daemon_start
t "after a SIGKILL the next daemon serves, the attempts all counted" "$(req preauth user=alice)" \
	"allow seq_action=set seq=3"
daemon_stop

"$SOSAFED" --conf "$T/conf"
t "without --foreground it detaches (the caller gets 0 at once)" "$?" 0
wait_for pinged
pid=$(cat "$T/state/sosafed.lock")
check "... and runs as the pid in its lock file" kill -0 "$pid"
kill -TERM "$pid"
wait_for sh -c "! kill -0 $pid"

"$SOSAFED" --conf "$T/conf" --foreground --idle-exit 1 &
daemon_pid=$!
wait_for pinged
gone() { ! kill -0 "$daemon_pid" 2>/dev/null; }
wait_for gone
check "--idle-exit: it leaves when idle" gone
check "... and takes the socket's name with it (clients start a new one)" test ! -e "$SOCK"
wait "$daemon_pid" 2>/dev/null
daemon_pid=
tap_done
