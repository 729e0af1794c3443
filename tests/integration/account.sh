#!/bin/sh
# Account phase for directory users through real libpam (pam_start_confdir,
# only the account stack, as for an ssh public-key login): deactivated,
# stale snapshot, inactivity; local accounts untouched. No root needed.
set -u
B=${abs_top_builddir:?}
CTL=$B/sosafectl/sosafectl
DRV=$B/tests/integration/pam_acct
MOD=$B/pam_sosafe/.libs/pam_sosafe.so
. "$(dirname "$0")/../lib/tap.sh"
tap_tmpdir acct
T=$tmp
check_acct() { # name expected-result user
	t "$1" "$("$DRV" "$T/pam.d" acct "$3" 2>/dev/null)" "$2"
}
plan 15
mkdir -p "$T/pam.d" "$T/state"
cat > "$T/conf" <<EOC
state_dir = $T/state
secret_key_file = $T/sosafe.key
sosafed_path = $B/sosafed/sosafed
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
  {"name": "dave", "enabled": true, "groups": ["sosafe-users"]},
  {"name": "erin", "enabled": true, "groups": ["sosafe-users"]}
]}
EOJ
}
CTL="$CTL --conf $T/conf"
export_json true
$CTL sync --from "$T/export.json" --now $((now - 3 * 86400)) >/dev/null || echo "# sync failed"
$CTL sync --from "$T/export.json" >/dev/null || echo "# sync failed"
check_acct "active directory user passes" PAM_SUCCESS alice
check_acct "local account (root) passes" PAM_SUCCESS root
export_json false
$CTL sync --from "$T/export.json" >/dev/null || echo "# sync failed"
check_acct "deactivated user refused without any auth step" PAM_ACCT_EXPIRED alice
# (a passing account phase is activity: dave stays untouched for the
# inactivity checks below)
check_acct "other directory user still passes" PAM_SUCCESS erin
# the sync broke two hours ago: the snapshot is older than max_snapshot_age
$CTL sync --from "$T/export.json" --now $((now - 7200)) >/dev/null || echo "# sync failed"
check_acct "stale snapshot: directory user refused (fail closed)" PAM_PERM_DENIED dave
check_acct "stale snapshot: local account unaffected" PAM_SUCCESS root
$CTL sync --from "$T/export.json" >/dev/null || echo "# sync failed"
# dave was first listed three days ago and never logged in
echo "account required $MOD conf=$T/conf nodelay inactive_days=2" > "$T/pam.d/acct"
check_acct "inactive longer than inactive_days refused" PAM_ACCT_EXPIRED dave
echo "account required $MOD conf=$T/conf nodelay inactive_days=5" > "$T/pam.d/acct"
check_acct "inactive shorter than inactive_days passes" PAM_SUCCESS dave
# inactive_local_days: local accounts (read from /etc/passwd) other than root
# and admins, by the last login the account phase recorded
last_login() { # user epoch
	sqlite3 "$T/state/state.db" "INSERT INTO tally(user, last_success) VALUES ('$1', $2)
		ON CONFLICT(user) DO UPDATE SET last_success = $2"
}
last_login daemon $((now - 3 * 86400))
last_login root $((now - 3 * 86400))
echo "account required $MOD conf=$T/conf nodelay" > "$T/pam.d/acct"
check_acct "local account idle 3 days, rule off: passes" PAM_SUCCESS daemon
last_login daemon $((now - 3 * 86400))   # that pass was a login: idle again
echo "account required $MOD conf=$T/conf nodelay inactive_local_days=2" > "$T/pam.d/acct"
check_acct "local account idle longer than inactive_local_days refused" PAM_ACCT_EXPIRED daemon
check_acct "root is exempt" PAM_SUCCESS root
check_acct "a local account with no login recorded passes" PAM_SUCCESS bin
last_login daemon $((now - 86400))
check_acct "local account idle shorter than inactive_local_days passes" PAM_SUCCESS daemon
t "a passing account phase records the login" \
	"$(sqlite3 "$T/state/state.db" "SELECT last_success >= $now FROM tally WHERE user = 'daemon'")" 1
echo "account required $MOD conf=$T/conf nodelay" > "$T/pam.d/acct"
# a damaged snapshot: directory users refused
printf 'garbage' | dd of="$T/state/passwd.snap" bs=1 seek=100 conv=notrunc 2>/dev/null
check_acct "damaged snapshot: directory user refused" PAM_PERM_DENIED dave
echo "# $tap_n checks"
tap_done
