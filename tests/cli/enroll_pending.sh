#!/bin/bash
# Enrollment in two steps for scripts: `enroll --pending --json` prints the
# secret and URI first and activates nothing; `enroll --confirm CODE` (or
# "-": the code on stdin) activates it if the code is right. Private
# state_dir, no root needed. TAP output.
set -u
. "$(dirname "$0")/../lib/tap.sh"
ctl="${abs_top_builddir:-.}/sosafectl/sosafectl"
tap_tmpdir enroll-pending
conf="$tmp/sosafe.conf"
printf 'state_dir = %s/state\nsecret_key_file = %s/sosafe.key\n' "$tmp" "$tmp" >"$conf"
chmod 644 "$conf"
db="$tmp/state/state.db"
sql() { sqlite3 "$db" "$1"; }
C=(--conf "$conf")
# another code than CODE (its last digit changed)
other() { printf '%s%d' "${1%?}" $(( (${1: -1} + 1) % 10 )); }

plan 26
expect_exit 0 "init" -- "$ctl" "${C[@]}" init
expect_exit 0 "enroll alice --pending --json" -- "$ctl" "${C[@]}" enroll alice --pending --json
secret=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["user"] == "alice" and d["uri"].startswith("otpauth://totp/") and d["confirmed"] is False and d["pending_until"].endswith("Z"); print(d["secret"])' "$tmp/out")
check "... prints user, uri, secret, confirmed false and pending_until at once" [ -n "$secret" ]
t "... and asks nothing: no prompt" "$(cat "$tmp/err")" ""
t "the pending secret is not active" "$(sql "SELECT count(*) FROM otp WHERE user = 'alice'")" 0
pfile=$(find "$tmp/state/enroll-pending" -type f)
t "it is kept root-only: file 0600 in a 0700 directory" \
	"$(stat -c %a "$pfile") $(stat -c %a "$tmp/state/enroll-pending")" "600 700"
t "... sealed: the file does not hold the secret" "$(grep -c -F "$secret" "$pfile")" 0
mfile="$tmp/state/enroll-pending/$(printf %s mallory | sha256sum | cut -c1-64)"
cp -p "$pfile" "$mfile"
expect_exit 1 "alice's pending file copied to mallory's name does not open" -- \
	"$ctl" "${C[@]}" enroll mallory --confirm "$(oathtool --totp -b "$secret")"
rm -f "$mfile"

code=$(oathtool --totp -b "$secret")
expect_exit 1 "a wrong code does not activate it" -- "$ctl" "${C[@]}" enroll alice --confirm "$(other "$code")"
t "... nothing stored" "$(sql "SELECT count(*) FROM otp WHERE user = 'alice'")" 0
expect_exit 0 "the right code activates it" -- "$ctl" "${C[@]}" enroll alice --confirm "$code" --json
check "... JSON says confirmed, without the secret again" eval \
	"grep -q '\"confirmed\":true' '$tmp/out' && ! grep -q '$secret' '$tmp/out'"
t "... the secret is stored, the confirming code spent" \
	"$(sql "SELECT last_step >= 0 FROM otp WHERE user = 'alice'")" 1
check "... and the pending copy is gone" [ ! -e "$pfile" ]
expect_exit 1 "a second confirmation finds nothing pending" -- "$ctl" "${C[@]}" enroll alice --confirm "$code"
has err "no pending enrollment of alice" "... and says so"
expect_exit 0 "export" -- "$ctl" "${C[@]}" audit export
has out 'event="enroll".*user="alice"' "the activation is in the audit trail"

# the code on stdin; an expired pending secret is refused and removed
"$ctl" "${C[@]}" enroll bob --pending --json >"$tmp/bob.json" 2>/dev/null
bsecret=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["secret"])' "$tmp/bob.json")
oathtool --totp -b "$bsecret" >"$tmp/code"
expect_exit 0 "--confirm - reads the code on stdin" -- sh -c '"$0" --conf "$1" enroll bob --confirm - <"$2"' "$ctl" "$conf" "$tmp/code"
"$ctl" "${C[@]}" enroll carol --pending --json >"$tmp/carol.json" 2>/dev/null
csecret=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["secret"])' "$tmp/carol.json")
cfile=$(find "$tmp/state/enroll-pending" -type f)
sed -i "2s/^[0-9]*/$(( $(date +%s) - 3700 ))/" "$cfile"
expect_exit 1 "a pending secret older than an hour is refused" -- \
	"$ctl" "${C[@]}" enroll carol --confirm "$(oathtool --totp -b "$csecret")"
check "... and removed" [ ! -e "$cfile" ]
expect_exit 2 "--confirm with --secret is a usage error" -- \
	"$ctl" "${C[@]}" enroll dave --confirm 123456 --secret JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP
# reset-otp also drops a pending secret: it cannot be activated afterwards
"$ctl" "${C[@]}" enroll erin --pending --json >"$tmp/erin.json" 2>/dev/null
esecret=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["secret"])' "$tmp/erin.json")
expect_exit 0 "reset-otp erin (pending only)" -- "$ctl" "${C[@]}" reset-otp erin
expect_exit 1 "... then her pending secret cannot be confirmed" -- \
	"$ctl" "${C[@]}" enroll erin --confirm "$(oathtool --totp -b "$esecret")"
# with enroll under four-eyes no pending secret is made: the step needs a
# second admin, and an approval comes long after any code was read
printf 'four_eyes = enroll\n' >>"$conf"
rm -rf "$tmp/state/enroll-pending"
expect_exit 1 "--pending needs a second admin when enroll does" -- "$ctl" "${C[@]}" enroll frank --pending
check "... and keeps no secret" [ ! -e "$tmp/state/enroll-pending" ]
tap_done
