#!/bin/bash
# The access review lists every account of the host (the passwd file and the
# directory's users) and nothing else, each with a review-due flag: privileged
# accounts every privileged_review_days, the others every review_days.
# Fixture passwd/group through nss_wrapper; no root needed. TAP output.
set -u
. "$(dirname "$0")/../lib/tap.sh"
ctl="${abs_top_builddir:-.}/sosafectl/sosafectl"
tap_tmpdir report-test
conf="$tmp/sosafe.conf"
printf 'state_dir = %s/state\nsecret_key_file = %s/sosafe.key\n' "$tmp" "$tmp" >"$conf"
chmod 644 "$conf"
db="$tmp/state/state.db"
sql() { sqlite3 "$db" "$1"; }
day=86400
now=$(date +%s)

plan 17
expect_exit 0 "init" -- "$ctl" --conf "$conf" init

# The host: root, a system account, alice, bob (sudo: privileged), eve (never
# logged in, unknown to the store), a NIS compat line, and frank, who is
# also a directory user's name.
cat >"$tmp/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/bash
daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
alice:x:5001:5001::/home/alice:/bin/sh
bob:x:5002:27::/home/bob:/bin/sh
eve:x:5003:5003::/home/eve:/bin/sh
frank:x:5004:5004::/home/frank:/bin/sh
+@netgroup::::::
EOF
grep -v '^+' "$tmp/passwd" >"$tmp/nss-passwd"   # nss_wrapper reads no compat lines
printf 'root:x:0:\ndaemon:x:1:\nsudo:x:27:\nalice:x:5001:\neve:x:5003:\nfrank:x:5004:\n' >"$tmp/group"
# The directory: carol (active), dan (deactivated), frank.
sql "INSERT INTO dir_user(user, uid, gid, first_seen, deactivated_at, reason) VALUES
	('carol', 200001, 200001, 1, 0, ''), ('dan', 200002, 200002, 1, 1700000000, 'left'),
	('frank', 200003, 200003, 1, 0, '')"
# Names the store saw that are no account: a typo at a login prompt, a guess.
sql "INSERT INTO tally(user, last_success) VALUES ('ghost', 0), ('admin', 0), ('alice', 1700000000)"
# Reviews 200 days ago: alice (not privileged: not due before 365 days), bob
# (privileged: due after 183 days).
sql "INSERT INTO review VALUES ('alice', $((now - 200 * day)), 'dave'), ('bob', $((now - 200 * day)), 'dave')"

R=(env LD_PRELOAD=libnss_wrapper.so NSS_WRAPPER_PASSWD="$tmp/nss-passwd" NSS_WRAPPER_GROUP="$tmp/group" "$ctl" --conf "$conf")
expect_exit 0 "report --csv" -- "${R[@]}" report --csv --passwd-file "$tmp/passwd"
cp "$tmp/out" "$tmp/csv"
t "every account of the host and nothing else, in order" \
	"$(sed 1d "$tmp/csv" | cut -d, -f1,2 | tr '\n' ' ')" \
	"alice,local bob,local carol,directory daemon,local dan,directory eve,local frank,local frank,directory root,local "
hasnt csv '^ghost,\|^admin,' "names seen only at a login prompt are not listed"
hasnt csv '^+' "the NIS compat line is no account"
col() { awk -F, -v u="$1" -v s="$2" -v c="$3" '$1 == u && $2 == s { print $c }' "$tmp/csv"; }
t "alice: last login shown, review (200 days ago) not due" "$(col alice local 7),$(col alice local 12)" \
	"2023-11-14T22:13:20Z,no"
t "alice: next review 365 days after the last" "$(col alice local 13)" \
	"$(date -u -d @$((now - 200 * day + 365 * day)) +%Y-%m-%dT%H:%M:%SZ)"
t "bob (sudo): review 200 days ago is due" "$(col bob local 11),$(col bob local 12)" "sudo,yes"
t "root, never reviewed: due" "$(col root local 12),$(col root local 13)" "yes,"
t "eve, never reviewed and never seen: listed, due" "$(col eve local 3),$(col eve local 12)" "active,yes"
t "dan: a deactivated directory user, due" "$(col dan directory 3),$(col dan directory 12)" "deactivated,yes"

expect_exit 0 "report --json" -- "${R[@]}" report --json --passwd-file "$tmp/passwd"
if python3 - "$tmp/out" <<'EOF'
import json, sys
rows = json.load(open(sys.argv[1]))
r = {(x["user"], x["source"]): x for x in rows}
assert len(rows) == 9, rows
assert r[("root", "local")]["privileged"] is True and r[("root", "local")]["review_due"] is True
assert r[("root", "local")]["next_review"] is None
assert r[("alice", "local")]["privileged"] is False and r[("alice", "local")]["review_due"] is False
assert r[("alice", "local")]["next_review"].endswith("Z")
assert r[("bob", "local")]["review_due"] is True
assert r[("daemon", "local")]["review_due"] is True
EOF
then ok "JSON: privileged and review_due per account"; else nok "JSON: privileged and review_due per account"; show "$tmp/out"; fi

# review_days and privileged_review_days are configurable
printf 'review_days = 100\nprivileged_review_days = 365\n' >>"$conf"
expect_exit 0 "report (text) with review_days = 100, privileged_review_days = 365" -- \
	"${R[@]}" report --passwd-file "$tmp/passwd"
check "alice now due, bob not" eval \
	"grep -Eq '^alice +local .* yes +20[0-9-]+T[0-9:]+Z +-\$' '$tmp/out' && grep -Eq '^bob +local .* no +20[0-9-]+T[0-9:]+Z +sudo\$' '$tmp/out'"

expect_exit 1 "an unreadable passwd file: no partial report" -- "${R[@]}" report --passwd-file "$tmp/missing"
has err "cannot read the local accounts in $tmp/missing" "... and the error names the file"
tap_done
