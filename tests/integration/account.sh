#!/bin/sh
# Account phase for directory users through real libpam (pam_start_confdir,
# only the account stack, as for an ssh public-key login): deactivated,
# stale snapshot, inactivity; local accounts untouched. No root needed.
set -u
B=${abs_top_builddir:?}
CTL=$B/sosafectl/sosafectl
DRV=$B/tests/integration/pam_acct
MOD=$B/pam_sosafe/.libs/pam_sosafe.so
T=$(mktemp -d /tmp/sosafe-acct.XXXXXX)
trap 'rm -rf "$T"' EXIT
n=0; failed=0
check() { # name expected-result user
	n=$((n + 1))
	got=$("$DRV" "$T/pam.d" acct "$3" 2>/dev/null)
	if [ "$got" = "$2" ]; then echo "ok $n - $1"; else echo "not ok $n - $1 (got $got, want $2)"; failed=1; fi
}
echo "1..9"
mkdir -p "$T/pam.d" "$T/state"
cat > "$T/conf" <<EOC
state_dir = $T/state
entitled_group = sosafe-users
max_snapshot_age = 1h
EOC
chmod 600 "$T/conf"
echo "account required $MOD conf=$T/conf nodelay" > "$T/pam.d/acct"
now=$(date +%s)
export_json() { # alice-enabled
	cat > "$T/export.json" <<EOJ
{"users": [
  {"name": "alice", "enabled": $1, "groups": ["sosafe-users"]},
  {"name": "dave", "enabled": true, "groups": ["sosafe-users"]}
]}
EOJ
}
CTL="$CTL --conf $T/conf"
export_json true
$CTL sync --from "$T/export.json" --now $((now - 3 * 86400)) >/dev/null || echo "# sync failed"
$CTL sync --from "$T/export.json" >/dev/null || echo "# sync failed"
check "active directory user passes" PAM_SUCCESS alice
check "local account (root) passes" PAM_SUCCESS root
export_json false
$CTL sync --from "$T/export.json" >/dev/null || echo "# sync failed"
check "deactivated user refused without any auth step" PAM_ACCT_EXPIRED alice
check "other directory user still passes" PAM_SUCCESS dave
# the sync broke two hours ago: the snapshot is older than max_snapshot_age
$CTL sync --from "$T/export.json" --now $((now - 7200)) >/dev/null || echo "# sync failed"
check "stale snapshot: directory user refused (fail closed)" PAM_PERM_DENIED dave
check "stale snapshot: local account unaffected" PAM_SUCCESS root
$CTL sync --from "$T/export.json" >/dev/null || echo "# sync failed"
# dave was first listed three days ago and never logged in
echo "account required $MOD conf=$T/conf nodelay inactive_days=2" > "$T/pam.d/acct"
check "inactive longer than inactive_days refused" PAM_ACCT_EXPIRED dave
echo "account required $MOD conf=$T/conf nodelay inactive_days=5" > "$T/pam.d/acct"
check "inactive shorter than inactive_days passes" PAM_SUCCESS dave
# a damaged snapshot: directory users refused
printf 'garbage' | dd of="$T/state/passwd.snap" bs=1 seek=100 conv=notrunc 2>/dev/null
check "damaged snapshot: directory user refused" PAM_PERM_DENIED dave
echo "# $n checks"
exit $failed
