#!/bin/bash
# sosafectl end to end on a private state_dir (no root needed). TAP output.
set -u
. "$(dirname "$0")/../lib/tap.sh"
ctl="${abs_top_builddir:-.}/sosafectl/sosafectl"
tap_tmpdir sosafectl-test
conf="$tmp/sosafe.conf"
printf 'state_dir = %s/state\nsecret_key_file = %s/sosafe.key\nnodelay = yes\n' "$tmp" "$tmp" >"$conf"
chmod 644 "$conf"
sql() { sqlite3 "$tmp/state/state.db" "$1"; }
now=$(date +%s)
C=(--conf "$conf")

plan 55
expect_exit 4 "status before init fails with store error" -- "$ctl" "${C[@]}" status alice
has err "sosafectl init" "the error says to run sosafectl init"
expect_exit 0 "init creates the store" -- "$ctl" "${C[@]}" init
expect_exit 0 "init again is harmless" -- "$ctl" "${C[@]}" init
[ "$(stat -c %a "$tmp/state")" = 755 ] && ok "state dir is 0755" || nok "state dir is 0755"
[ "$(stat -c %a "$tmp/state/state.db")" = 600 ] && ok "store is 0600" || nok "store is 0600"
expect_exit 0 "status of a user without records" -- "$ctl" "${C[@]}" status alice
has out "alice .*ok.*failures=0/6" "shows ok and 0 failures"

# alice: 6 failures and a lock until now+600; bob: 2 failures, not locked
fails=$(python3 -c "import struct,sys; sys.stdout.write(''.join(struct.pack('<q',$now-i).hex() for i in range(6)))")
sql "INSERT INTO tally(user,fails,locked_until,reset_seq,lock_level,last_lock,attempts,refused,last_success)
     VALUES('alice',x'$fails',$now+600,0,1,$now,6,3,0),
           ('bob',x'$(python3 -c "import struct,sys; sys.stdout.write(struct.pack('<q',$now).hex()*2)")',0,0,0,0,2,0,$now-100)"
expect_exit 0 "status --json of a locked user" -- "$ctl" "${C[@]}" status alice --json
python3 - "$tmp/out" <<'PY' && ok "json fields user/locked/failures/locked_until" || nok "json fields user/locked/failures/locked_until"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["user"] == "alice" and d["locked"] is True and d["failures"] == 6, d
assert d["locked_until"].endswith("Z") and d["lock_level"] == 1 and d["refused"] == 3, d
PY
expect_exit 0 "global --json before the command works too" -- "$ctl" "${C[@]}" --json status bob
python3 -c "import json,sys; d=json.load(open('$tmp/out')); assert d['locked'] is False and d['failures']==2 and d['locked_until'] is None" \
	&& ok "bob: not locked, 2 failures" || nok "bob: not locked, 2 failures"
expect_exit 0 "status --all" -- "$ctl" "${C[@]}" status --all
has out "alice .*LOCKED" "--all lists the locked user"
has out "bob " "--all lists the user with failures"
expect_exit 0 "status --all --json" -- "$ctl" "${C[@]}" status --all --json
python3 -c "import json; d=json.load(open('$tmp/out')); assert [x['user'] for x in d]==['alice','bob']" \
	&& ok "--all --json is an array of both" || nok "--all --json is an array of both"

expect_exit 0 "backup" -- "$ctl" "${C[@]}" backup "$tmp/backup.db"
[ "$(stat -c %a "$tmp/backup.db")" = 600 ] && ok "backup is 0600" || nok "backup is 0600"
expect_exit 1 "backup refuses to overwrite" -- "$ctl" "${C[@]}" backup "$tmp/backup.db"

expect_exit 0 "unlock" -- "$ctl" "${C[@]}" unlock alice
has out "alice unlocked by" "unlock names who did it"
"$ctl" "${C[@]}" --json status alice >"$tmp/out"
python3 -c "import json; d=json.load(open('$tmp/out')); assert d['locked'] is False and d['failures']==0" \
	&& ok "after unlock: not locked, no failures" || nok "after unlock: not locked, no failures"

# refusals of a lock after its first are only counted: unlock records their number
sql "INSERT INTO tally(user, locked_until, refused, lock_refused) VALUES ('carol', $now+600, 5, 5)"
expect_exit 0 "unlock after 5 refused attempts" -- "$ctl" "${C[@]}" unlock carol
# an exempt account's second factor has a lock of its own: unlock clears it too
sql "INSERT INTO code_tally(user, locked_until, refused, lock_refused) VALUES ('root', $now+600, 2, 2)"
expect_exit 0 "status of root with a locked second factor" -- "$ctl" "${C[@]}" status root
has out "second factor locked until .*the account is not locked" "status shows the second factor's lock"
expect_exit 0 "unlock of a locked second factor" -- "$ctl" "${C[@]}" unlock root
t "the second-factor tally is cleared" "$(sql "SELECT count(*) FROM code_tally WHERE user = 'root'")" 0
expect_exit 0 "audit export" -- "$ctl" "${C[@]}" audit export
has out 'event="unlock" user="carol" .*detail="was locked; 5 attempts refused during the lock"' \
	"the unlock record gives the refusals during the lock"
has out 'event="unlock" user="root" .*detail="was not locked; second factor was locked"' \
	"the unlock record says the second factor was locked"

expect_exit 0 "restore one user from the backup" -- "$ctl" "${C[@]}" restore "$tmp/backup.db" --user alice
"$ctl" "${C[@]}" --json status alice >"$tmp/out"
python3 -c "import json; d=json.load(open('$tmp/out')); assert d['locked'] is True" \
	&& ok "alice is locked again after per-user restore" || nok "alice is locked again after per-user restore"
sql "DELETE FROM tally"
expect_exit 0 "restore the whole store" -- "$ctl" "${C[@]}" restore "$tmp/backup.db"
[ "$(sql 'SELECT count(*) FROM tally')" = 2 ] && ok "both rows are back" || nok "both rows are back"
printf 'this is not a database at all, just some text padding it out to size.....' >"$tmp/bad.db"
before=$(sql 'SELECT count(*) FROM tally')
expect_exit 1 "restore from a damaged file is refused" -- "$ctl" "${C[@]}" restore "$tmp/bad.db"
[ "$(sql 'SELECT count(*) FROM tally')" = "$before" ] && ok "a refused restore changes nothing" || nok "a refused restore changes nothing"
expect_exit 0 "check passes on a good store" -- "$ctl" "${C[@]}" check
# restore replaces the store file: its record follows in a transaction of
# its own, and a missing record is reported
cp "$tmp/backup.db" "$tmp/noaudit.db"
sqlite3 "$tmp/noaudit.db" "CREATE TRIGGER audit_ro BEFORE INSERT ON audit BEGIN SELECT RAISE(ABORT, 'audit table read-only (test)'); END"
expect_exit 1 "restore without its audit record exits 1" -- "$ctl" "${C[@]}" restore "$tmp/noaudit.db"
has err 'restore done, but its audit record could not be written' "and says the record is missing"
sql "DROP TRIGGER audit_ro"

expect_exit 2 "hostile user name refused" -- "$ctl" "${C[@]}" status ../x
expect_exit 2 "control characters refused" -- "$ctl" "${C[@]}" unlock "$(printf 'a\001b')"
expect_exit 2 "10 kB name refused" -- "$ctl" "${C[@]}" status "$(head -c 10240 /dev/zero | tr '\0' a)"
expect_exit 2 "unknown command" -- "$ctl" "${C[@]}" frobnicate
expect_exit 2 "status without a user" -- "$ctl" "${C[@]}" status
for cmd in init status unlock backup restore check config; do
	"$ctl" "${C[@]}" "$cmd" --help >"$tmp/out" 2>&1 && grep -q "^Usage: sosafectl $cmd" "$tmp/out" || { nok "$cmd --help"; continue; }
done
ok "--help works on every command"

printf 'state_dir = %s/state\ndenny = 3\n' "$tmp" >"$tmp/bad.conf"
chmod 644 "$tmp/bad.conf"
expect_exit 3 "unknown config key" -- "$ctl" --conf "$tmp/bad.conf" status alice
has err "bad.conf:2: unknown key; did you mean 'deny'?" "the error names file and line, and suggests the key"
chmod 666 "$tmp/bad.conf"
expect_exit 3 "world-writable config refused" -- "$ctl" --conf "$tmp/bad.conf" config
expect_exit 0 "config prints effective values" -- "$ctl" "${C[@]}" config
has out "^deny = 6$" "config shows deny = 6"

# purge forgets idle lockout rows of names that never logged in, and only those
old=$((now - 2 * 86400))
oldfail=$(python3 -c "import struct,sys; sys.stdout.write(struct.pack('<q',$old).hex())")
sql "INSERT INTO tally(user,fails,attempts,period_start,period_fails) VALUES
     ('guess1',x'$oldfail',1,$old,1),('guess2',x'$oldfail',1,$old,1),
     ('fresh1',x'$(python3 -c "import struct,sys; sys.stdout.write(struct.pack('<q',$now).hex())")',1,$now,1)"
expect_exit 0 "purge on a host without directory sync" -- "$ctl" "${C[@]}" purge
has out "2 idle lockout record" "purge says it forgot 2 idle lockout records"
left=$(sql "SELECT group_concat(user) FROM (SELECT user FROM tally ORDER BY user)")
[ "$left" = "alice,bob,fresh1" ] && ok "locked, logged-in and recent rows are kept ($left)" || nok "locked, logged-in and recent rows are kept ($left)"

printf 'garbage garbage garbage garbage!' | dd of="$tmp/state/state.db" conv=notrunc 2>/dev/null
expect_exit 4 "a corrupted store is reported" -- "$ctl" "${C[@]}" status alice
tap_done
