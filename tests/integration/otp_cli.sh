#!/bin/sh
# sosafectl's second-factor commands: enroll confirms before activating,
# recovery codes, reset, enrollment window, imports from real peer files.
# TAP output. Needs oathtool (package oathtool).
set -u
B=${abs_top_builddir:-.}
CTL="$B/sosafectl/sosafectl"
. "$(dirname "$0")/../lib/tap.sh"
tap_tmpdir otp-cli
T=$tmp
printf 'state_dir = %s/state\nsecret_key_file = %s/sosafe.key\nissuer = ACME Corp\n' "$T" "$T" > "$T/conf"
chmod 600 "$T/conf"
ctl() { "$CTL" --conf "$T/conf" "$@"; }
plan 23

ctl init >/dev/null 2>&1
check "init creates a 0600 store" test "$(stat -c %a "$T/state/state.db")" = 600

K=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ
# wrong codes three times: not activated
printf '%s\n000000\n111111\n222222\n' $K | ctl enroll alice --secret - --no-qr > "$T/out" 2>&1
rc=$?
check "enroll with wrong codes exits 1" test $rc = 1
check "... and says it is not activated" grep -q "not activated" "$T/out"
code=$(oathtool --totp -b $K)
# then the right code activates (it would refuse without --force if the first had stored anything)
printf '%s\n%s\n' $K "$code" | ctl enroll alice --secret - --no-qr > "$T/out" 2>&1
check "enroll with the right code activates" test $? = 0
check "... URI has issuer, algorithm, digits, period" grep -q "otpauth://totp/ACME%20Corp:alice?secret=$K&issuer=ACME%20Corp&algorithm=SHA1&digits=6&period=30" "$T/out"
echo $K | ctl enroll alice --secret - --no-confirm >/dev/null 2>&1
check "enroll refuses to replace without --force" test $? = 1
echo JBSWY3DPEHPK3PXP | ctl enroll bob --secret - --no-confirm >/dev/null 2>&1
check "enroll --secret below 160 bits is refused" test $? = 2
# the seed never on the command line (any user reads it in /proc)
ctl enroll zack --secret $K --no-confirm >/dev/null 2>"$T/err"
check "enroll --secret with the seed in argv is refused (exit 2)" test $? = 2
check "... naming --secret - and --secret-file" grep -q -- "--secret - .*--secret-file" "$T/err"
printf '%s\n' $K >"$T/seed" && chmod 644 "$T/seed"
ctl enroll zack --secret-file "$T/seed" --no-confirm >/dev/null 2>"$T/err"
check "enroll --secret-file readable by others is refused" grep -q "readable by group or others" "$T/err"
chmod 600 "$T/seed"
ctl enroll zack --secret-file "$T/seed" --no-confirm --no-qr >"$T/out" 2>&1
check "enroll --secret-file FILE (0600) imports the secret (nothing was stored before)" grep -q "secret=$K&" "$T/out"
ctl enroll bob --digits 7 --no-confirm >/dev/null 2>&1
check "enroll --digits 7 is refused" test $? = 2
ctl enroll bob --no-confirm --algorithm SHA256 --digits 8 --period 60 --json > "$T/json" 2>/dev/null
check "enroll --json --no-confirm" grep -q '"algorithm":"SHA256","digits":8,"period":60,"confirmed":false' "$T/json"
s=$(sed -n 's/.*"secret":"\([A-Z2-7]*\)".*/\1/p' "$T/json")
check "generated SHA256 secret is >= 256 bits" test "${#s}" -ge 52
ctl enroll carol --no-confirm --no-qr | grep -q '^otpauth://totp/ACME%20Corp:carol?secret=[A-Z2-7]\{32\}&' 
t "generated SHA1 secret has 160 bits (32 base32 characters)" $? 0

ctl recovery-codes alice --count 5 > "$T/codes" 2>&1
check "recovery-codes prints 5 codes XXXX-XXXX-XXXX-XXXX" test "$(grep -c '^  [A-Z2-7]\{4\}-[A-Z2-7]\{4\}-[A-Z2-7]\{4\}-[A-Z2-7]\{4\}$' "$T/codes")" = 5
ctl recovery-codes alice --count 0 >/dev/null 2>&1
check "recovery-codes --count 0 is a usage error" test $? = 2

cat > "$T/users.oath" <<'EOT'
# pam_oath users file
HOTP/T30 dave - 3132333435363738393031323334353637383930
HOTP/T30/8 erin - 3132333435363738393031323334353637383930 12345678 2013-12-20T21:46:34L
HOTP frank - 3132333435363738393031323334353637383930
HOTP/T30 gina 1234 3132333435363738393031323334353637383930
HOTP/T30 alice - 3132333435363738393031323334353637383930
garbage line
EOT
ctl import --oath-usersfile "$T/users.oath" > "$T/rep" 2>&1
check "import with refused lines exits 1" test $? = 1
check "report: 2 imported, 4 refused" grep -q "^2 imported, 4 refused" "$T/rep"
check "report names the reasons" sh -c "grep -q 'line 4: REFUSED frank: event-based' '$T/rep' && grep -q 'line 5: REFUSED gina: has a PIN' '$T/rep' && grep -q 'line 6: REFUSED alice: already enrolled' '$T/rep' && grep -q 'line 7: REFUSED' '$T/rep'"

google-authenticator -t -d -f -r 3 -R 30 -w 3 -q -s "$T/ga" -l x -i y >/dev/null 2>&1
ctl import --google-authenticator "$T/ga" --user harry > "$T/rep" 2>&1
check "import of a real ~/.google_authenticator" sh -c "grep -q 'imported harry' '$T/rep' && grep -q 'scratch code' '$T/rep'"

ctl reset-otp alice > "$T/out" 2>&1
check "reset-otp revokes secret and recovery codes" grep -q "revoked (6 record" "$T/out"
ctl enroll-window zoe --hours 24 > "$T/out" 2>&1
check "enroll-window opens a window" grep -q "open until" "$T/out"
tap_done
