#!/bin/sh
# TOTP secrets sealed at rest, through sosafectl and sosafed: the store's
# dump and files hold no secret; a sealed row copied to another user or
# changed is refused at login (LOG_CRIT for a missing or wrong key);
# rekey keeps every user working and drops the old key, and hand-made key
# files of each state a crash can leave open every row; init creates the
# key file, seals an older plaintext store once and is idempotent; unsafe
# key files are refused with the file's name and the fix. TAP output.
# Needs oathtool and sqlite3.
set -u
. "$(dirname "$0")/lib.sh"
daemon_setup sosafed-seal
plan 40
ctl() { "$CTL" --conf "$T/conf" "$@"; }
first() { sed -n 1p; }
verdict() { first | cut -d' ' -f1; }
KEY=$T/sosafe.key
DB=$T/state/state.db
K=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ      # the bytes 12345678901234567890
RAWHEX=3132333435363738393031323334353637383930
keylines() { grep -c '^key ' "$KEY"; }
# every state file, raw, and the dump: how often the secret shows (base32 or raw)
in_store() {
	{ sqlite3 "$DB" .dump; cat "$DB"*; } 2>/dev/null | LC_ALL=C grep -a -c -i \
		-e "$K" -e "$RAWHEX" -e 12345678901234567890
}
code() { oathtool --totp -b "$K"; }
login() { req otp user="$1" answer="$(code)" | verdict; }
# a store or key error refuses the login as "unavailable" (fail closed)
refused() { v=$(login "$1"); [ "$v" = deny ] || [ "$v" = unavailable ] && echo refused || echo "$v"; }

t "init created the key file, root, 0600" "$(stat -c '%a %u' "$KEY")" "600 0"
t "... with one key" "$(keylines)" 1
cp "$KEY" "$T/k1"
LD_PRELOAD=$B/tests/lib/.libs/libsyslog_capture.so SOSAFE_TEST_SYSLOG=$T/syslog \
	"$SOSAFED" --conf "$T/conf" --foreground &
daemon_pid=$!
wait_for pinged || diag "sosafed does not answer"

users="carol dave erin u1 u2 u3 u4 u5 u6 u7"
for u in $users; do
	echo $K | ctl enroll $u --secret - --no-confirm --no-qr >/dev/null 2>&1 || diag "enroll $u failed"
done
t "enrolled: 10 secrets in the store" "$(sqlite3 "$DB" 'SELECT count(*) FROM otp')" 10
t "neither the dump nor the store's files hold the secret" "$(in_store)" 0
t "the right code passes" "$(login carol)" allow

# a sealed row copied to another user, or changed in one byte
sqlite3 "$DB" "UPDATE otp SET secret = (SELECT secret FROM otp WHERE user = 'carol') WHERE user = 'dave'"
t "carol's sealed secret copied to dave: dave's right code is refused" "$(refused dave)" refused
hex=$(sqlite3 "$DB" "SELECT hex(secret) FROM otp WHERE user = 'erin'")
c=$(printf %s "$hex" | cut -c41)
if [ "$c" = 0 ]; then c=1; else c=0; fi
sqlite3 "$DB" "UPDATE otp SET secret = X'$(printf %s "$hex" | cut -c1-40)$c$(printf %s "$hex" | cut -c42-)' WHERE user = 'erin'"
t "one byte of erin's sealed secret changed: refused" "$(refused erin)" refused
t "... both logged as store errors" "$(grep -c 'event=store-error.*does not open' "$T/syslog")" 2

# rekey
expect_exit 4 "rekey refuses while a secret does not open" -- "$CTL" --conf "$T/conf" rekey
has err "user dave: .*does not open.*nothing was resealed" "... names the user and what is left"
t "... every other secret still opens" "$(login u7)" allow
sqlite3 "$DB" "DELETE FROM otp WHERE user IN ('dave', 'erin')"
ctl backup "$T/k1.db" >/dev/null || diag "backup failed"
ctl --json rekey >"$T/rekey.json" 2>&1
t "rekey succeeds" "$?" 0
t "... says what it did" "$(sed 's/"key_id":"[0-9a-f]*"/"key_id":"ID"/' "$T/rekey.json")" \
	"{\"key_file\":\"$KEY\",\"key_id\":\"ID\",\"resealed\":8,\"removed_keys\":2}"
t "... the key file holds one key" "$(keylines)" 1
t "... and the old key is gone from it" "$(grep '^key ' "$T/k1" | grep -c -F -x -f - "$KEY")" 0
t "... still root, 0600" "$(stat -c '%a %u' "$KEY")" "600 0"
t "a user enrolled before the rekey logs in after it" "$(login u1)" allow
t "the audit trail records the rekey" "$(ctl audit verify >/dev/null 2>&1; sqlite3 "$DB" "SELECT count(*) FROM audit WHERE event = 'rekey'")" 1
cp "$KEY" "$T/k2"
k1=$(grep '^key ' "$T/k1")
k2=$(grep '^key ' "$T/k2")
keyfile() { printf '%s\n' "$@" >"$KEY"; chmod 600 "$KEY"; }

# each state a crash can leave, built by hand
keyfile "$k2" "$k1"
t "crash after the reseal, before the file's cleanup: new rows open" "$(login u2)" allow
ctl restore "$T/k1.db" >/dev/null 2>&1 || diag "restore failed"
t "crash before the reseal (rows under the old key, both keys): rows open" "$(login u3)" allow
keyfile "$k2"
t "rows under a key the file lacks: refused" "$(refused u4)" refused
t "... logged at LOG_CRIT, naming the key file" \
	"$(grep -c "^2 .*event=store-error.*key.*$KEY" "$T/syslog")" 1
ctl rekey >/dev/null 2>&1
t "rekey cannot run without the rows' key" "$?" 4
keyfile "$k1"
ctl rekey >/dev/null 2>&1
t "rekey again finishes the job" "$?" 0
t "... every user logs in" "$(login u4)" allow

# unsafe key files
echo $K >"$T/seed"
chmod 600 "$T/seed"
chmod 640 "$KEY"
expect_exit 4 "group-readable key file: enroll refused" -- "$CTL" --conf "$T/conf" enroll u8 --secret-file "$T/seed" --no-confirm --no-qr
has err "secret key file $KEY has mode 0640.*chmod 0600 $KEY" "... the message names the file and the fix"
t "... and the login is refused" "$(refused u5)" refused
chmod 600 "$KEY"
t "... fixed: it passes again" "$(login u5)" allow
mv "$KEY" "$T/real.key"
ln -s "$T/real.key" "$KEY"
expect_exit 4 "symlinked key file: refused" -- "$CTL" --conf "$T/conf" enroll u8 --secret-file "$T/seed" --no-confirm --no-qr
has err "secret key file $KEY is a symbolic link" "... the message says so"
rm "$KEY"
keyfile "key 00000000 c2hvcnQ="
expect_exit 4 "a short key: refused" -- "$CTL" --conf "$T/conf" enroll u8 --secret-file "$T/seed" --no-confirm --no-qr
has err "$KEY:1: the key is not 32 bytes" "... naming file and line"
keyfile "not a key file"
t "garbage: the login is refused" "$(refused u6)" refused
mv "$T/real.key" "$KEY"

# init on a store from before sealing: plaintext, schema otp at step 3
printf 'state_dir = %s/old\nsecret_key_file = %s/old.key\n' "$T" "$T" >"$T/old.conf"
chmod 644 "$T/old.conf"
old() { "$CTL" --conf "$T/old.conf" "$@"; }
old init >/dev/null || diag "init of the old store failed"
sqlite3 "$T/old/state.db" "INSERT INTO otp (user, secret, algorithm, digits, period, enrolled_at) VALUES ('ann', X'$RAWHEX', 0, 6, 30, 1); UPDATE meta SET value = 3 WHERE key = 'schema.otp'; DELETE FROM meta WHERE key = 'secrets.plaintext'"
old status ann >/dev/null 2>&1   # the schema upgrade marks it
DB=$T/old/state.db
t "a store from before sealing holds the secret in the clear" "$([ "$(in_store)" -gt 0 ] && echo yes)" yes
expect_exit 4 "no new secret while plaintext ones are there" -- "$CTL" --conf "$T/old.conf" enroll bo --secret-file "$T/seed" --no-confirm --no-qr
old init >"$T/init.out" 2>&1
t "init seals it" "$(grep -c '^1 secret(s) sealed under key' "$T/init.out")" 1
t "... and then no file or dump holds it" "$(in_store)" 0
cp "$T/old.key" "$T/old.key.before"
old init >"$T/init.out" 2>&1
t "init again: nothing more to seal, the key file unchanged" \
	"$(grep -c sealed "$T/init.out"; cmp -s "$T/old.key" "$T/old.key.before" && echo same)" "0
same"
expect_exit 0 "... and enrolling works again" -- "$CTL" --conf "$T/old.conf" enroll bo --secret-file "$T/seed" --no-confirm --no-qr

daemon_stop
tap_done
