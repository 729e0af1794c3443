#!/bin/bash
# Audit trail, pseudonyms and the access-review report through sosafectl,
# on a private state_dir (no root needed). TAP output.
set -u
. "$(dirname "$0")/../lib/tap.sh"
ctl="${abs_top_builddir:-.}/sosafectl/sosafectl"
tap_tmpdir audit-test
conf="$tmp/sosafe.conf"
printf 'state_dir = %s/state\nsecret_key_file = %s/sosafe.key\nnodelay = yes\n' "$tmp" "$tmp" >"$conf"
chmod 644 "$conf"
db="$tmp/state/state.db"
sql() { sqlite3 "$db" "$1"; }
C=(--conf "$conf")
K=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP

plan 54
expect_exit 0 "init" -- "$ctl" "${C[@]}" init
expect_exit 0 "verify of an empty trail passes" -- "$ctl" "${C[@]}" audit verify

# admin actions write records: enroll, recovery-codes, unlock, review
expect_exit 0 "enroll alice" -- "$ctl" "${C[@]}" enroll alice --secret - --no-confirm <<<$K
expect_exit 0 "recovery codes for alice" -- "$ctl" "${C[@]}" recovery-codes alice --count 5
sql "INSERT INTO tally(user, locked_until, last_success) VALUES ('bob', $(( $(date +%s) + 600 )), 1700000000)"
expect_exit 0 "unlock bob" -- "$ctl" "${C[@]}" unlock bob
sql "UPDATE tally SET locked_until = $(( $(date +%s) + 600 )) WHERE user = 'bob'"
expect_exit 0 "review alice" -- "$ctl" "${C[@]}" review alice --by dave
[ "$(stat -c %a "$tmp/state/audit.key")" = 600 ] && ok "audit.key is 0600" || nok "audit.key is 0600"
[ "$(stat -c %s "$tmp/state/audit.key")" = 32 ] && ok "audit.key holds 32 bytes" || nok "audit.key holds 32 bytes"

expect_exit 0 "export" -- "$ctl" "${C[@]}" audit export
for ev in enroll recovery-codes unlock review; do
	has out "event=\"$ev\"" "export has the $ev record"
done
has out 'actor="' "export names the acting admin"
records=$(sql "SELECT count(*) FROM audit")
expect_exit 0 "untouched trail verifies" -- "$ctl" "${C[@]}" audit verify
has out "$records records intact" "verify counts every record"

cp "$db" "$tmp/pristine.db"
restore() { rm -f "$db-wal" "$db-shm"; cp "$tmp/pristine.db" "$db"; }

sql "UPDATE audit SET actor = 'nobody' WHERE seq = 2"
expect_exit 1 "edited record: verify exits 1" -- "$ctl" "${C[@]}" audit verify
has out "record 2 altered" "verify names the edited record 2"
restore
sql "DELETE FROM audit WHERE seq = 3"
expect_exit 1 "deleted record: verify exits 1" -- "$ctl" "${C[@]}" audit verify
has out "record 3 missing" "verify names the deleted record 3"
restore
sql "UPDATE audit SET seq = 100 WHERE seq = 2; UPDATE audit SET seq = 2 WHERE seq = 3; UPDATE audit SET seq = 3 WHERE seq = 100"
expect_exit 1 "reordered records: verify exits 1" -- "$ctl" "${C[@]}" audit verify
has out "record 2 " "verify names the first reordered record 2"
restore
sql "DELETE FROM audit; DELETE FROM audit_head"
expect_exit 1 "whole trail deleted: verify exits 1" -- "$ctl" "${C[@]}" audit verify
has out "audit trail deleted" "verify says the trail was deleted, not empty"
restore
expect_exit 0 "restored copy verifies again" -- "$ctl" "${C[@]}" audit verify --json
has out '"ok":true' "verify --json says ok"

expect_exit 0 "export --since tomorrow is empty" -- "$ctl" "${C[@]}" audit export --since "$(date -u -d tomorrow +%Y-%m-%d)"
[ ! -s "$tmp/out" ] && ok "nothing after tomorrow" || nok "nothing after tomorrow"
expect_exit 0 "export --json" -- "$ctl" "${C[@]}" audit export --since 0 --json
if python3 -c 'import json,sys; r=[json.loads(l) for l in open(sys.argv[1])]; assert [x["seq"] for x in r]==list(range(1,len(r)+1)); assert any(x["event"]=="unlock" and x["user"]=="bob" for x in r)' "$tmp/out"; then
	ok "JSON lines parse, in order, with the unlock of bob"; else nok "JSON lines parse, in order, with the unlock of bob"; fi

# pseudonyms: exports carry no names; reveal maps back
pconf="$tmp/pseudo.conf"
printf 'state_dir = %s/state\nsecret_key_file = %s/sosafe.key\nlog_identity = pseudonym\n' "$tmp" "$tmp" >"$pconf"
chmod 644 "$pconf"
expect_exit 0 "export in pseudonym mode" -- "$ctl" --conf "$pconf" audit export
hasnt out 'user="alice"\|user="bob"' "no user name in the pseudonymised export"
p=$(grep -o 'user="pn:[0-9a-f]*"' "$tmp/out" | head -1 | sed 's/user="\(.*\)"/\1/')
expect_exit 0 "reveal maps the pseudonym back" -- "$ctl" --conf "$pconf" audit reveal "$p"
has out '^alice$\|^bob$' "reveal prints the user name"
expect_exit 1 "reveal of an unknown pseudonym fails" -- "$ctl" --conf "$pconf" audit reveal pn:0000000000000000

# access-review report against a fixture: alice (TOTP, 3 of 5 codes left,
# reviewed by dave), bob (locked, last login 2023-11-14T22:13:20Z, one lock),
# carol (directory user, deactivated)
sql "UPDATE otp_recovery SET used_at = 1 WHERE id IN (SELECT id FROM otp_recovery WHERE user = 'alice' LIMIT 2)"
sql "INSERT INTO dir_user(user, uid, gid, first_seen, deactivated_at, reason) VALUES ('carol', 200001, 200001, 1, 1700000000, 'left')"
sql "INSERT INTO audit VALUES (1000, strftime('%s','now'), 'lock', 'bob', 'sshd', '', '', 'fixture', x'00')"
# groups through nss_wrapper: alice in wheel and "domain admins" (members),
# bob in sudo (primary group), carol in none; "users" is not privileged
printf 'alice:x:5001:5001::/home/alice:/bin/sh\nbob:x:5002:27::/home/bob:/bin/sh\n' >"$tmp/passwd"
printf 'alice:x:5001:\nsudo:x:27:\nwheel:x:10:alice\ndomain admins:x:5100:alice\nusers:x:100:alice,bob\n' >"$tmp/group"
R=(env LD_PRELOAD=libnss_wrapper.so NSS_WRAPPER_PASSWD="$tmp/passwd" NSS_WRAPPER_GROUP="$tmp/group" "$ctl" "${C[@]}")
expect_exit 0 "report --csv" -- "${R[@]}" report --csv --passwd-file "$tmp/passwd"
if [ "$(sed -n 1p "$tmp/out")" = "user,source,status,locked,totp,recovery_codes_left,last_success,locks_in_period,last_review,reviewer,privileged_groups,review_due,next_review" ] &&
   grep -qx 'alice,local,active,no,yes,3,,0,20[0-9-]*T[0-9:]*Z,dave,wheel;domain admins,no,20[0-9-]*T[0-9:]*Z' "$tmp/out" &&
   grep -qx 'bob,local,active,yes,no,0,2023-11-14T22:13:20Z,1,,,sudo,yes,' "$tmp/out" &&
   grep -qx 'carol,directory,deactivated,no,no,0,,0,,,,yes,' "$tmp/out" && [ "$(wc -l <"$tmp/out")" = 4 ]; then
	ok "CSV report matches the fixture"; else nok "CSV report matches the fixture"; sed 's/^/# /' "$tmp/out"; fi
expect_exit 0 "report --json" -- "${R[@]}" report --json --passwd-file "$tmp/passwd"
if python3 - "$tmp/out" <<'EOF'
import json, sys
r = {x["user"]: x for x in json.load(open(sys.argv[1]))}
assert sorted(r) == ["alice", "bob", "carol"], r
a, b, c = r["alice"], r["bob"], r["carol"]
assert a["totp"] is True and a["recovery_codes_left"] == 3 and a["reviewer"] == "dave" and a["last_review"]
assert a["locked"] is False and a["last_success"] is None and a["source"] == "local"
assert b["locked"] is True and b["last_success"] == "2023-11-14T22:13:20Z" and b["locks_in_period"] == 1
assert b["reviewer"] is None and b["totp"] is False
assert c["source"] == "directory" and c["status"] == "deactivated" and c["locked"] is False
assert a["privileged"] is True and a["privileged_groups"] == ["wheel", "domain admins"], a
assert b["privileged"] is True and b["privileged_groups"] == ["sudo"], b
assert c["privileged"] is False and c["privileged_groups"] == [], c
EOF
then ok "JSON report matches the fixture"; else nok "JSON report matches the fixture"; sed 's/^/# /' "$tmp/out"; fi
expect_exit 0 "report (text)" -- "${R[@]}" report --passwd-file "$tmp/passwd"
if grep -Eq '^alice +local +active +no +yes +3 +- +0 +20[0-9-]+T[0-9:]+Z +dave +no +20[0-9-]+T[0-9:]+Z +wheel,domain admins$' "$tmp/out" &&
   grep -Eq '^bob +local +active +yes +no +0 +2023-11-14T22:13:20Z +1 +- +- +yes +- +sudo$' "$tmp/out" &&
   grep -Eq '^carol +directory +deactivated +no +no +0 +- +0 +- +- +yes +- +-$' "$tmp/out"; then
	ok "text report matches the fixture"; else nok "text report matches the fixture"; sed 's/^/# /' "$tmp/out"; fi
# names from the passwd file and the directory reach the report: a cell a
# spreadsheet would run as a formula starts with a quote (OWASP) and is
# quoted (RFC 4180). "+" and "-" lead NIS compat lines in passwd, so those
# names come from the directory.
for u in '=1+1' '@SUM(A1)'; do
	printf '%s:x:%d:100::/:/bin/sh\n' "$u" $((6000 + ${#u})) >>"$tmp/passwd"
done
n=0
for u in '+1+1' '-2+3' "$(printf '\tx')" "$(printf '\rx')"; do
	n=$((n + 1))
	sql "INSERT INTO dir_user(user, uid, gid, first_seen, deactivated_at, reason) VALUES ('$u', $((300000 + n)), 100, 1, 1700000000, 'left')"
done
expect_exit 0 "report --csv with formula-like names" -- "${R[@]}" report --csv --passwd-file "$tmp/passwd"
check "a formula cell starts with a quote inside quotes" python3 -c '
import csv, io, sys
raw = open(sys.argv[1], newline="").read()
users = [r[0] for r in csv.reader(io.StringIO(raw, newline=""))]
want = ["\x27=1+1", "\x27@SUM(A1)", "\x27+1+1", "\x27-2+3", "\x27\tx", "\x27\rx"]
assert all(w in users for w in want), users
assert not any(l and l[0] in "=+-@\t\r" for l in raw.split("\n")), raw
assert "\"\x27=1+1\"," in raw, raw
' "$tmp/out"
sql "DELETE FROM dir_user WHERE user != 'carol'"

# prune (on the intact trail, without the report's fixture record): nothing is
# older than the retention; the trail stays intact
restore
expect_exit 0 "audit prune" -- "$ctl" "${C[@]}" audit prune
has out '^0 audit records pruned (retention [0-9]* days)$' "prune says how many records it deleted"
expect_exit 0 "the trail verifies after a prune" -- "$ctl" "${C[@]}" audit verify
cp "$tmp/state/audit.key" "$tmp/key.saved"
printf short >"$tmp/state/audit.key"
expect_exit 1 "prune without a usable audit key is refused" -- "$ctl" "${C[@]}" audit prune
has err 'audit prune failed; nothing deleted' "and says nothing was deleted"
cp "$tmp/key.saved" "$tmp/state/audit.key"

# fail closed: without its audit record there is no reveal and no review
sql "CREATE TRIGGER audit_ro BEFORE INSERT ON audit BEGIN SELECT RAISE(ABORT, 'audit table read-only (test)'); END"
expect_exit 1 "audit write fails: reveal refused" -- "$ctl" --conf "$pconf" audit reveal "$p"
has err 'audit record not written: reveal refused' "the refusal says why"
hasnt out '^alice$\|^bob$' "the refused reveal names nobody"
expect_exit 1 "audit write fails: review refused" -- "$ctl" "${C[@]}" review bob --by dave
check "the refused review is not recorded" eval '[ "$(sql "SELECT count(*) FROM review WHERE user = '"'bob'"'")" = 0 ]'
sql "DROP TRIGGER audit_ro"
expect_exit 0 "the trail still verifies" -- "$ctl" "${C[@]}" audit verify
tap_done
