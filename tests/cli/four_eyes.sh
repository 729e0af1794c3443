#!/bin/bash
# Four-eyes (R6) and fail-closed auditing of admin actions through
# sosafectl, on a private state_dir. Admins are told apart by their login
# uid, which each command sets in a fresh process as pam_loginuid does at
# login (needs root; skipped otherwise), with SUDO_USER/SUDO_UID as sudo
# sets them; their accounts come from nss_wrapper. TAP output.
set -u
. "$(dirname "$0")/../lib/tap.sh"
ctl="${abs_top_builddir:-.}/sosafectl/sosafectl"
tap_tmpdir 4eyes-test
TAP_ON_FAIL='show "$tmp/err" "$tmp/out"'

if [ "$(id -u)" != 0 ] || ! sh -c 'echo 5101 >/proc/self/loginuid' 2>/dev/null; then
	echo "1..0 # SKIP needs root and a settable /proc/self/loginuid"
	exit 0
fi
# the admins (and a member-less admin group for the admin_group cases)
printf 'root:x:0:0::/root:/bin/sh\nalice:x:5101:5101::/:/bin/sh\ncarol:x:5103:5103::/:/bin/sh\ndave:x:5104:5104::/:/bin/sh\n' >"$tmp/passwd"
printf 'root:x:0:\nsecadm:x:5200:alice,carol\n' >"$tmp/group"
nss=(LD_PRELOAD=libnss_wrapper.so NSS_WRAPPER_PASSWD="$tmp/passwd" NSS_WRAPPER_GROUP="$tmp/group")
uid_of() { sed -n "s/^$1:x:\([0-9]*\):.*/\1/p" "$tmp/passwd"; }
# with LOGIN CMD...: a fresh process with login uid LOGIN (unset: 4294967295)
with() {
	sh -c 'echo "$0" >/proc/self/loginuid && exec "$@"' "$@"
}
# as NAME CMD...: admin NAME logged in and ran sudo;
# as "" CMD...: root with no login uid and no SUDO_USER (cron)
as() {
	local who=$1
	shift
	if [ -n "$who" ]; then
		local u
		u=$(uid_of "$who")
		with "$u" env "${nss[@]}" SUDO_USER="$who" SUDO_UID="$u" "$@"
	else
		with 4294967295 env -u SUDO_USER -u SUDO_UID "${nss[@]}" "$@"
	fi
}
# run WANT_EXIT WHO WHAT -- ARGS (of sosafectl)
run() {
	local code=$1 who=$2 what=$3
	shift 4
	expect_exit "$code" "$what" -- as "$who" "$ctl" --conf "$conf" "$@"
}
# runas CODE LOGIN WHAT -- [VAR=VALUE]... CMD...: any login uid and environment
runas() {
	local code=$1 login=$2 what=$3
	shift 4
	expect_exit "$code" "$what" -- with "$login" env -u SUDO_USER -u SUDO_UID "${nss[@]}" "$@"
}
# the id of the request just recorded (from its "request N recorded" line)
request_id() { sed -n 's/^request \([0-9]*\) recorded.*/\1/p' "$tmp/out"; }
# alice_requests_unlock USER WHAT CONF-NAME CONF-LINES: under that
# configuration, USER is locked and alice requests the unlock (id in $rid)
alice_requests_unlock() {
	mkconf "$3" "$4"
	lock "$1"
	run 0 alice "$2" -- request unlock "$1"
	rid=$(request_id)
}
mkconf() {
	conf="$tmp/$1.conf"
	printf 'state_dir = %s/state\nsecret_key_file = %s/sosafe.key\nentitled_group = staff\ngrace_days = 30\n%s\n' "$tmp" "$tmp" "$2" >"$conf"
	chmod 644 "$conf"
}
db="$tmp/state/state.db"
sql() { sqlite3 -cmd '.timeout 5000' "$db" "$1"; }
now=$(date +%s)
lock() { sql "INSERT OR REPLACE INTO tally(user, locked_until) VALUES ('$1', $((now + 3600)))"; }
locked() { [ "$(sql "SELECT locked_until > strftime('%s','now') FROM tally WHERE user = '$1'")" = 1 ]; }
K=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP

plan 96
mkconf plain ""
run 0 alice "init" -- init

# --- not listed: runs directly -------------------------------------------
lock bob
run 0 alice "default (four_eyes empty): unlock runs directly" -- unlock bob
check "bob is unlocked" eval '! locked bob'
mkconf some "four_eyes = reset-otp, recovery-codes"
lock bob
run 0 alice "unlock not listed (four_eyes = reset-otp, recovery-codes): runs directly" -- unlock bob
check "bob is unlocked again" eval '! locked bob'
run 2 alice "request of an action not listed is refused (run it directly)" -- request unlock bob
check "and it says so" eval 'grep -q "not listed in four_eyes" "$tmp/err"'

# --- listed: refused directly, request / approve -----------------------------
mkconf fe "four_eyes = unlock, reset-otp, recovery-codes, exempt, purge, audit-reveal
four_eyes_ttl = 2h"
lock bob
run 1 alice "listed: direct unlock is refused" -- unlock bob
check "the refusal points at 'sosafectl request unlock bob'" eval 'grep -q "sosafectl request unlock bob" "$tmp/err"'
check "bob stays locked" eval 'locked bob'
check "the refusal is an audit record" eval '[ "$(sql "SELECT count(*) FROM audit WHERE event = '"'four-eyes-refused'"' AND user = '"'bob'"'")" = 1 ]'
run 0 alice "alice requests: unlock bob" -- request unlock bob
id=$(request_id)
check "the request id is printed" eval '[ -n "$id" ]'
check "the request expires after four_eyes_ttl (2h)" eval '[ "$(sql "SELECT expires - created FROM four_eyes_request WHERE id = $id")" = 7200 ]'
run 1 alice "alice cannot approve her own request" -- approve "$id"
check "same admin: bob stays locked" eval 'locked bob'
check "same admin: the request stays pending" eval '[ "$(sql "SELECT state FROM four_eyes_request WHERE id = $id")" = pending ]'
run 1 "" "root without login uid or SUDO_USER (cron) cannot approve" -- approve "$id"
check "cron: bob stays locked" eval 'locked bob'
# SUDO_USER is a name for the login uid, never an identity of its own
runas 1 4294967295 "root without a login uid cannot approve even with SUDO_USER=carol SUDO_UID=5103" -- \
	SUDO_USER=carol SUDO_UID=5103 "$ctl" --conf "$conf" approve "$id"
check "no login uid: bob stays locked" eval 'locked bob'
has err "has no login uid" "the refusal says the login uid is unset"
runas 1 5101 "alice (login uid) cannot approve under SUDO_USER=carol SUDO_UID=5103" -- \
	SUDO_USER=carol SUDO_UID=5103 "$ctl" --conf "$conf" approve "$id"
has err "the same admin cannot approve" "the refusal names the same admin"
runas 1 5999 "a login uid with no account cannot approve" -- "$ctl" --conf "$conf" approve "$id"
has err "login uid 5999 is no account" "the refusal says it is no account"
runas 1 0 "a direct root login (login uid 0) cannot approve" -- "$ctl" --conf "$conf" approve "$id"
check "bob is still locked" eval 'locked bob'
runas 0 5103 "carol's login with SUDO_USER=mallory: a request" -- SUDO_USER=mallory SUDO_UID=5103 \
	"$ctl" --conf "$conf" request unlock bob
mid=$(request_id)
check "the requester is carol (the login uid), not mallory" eval \
	'[ "$(sql "SELECT requester FROM four_eyes_request WHERE id = ${mid:-0}")" = carol ]'
run 0 carol "carol withdraws it" -- deny "$mid"
run 1 carol "unknown request id is refused" -- approve 999
check "unknown id: the message names it" eval 'grep -q "no request 999" "$tmp/err"'
run 0 carol "requests lists the pending request" -- requests --json
check "requests --json parses and shows 'unlock bob' by alice" eval \
	'python3 -c "import json,sys; r=json.load(open(sys.argv[1])); assert [(x[\"id\"], x[\"command\"], x[\"requester\"]) for x in r] == [($id, \"unlock bob\", \"alice\")]" "$tmp/out"'
run 0 carol "carol approves: the unlock happens" -- approve "$id"
check "bob is unlocked after the approval" eval '! locked bob'
check "the request is done, decided by carol" eval '[ "$(sql "SELECT state || decided_by FROM four_eyes_request WHERE id = $id")" = donecarol ]'
check "audit: the approval names carol and the requester alice" eval \
	'[ "$(sql "SELECT count(*) FROM audit WHERE event = '"'four-eyes-approve'"' AND actor = '"'carol'"' AND detail LIKE '"'request $id:%requested by alice'"'")" = 1 ]'
lock bob
run 1 dave "a second approval of the same request is refused" -- approve "$id"
check "and does not unlock again" eval 'locked bob'
check "exactly one unlock record carries request $id" eval \
	'[ "$(sql "SELECT count(*) FROM audit WHERE event = '"'unlock'"' AND detail LIKE '"'%request $id of alice%'"'")" = 1 ]'

# --- admin_group: an approver must be a member ---------------------------------------
alice_requests_unlock bob "admin_group: alice requests unlock bob" ag "four_eyes = unlock
admin_group = secadm"
gid=$rid
run 1 dave "dave (not in admin_group secadm) cannot approve" -- approve "$gid"
has err "dave is not a member of admin_group secadm" "the refusal names the group"
check "not a member: bob stays locked" eval 'locked bob'
run 0 carol "carol (in secadm) approves" -- approve "$gid"
check "member: bob is unlocked" eval '! locked bob'
mkconf fe "four_eyes = unlock, reset-otp, recovery-codes, exempt, purge, audit-reveal
four_eyes_ttl = 2h"
lock bob

# --- expiry ----------------------------------------------------------------------
run 0 alice "request: unlock bob (to expire)" -- request unlock bob
eid=$(request_id)
sql "UPDATE four_eyes_request SET expires = $((now - 1)) WHERE id = $eid"
run 1 carol "an expired request cannot be approved" -- approve "$eid"
check "expired: bob stays locked" eval 'locked bob'
check "expired: state expired, with an audit record" eval \
	'[ "$(sql "SELECT state FROM four_eyes_request WHERE id = $eid")" = expired ] && [ "$(sql "SELECT count(*) FROM audit WHERE event = '"'four-eyes-expired'"' AND detail LIKE '"'request $eid %'"'")" = 1 ]'

# --- racing approvals: exactly once ---------------------------------------------------
run 0 alice "enroll alice's second factor (enroll not listed)" -- enroll alice --secret - --no-confirm <<<$K
run 0 alice "alice requests: recovery-codes alice --count 3" -- request recovery-codes alice --count 3
rid=$(request_id)
for who in carol dave erin frank gina hank; do
	(as "$who" "$ctl" --conf "$conf" approve "$rid" >"$tmp/race.$who.out" 2>&1; echo $? >"$tmp/race.$who.rc") &
done
wait
wins=$(cat "$tmp"/race.*.rc | grep -c '^0$')
check "six racing approvals: exactly one succeeds (got $wins)" eval '[ "$wins" = 1 ]'
echo "# $(cat "$tmp"/race.*.out | grep -c 'no longer pending') of the 5 losers passed the checks and lost inside the store transaction"
check "exactly one recovery-codes record for request $rid" eval \
	'[ "$(sql "SELECT count(*) FROM audit WHERE event = '"'recovery-codes'"' AND detail LIKE '"'%request $rid of%'"'")" = 1 ]'
check "exactly one approval record for request $rid" eval \
	'[ "$(sql "SELECT count(*) FROM audit WHERE event = '"'four-eyes-approve'"' AND detail LIKE '"'request $rid:%'"'")" = 1 ]'
check "alice holds the 3 codes printed to the winner" eval '[ "$(sql "SELECT count(*) FROM otp_recovery WHERE user = '"'alice'"'")" = 3 ]'

# --- deny, exempt, other forms ---------------------------------------------------------
run 0 alice "request: reset-otp alice" -- request reset-otp alice
did=$(request_id)
run 0 alice "the requester withdraws it (deny)" -- deny "$did"
run 1 carol "a denied request cannot be approved" -- approve "$did"
check "denied: alice keeps her second factor" eval '[ "$(sql "SELECT count(*) FROM otp WHERE user = '"'alice'"'")" = 1 ]'
run 1 alice "exempt listed: enroll-window --hours is refused directly" -- enroll-window zoe --hours 8
run 0 alice "enroll-window --clear (no weakening) runs directly" -- enroll-window zoe --clear
run 2 alice "request enroll-window --clear is refused (needs no approval)" -- request enroll-window zoe --clear

# --- purge through four-eyes (the claim inside the purge transaction) -----------------------
printf '{"users": [{"name": "olduser", "enabled": %s, "groups": ["staff"]}, {"name": "keeper", "enabled": true, "groups": ["staff"]}]}\n' true >"$tmp/on.json"
printf '{"users": [{"name": "olduser", "enabled": %s, "groups": ["staff"]}, {"name": "keeper", "enabled": true, "groups": ["staff"]}]}\n' false >"$tmp/off.json"
run 0 alice "sync: olduser active 60 days ago" -- sync --from "$tmp/on.json" --now $((now - 60 * 86400))
run 0 alice "sync: olduser deactivated 40 days ago" -- sync --from "$tmp/off.json" --now $((now - 40 * 86400))
run 1 alice "purge listed: direct purge is refused" -- purge
run 0 alice "purge --report is no weakening: runs directly" -- purge --report
run 0 alice "request: purge" -- request purge
pid=$(request_id)
run 0 carol "carol approves the purge" -- approve "$pid"
check "olduser purged, with a deletion report by carol" eval '[ "$(sql "SELECT count(*) FROM dir_user WHERE user = '"'olduser'"'")" = 0 ] && [ "$(sql "SELECT admin FROM deletion_report WHERE user = '"'olduser'"'")" = carol ]'

# --- import and backup through four-eyes -------------------------------------------------------
mkconf ib "four_eyes = import, backup"
printf 'HOTP/T30/6 ivan - 3132333435363738393031323334353637383930\n' >"$tmp/users.oath"
chmod 600 "$tmp/users.oath"
run 1 alice "import listed: direct import is refused" -- import --oath-usersfile "$tmp/users.oath"
run 0 alice "request: import" -- request import --oath-usersfile "$tmp/users.oath"
iid=$(request_id)
run 0 carol "carol approves the import" -- approve "$iid"
check "ivan's secret was imported once" eval '[ "$(sql "SELECT count(*) FROM otp WHERE user = '"'ivan'"'")" = 1 ] && [ "$(sql "SELECT count(*) FROM audit WHERE event = '"'import'"' AND detail LIKE '"'%request $iid of alice%'"'")" = 1 ]'
run 0 alice "request: backup" -- request backup "$tmp/copy.db"
bid=$(request_id)
run 0 carol "carol approves the backup" -- approve "$bid"
check "the copy exists, mode 0600" eval '[ "$(stat -c %a "$tmp/copy.db" 2>/dev/null)" = 600 ]'
run 0 alice "request: backup to a file that exists already" -- request backup "$tmp/copy.db"
fid=$(request_id)
run 1 carol "the approved action fails (file exists): approve exits 1" -- approve "$fid"
check "a failed action leaves the request pending, with no approval record" eval \
	'[ "$(sql "SELECT state FROM four_eyes_request WHERE id = $fid")" = pending ] && [ "$(sql "SELECT count(*) FROM audit WHERE event = '"'four-eyes-approve'"' AND detail LIKE '"'request $fid:%'"'")" = 0 ]'
run 0 alice "the requester withdraws it" -- deny "$fid"

# --- fail closed: the audit write fails, the action does not happen -------------------------
mkconf plain ""
lock bob
sql "CREATE TRIGGER audit_ro BEFORE INSERT ON audit BEGIN SELECT RAISE(ABORT, 'audit table read-only (test)'); END"
run 1 alice "audit write fails: unlock refused" -- unlock bob
check "audit write fails: bob stays locked" eval 'locked bob'
before=$(sql "SELECT group_concat(hash) FROM otp_recovery WHERE user = 'alice'")
run 1 alice "audit write fails: reset-otp refused" -- reset-otp alice
fails=0
as alice "$ctl" --conf "$conf" recovery-codes alice --count 2 >/dev/null 2>&1 && fails=$((fails + 1))
as alice "$ctl" --conf "$conf" enroll-window zoe --hours 4 >/dev/null 2>&1 && fails=$((fails + 1))
as alice "$ctl" --conf "$conf" enroll zed --secret - --no-confirm <<<$K >/dev/null 2>&1 && fails=$((fails + 1))
check "every one of them exited non-zero ($fails succeeded)" eval '[ "$fails" = 0 ]'
check "nothing changed: alice's secret and codes, no window for zoe, no secret for zed" eval \
	'[ "$(sql "SELECT count(*) FROM otp WHERE user = '"'alice'"'")" = 1 ] && [ "$(sql "SELECT group_concat(hash) FROM otp_recovery WHERE user = '"'alice'"'")" = "$before" ] && [ "$(sql "SELECT count(*) FROM otp_enroll_window WHERE user = '"'zoe'"' AND deadline > 0")" = 0 ] && [ "$(sql "SELECT count(*) FROM otp WHERE user = '"'zed'"'")" = 0 ]'
run 1 alice "audit write fails: sync refused" -- sync --from "$tmp/on.json"
check "sync refused: olduser not created again" eval '[ "$(sql "SELECT count(*) FROM dir_user WHERE user = '"'olduser'"'")" = 0 ]'
run 1 alice "audit write fails: backup refused" -- backup "$tmp/backup.db"
check "and the backup file is removed again" eval '[ ! -e "$tmp/backup.db" ]'
sql "DROP TRIGGER audit_ro"
run 0 alice "the trail still verifies" -- audit verify

# --- pseudonyms: requests and approvals name the user only by pseudonym ---------------------
alice_requests_unlock quentin "pseudonym mode: request unlock quentin" pseudo "four_eyes = unlock
log_identity = pseudonym"
qid=$rid
run 0 carol "pseudonym mode: carol approves" -- approve "$qid"
check "no audit record of request $qid names quentin" eval \
	'[ "$(sql "SELECT count(*) FROM audit WHERE (detail LIKE '"'%quentin%'"' OR user = '"'quentin'"')")" = 0 ] && [ "$(sql "SELECT count(*) FROM audit WHERE detail LIKE '"'request $qid: unlock pn:%'"'")" = 2 ]'
tap_done
