#!/bin/sh
# One process, 16 threads calling PAM at once (the FreeRADIUS/OpenVPN
# gateway model) against the built pam_sosafe.so, through real libpam with
# pam_start_confdir (no root needed). Passwords come from pam_matrix
# (libpam-wrapper's test module), the counts from `sosafectl status --json`.
# R1: counts exact under parallel attempts, no crash, no cross-talk.
: "${abs_top_builddir:?}" "${abs_top_srcdir:?}"
DRIVER="$abs_top_builddir/tests/integration/pam_threads"
MODULE="$abs_top_builddir/pam_sosafe/.libs/pam_sosafe.so"
SOSAFECTL="$abs_top_builddir/sosafectl/sosafectl"
MATRIX=$(ls /usr/lib/*/pam_wrapper/pam_matrix.so 2>/dev/null | head -n 1)

. "$abs_top_srcdir/tests/lib/tap.sh"
[ -x "$DRIVER" ] || bail "not built: $DRIVER"
[ -n "$MATRIX" ] || bail "pam_matrix.so not found (Debian package libpam-wrapper)"
command -v jq >/dev/null || bail "jq not found (Debian package jq)"

tap_tmpdir threads
T=$tmp
mkdir "$T/pam.d"
cat >"$T/sosafe.conf" <<EOF
state_dir = $T/state
secret_key_file = $T/sosafe.key
sosafed_path = $abs_top_builddir/sosafed/sosafed
deny = 6
unlock_time = 600
EOF
chmod 600 "$T/sosafe.conf"
cat >"$T/pam.d/gateway" <<EOF
auth     requisite  $MODULE preauth conf=$T/sosafe.conf
auth     requisite  $MATRIX passdb=$T/passdb
auth     required   $MODULE authsucc conf=$T/sosafe.conf
account  required   $MODULE conf=$T/sosafe.conf
EOF
: >"$T/passdb"
for u in $(seq -f %02g 0 15); do
	echo "d$u:pw-d$u:gateway" >>"$T/passdb"
	echo "m$u:pw-m$u:gateway" >>"$T/passdb"
done
for u in s1 s2 s3; do echo "$u:pw-$u:gateway" >>"$T/passdb"; done
chmod 600 "$T/passdb"
"$SOSAFECTL" --conf "$T/sosafe.conf" init >/dev/null || bail "sosafectl init"

st() {
	"$SOSAFECTL" --conf "$T/sosafe.conf" status "$1" --json | jq -r ".$2"
}
# run SPEC...: all threads at once; output in $T/out
run() {
	timeout 120 "$DRIVER" "$T/pam.d" gateway "$@" >"$T/out" 2>&1
}
clean() {
	grep -q "error_msgs=0 info_msgs=0 conv_cross_talk=0" "$T/out" && return 0
	tail -n 1 "$T/out" | sed 's/^/# /'
	return 1
}
# every_thread "success=S fail=F": all thread lines say so
every_thread() {
	bad=$(grep '^thread ' "$T/out" | grep -vc " $1\$")
	[ "$(grep -c '^thread ' "$T/out")" -gt 0 ] && [ "$bad" = 0 ] && return 0
	echo "# $bad threads differ from '$1':"
	grep '^thread ' "$T/out" | grep -v " $1\$" | head -n 5 | sed 's/^/#   /'
	return 1
}
# all_users PREFIX FIELD VALUE: sosafectl status of the 16 users
all_users() {
	for u in $(seq -f %02g 0 15); do
		v=$(st "$1$u" "$2")
		[ "$v" = "$3" ] || { echo "# $1$u: $2=$v, want $3"; return 1; }
	done
}

plan 17

# 16 users, one thread each, 5 wrong passwords each: 5 failures each, no lock
specs=""
for u in $(seq -f %02g 0 15); do specs="$specs d$u:wrong-$u:5"; done
run $specs
ok "16 threads x 5 wrong passwords (16 users): the process survives" eq "$?" 0
ok "... every attempt failed" every_thread "success=0 fail=5"
ok "... each user has exactly 5 failures" all_users d failures 5
ok "... none is locked" all_users d locked false
ok "... no PAM_ERROR_MSG, no info text, no cross-talk" clean

specs=""
for u in $(seq -f %02g 0 15); do specs="$specs d$u:pw-d$u:1"; done
run $specs
ok "16 threads, each the right password of its own user: all succeed" every_thread "success=1 fail=0"
ok "... failures cleared for each" all_users d failures 0

# 8 right and 8 wrong at the same time for different users: no cross-talk
specs=""
for u in $(seq -f %02g 0 7); do specs="$specs m$u:pw-m$u:4"; done
for u in $(seq -f %02g 8 15); do specs="$specs m$u:bad-m$u:4"; done
run $specs
ok "8 threads right, 8 wrong, 4 rounds each: exactly the right ones succeed" \
	eq "$(grep -c 'success=4 fail=0$' "$T/out")/$(grep -c 'success=0 fail=4$' "$T/out")" "8/8"
ok "... right users 0 failures, wrong users 4 each" \
	eq "$(st m00 failures)$(st m07 failures)/$(st m08 failures)$(st m15 failures)" "00/44"

# 16 threads, one user, one wrong password each, at once: exactly 6 count
specs=""
for i in $(seq 1 16); do specs="$specs s1:wrong:1"; done
run $specs
ok "16 threads x 1 wrong password, same user: locked" eq "$(st s1 locked)" true
ok "... exactly 6 failures counted" eq "$(st s1 failures)" 6
ok "... the other 10 refused by the lock" eq "$(st s1 refused)" 10

# 16 threads x 4 rounds of the RIGHT password while locked: all refused
specs=""
for i in $(seq 1 16); do specs="$specs s1:pw-s1:4"; done
run $specs
ok "16 threads x 4 right passwords while locked: all 64 refused" every_thread "success=0 fail=4"
ok "... refused count exact (10 + 64)" eq "$(st s1 refused)" 74

# 16 threads x 4 wrong for one user: 64 attempts, 6 counted, 58 refused
specs=""
for i in $(seq 1 16); do specs="$specs s2:wrong:4"; done
run $specs
ok "16 threads x 4 wrong, same user: failures/refused exactly 6/58" \
	eq "$(st s2 failures)/$(st s2 refused)" "6/58"

# 6 threads x 5 right for one user: never locked, all succeed. Up to `deny`
# attempts of one user may be in flight at once; more are refused, since an
# attempt still running cannot be told from one that failed.
specs=""
for i in $(seq 1 6); do specs="$specs s3:pw-s3:5"; done
run $specs
ok "6 (= deny) threads x 5 right passwords, same user: all 30 succeed" every_thread "success=5 fail=0"
ok "... not locked, 0 failures" eq "$(st s3 locked)/$(st s3 failures)" "false/0"
tap_done
