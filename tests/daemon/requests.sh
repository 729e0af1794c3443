#!/bin/sh
# sosafed's decisions through its socket: lockout (preauth, authsucc), the
# second factor (right, wrong, replayed; forward_pass and its OpenVPN form),
# the account phase (locked, deactivated, inactive, and a login recorded by
# the account phase alone), the configuration per request, and what an
# unprivileged peer may ask. TAP output. Needs oathtool.
set -u
. "$(dirname "$0")/lib.sh"
daemon_setup sosafed-req
plan 44
ctl() { "$CTL" --conf "$T/conf" "$@"; }
first() { sed -n 1p; }

if [ "$(id -u)" = 0 ]; then
	daemon_start
else
	daemon_start
	# a second daemon whose owner has no privilege, for the peer rules
	mkdir -p "$T/peer/state"
	sed "s|$T/state|$T/peer/state|" "$T/conf" > "$T/peer/conf"
	chmod 600 "$T/peer/conf"
	"$CTL" --conf "$T/peer/conf" init >/dev/null
	"$SOSAFED" --conf "$T/peer/conf" --strict-peers >/dev/null 2>&1
fi

t "ping" "$(req ping)" allow

# --- lockout ---
t "preauth counts attempt 1" "$(req preauth user=alice service=sshd)" "allow seq_action=set seq=1"
t "preauth counts attempt 2" "$(req preauth user=alice service=sshd)" "allow seq_action=set seq=2"
t "preauth counts attempt 3 (deny = 3 reached)" "$(req preauth user=alice service=sshd)" \
	"allow seq_action=set seq=3"
t "preauth refuses a locked account like a wrong password" "$(req preauth user=alice service=sshd)" \
	deny-as-failure
t "... the lock is in the store" "$(ctl status alice --json | grep -c '"locked":true')" 1
t "show_lock on the line: said, and a plain deny" \
	"$(req preauth user=alice service=sshd word=show_lock | tr '\n' '|')" \
	"deny|info: The account is locked; try again in 10 minute(s).|"
t "silent: nothing said, refused like a wrong password" \
	"$(req preauth user=alice word=show_lock flags=silent)" deny-as-failure
t "account phase refuses the locked account" "$(req account user=alice)" deny
t "authsucc of a counted attempt clears the lock" "$(req authsucc user=alice seq=3)" \
	"allow seq_action=forget seq=0"
t "... and the account phase lets alice in" "$(req account user=alice)" allow
t "authsucc without a counted attempt while unlocked passes" "$(req authsucc user=alice)" \
	"allow seq_action=forget seq=0"
t "an invalid user name is refused like a wrong password" "$(req preauth "user=a/b")" \
	deny-as-failure
t "the line's words count: deny=1 locks at once" \
	"$(req preauth user=bob word=deny=1; req preauth user=bob word=deny=1)" \
	"allow seq_action=set seq=1
deny-as-failure"
ctl unlock bob >/dev/null

# parallel clients: every attempt counted exactly once
for i in 1 2 3 4; do
	(for j in 1 2 3 4 5 6 7 8 9 10; do req preauth user=par word=deny=64 word=deny_per_period=0; done) > "$T/par$i" &
	eval "par$i=\$!"
done
wait $par1 $par2 $par3 $par4
t "40 attempts from 4 parallel clients: 40 distinct numbers" \
	"$(cat "$T"/par? | sort -u | grep -c 'allow seq_action=set')" 40
t "... and 40 in the store" "$(ctl status par --json | grep -o '"attempts":[0-9]*')" '"attempts":40'

# --- second factor ---
K=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ
for u in carol dave erin; do
	echo $K | ctl enroll $u --secret - --no-confirm --no-qr >/dev/null 2>&1 || diag "enroll $u failed"
done
code=$(oathtool --totp -b $K)
wrong=$(printf '%06d' $(( (1${code} - 1000000 + 500000) % 1000000 )))
t "otp: a wrong code is refused and counted" "$(req otp user=carol answer=$wrong)" \
	"deny seq_action=set seq=1"
t "otp: the right code passes and settles the attempt" "$(req otp user=carol answer=$code)" \
	"allow seq_action=forget seq=0"
t "otp: the same code again is a replay" "$(req otp user=carol answer=$code | first)" \
	"deny seq_action=set seq=3"
t "otp: a user without a secret is refused (no_secret = deny)" \
	"$(req otp user=frank answer=$code | first)" "deny seq_action=set seq=1"
seq=$(req preauth user=dave | sed -n 's/.*seq=//p')
t "forward_pass: right code, the password is the answer's first 7 bytes" \
	"$(req otp user=dave flags=forward_pass seq=$seq answer="hunter2$code")" "allow password_len=7"
t "... the attempt stays counted for authsucc" "$(ctl status dave --json | grep -o '"failures":[0-9]*')" \
	'"failures":1'
scrv=SCRV1:$(printf 'pass word' | base64):$(printf '%s' "$code" | base64)
t "forward_pass, OpenVPN's SCRV1 form: the decoded password is handed back" \
	"$(req otp user=erin flags=forward_pass answer="$scrv" | first)" \
	"allow seq_action=set seq=1 authtok=pass word"
t "forward_pass without a secret: all of the field is the password" \
	"$(req otp user=frank flags=forward_pass word=no_secret=allow answer=secretpw | first)" \
	"allow seq_action=set seq=2 password_len=8"

# --- account phase: the directory ---
now=$(date +%s)
export_json() { # hank-enabled
	cat > "$T/export.json" <<EOJ
{"users": [
  {"name": "gina", "enabled": true, "groups": ["sosafe-users"]},
  {"name": "hank", "enabled": $1, "groups": ["sosafe-users"]},
  {"name": "ivan", "enabled": true, "groups": ["sosafe-users"]}
]}
EOJ
}
export_json true
ctl sync --from "$T/export.json" --now $((now - 10 * 86400)) >/dev/null || diag "sync failed"
export_json false
ctl sync --from "$T/export.json" >/dev/null || diag "sync failed"
t "a deactivated directory user is refused (expired)" "$(req account user=hank)" expired
t "an idle directory user is refused by inactive_days" \
	"$(req account user=ivan word=inactive_days=5)" expired
t "an active directory user passes the account phase" \
	"$(req account user=gina word=inactive_days=20)" allow
# gina logged in with a key only (no auth step of ours ran): that login counts
t "... and is not taken for an idle one afterwards" \
	"$(req account user=gina word=inactive_days=5)" allow
t "the account phase recorded the login" \
	"$(ctl status gina --json | grep -c '"last_success":"2')" 1

# --- configuration per request ---
sed 's/^deny = 3/deny = 1/' "$T/conf" > "$T/conf.new" && chmod 600 "$T/conf.new" &&
	mv "$T/conf.new" "$T/conf"
t "an edited configuration counts at the next request" \
	"$(req preauth user=jack; req preauth user=jack)" "allow seq_action=set seq=1
deny-as-failure"
chmod 666 "$T/conf"
t "a configuration made writable by others is refused at once (same contents)" \
	"$(req preauth user=jack)" unavailable
chmod 600 "$T/conf"
mkdir -p "$T/other"
sed "s|^state_dir = .*|state_dir = $T/other|" "$T/conf" > "$T/other.conf"
chmod 600 "$T/other.conf"
t "a configuration naming another state directory is refused" \
	"$("$CLIENT" "$SOCK" preauth user=kim conf="$T/other.conf")" bad-request
t "so is a line word that moves state_dir" "$(req preauth user=kim word=state_dir=$T/other)" \
	bad-request
t "a broken configuration word: unavailable" "$(req preauth user=kim word=deny=zero)" unavailable

# --- what an unprivileged peer may ask ---
if [ "$(id -u)" != 0 ]; then
	SOCK=$T/peer/state/sosafed.sock
fi
p() { as_peer "$CLIENT" "$SOCK" "$@"; }
t "unprivileged peer: ping" "$(p ping)" allow
t "unprivileged peer: another user's code is refused" "$(p otp user=carol answer=$code)" bad-request
t "unprivileged peer: may not count attempts (preauth)" "$(p preauth user=$PEER_USER)" bad-request
t "unprivileged peer: may not clear them (authsucc)" "$(p authsucc user=$PEER_USER seq=1)" bad-request
t "unprivileged peer: own code, plain prompt, the daemon counts" \
	"$(p otp user=$PEER_USER answer=123456 seq=99 | first)" "deny seq_action=set seq=1"
t "unprivileged peer: forward_pass is refused" \
	"$(p otp user=$PEER_USER flags=forward_pass answer=x123456)" bad-request
pconf=$T/conf
[ "$(id -u)" = 0 ] || pconf=$T/peer/conf
t "unprivileged peer: its own account phase" "$(p account user=$PEER_USER)" allow
t "... records no login (a user's own program must not keep an idle account alive)" \
	"$("$CTL" --conf "$pconf" status "$PEER_USER" --json | grep -c '"last_success":null')" 1
echo $K | "$CTL" --conf "$pconf" enroll "$PEER_USER" --secret - --no-confirm --no-qr >/dev/null 2>&1 ||
	diag "enroll $PEER_USER failed"
code=$(oathtool --totp -b $K)
t "unprivileged peer: its own right code passes" "$(p otp user=$PEER_USER answer=$code)" \
	"allow seq_action=forget seq=0"
t "... once: the same code again is a replay" "$(p otp user=$PEER_USER answer=$code | first)" \
	"deny seq_action=set seq=3"
if [ "$(id -u)" != 0 ]; then
	kill "$(cat "$T/peer/state/sosafed.lock")" 2>/dev/null
fi
daemon_stop
tap_done
