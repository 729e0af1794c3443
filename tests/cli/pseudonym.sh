#!/bin/bash
# log_identity = pseudonym through sosafectl: the audit details of a sync
# (the same text as its syslog lines) name nobody: no uid, no old name of a
# rename, no stable id, no names in grouped new-user lines or in the reason
# of a refused sync. Private state_dir, no root needed. TAP output.
set -u
. "$(dirname "$0")/../lib/tap.sh"
ctl="${abs_top_builddir:-.}/sosafectl/sosafectl"
tap_tmpdir pseudonym-test
TAP_ON_FAIL='show "$tmp/err" "$tmp/out"'
mkconf() {
	printf 'state_dir = %s/%s\nsecret_key_file = %s/sosafe.key\nentitled_group = sosafe-users\n%s\n' "$tmp" "$2" "$tmp" "$3" >"$tmp/$1.conf"
	chmod 644 "$tmp/$1.conf"
}
mkconf pseudo state "log_identity = pseudonym"
mkconf plain plain ""
P=(--conf "$tmp/pseudo.conf")
# user NAME UID STABLE_ID: one entitled AD-shaped LDIF entry
user() {
	printf 'dn: CN=%s,OU=people,DC=x\nobjectClass: user\nsAMAccountName: %s\nuidNumber: %s\n' "$1" "$1" "$2"
	printf 'userAccountControl: 512\nmemberOf: CN=sosafe-users,OU=groups,DC=x\nsosafeStableId: %s\n\n' "$3"
}
# the entitled group, as the export of a whole directory holds it
group() { printf 'dn: CN=sosafe-users,OU=groups,DC=x\nobjectClass: group\nsAMAccountName: sosafe-users\n\n'; }
{ group; user erin 301234 objectsid:S-1-5-21-9-1105; user keeper 301235 objectsid:S-1-5-21-9-1106; } >"$tmp/a.ldif"
{ group; user erin2 301234 objectsid:S-1-5-21-9-1105; user keeper 301235 objectsid:S-1-5-21-9-1106; } >"$tmp/b.ldif"
{ group; user erin2 301234 objectsid:S-1-5-21-9-1105; user frida 301236 objectsid:S-1-5-21-9-1105; } >"$tmp/bad.ldif"
{ group; for i in $(seq 1001); do user "bulk$i" $((310000 + i)) "objectsid:S-1-5-21-9-$((20000 + i))"; done; } >"$tmp/bulk.ldif"
# export and hasnt: the trail in pseudonym mode must hold none of these
names='erin\|keeper\|frida\|bulk[0-9]\|30123[456]\|3100[0-9][0-9]\|S-1-5-21'

plan 15
expect_exit 0 "init" -- "$ctl" "${P[@]}" init
expect_exit 0 "sync of two new users" -- "$ctl" "${P[@]}" sync --from "$tmp/a.ldif"
has out "erin .*uid=301234" "the terminal still names the user and the uid"
expect_exit 0 "sync of a rename (same stable id)" -- "$ctl" "${P[@]}" sync --from "$tmp/b.ldif"
has out "renamed from 'erin'" "the terminal still names the old name"
expect_exit 1 "sync of an export with a duplicate stable id is refused" -- "$ctl" "${P[@]}" sync --from "$tmp/bad.ldif"
has err "S-1-5-21-9-1105" "the terminal still says which id"
expect_exit 0 "sync of 1001 more new users (grouped lines)" -- "$ctl" "${P[@]}" sync --from "$tmp/bulk.ldif"
expect_exit 0 "export in pseudonym mode" -- "$ctl" "${P[@]}" audit export
has out 'event="renamed" user="pn:[0-9a-f]*" .*detail="sync: renamed from pn:[0-9a-f]*; 1 record(s) moved"' \
	"the rename names the old name by its pseudonym"
has out 'detail="sync: new users [0-9]* of 1001: pn:[0-9a-f]* pn:' "grouped new users are pseudonyms"
hasnt out "$names" "no name, uid or stable id in any record"

# without pseudonyms the details stay as they were
expect_exit 0 "plain: sync of two new users" -- "$ctl" --conf "$tmp/plain.conf" sync --from "$tmp/a.ldif"
expect_exit 0 "plain: export" -- "$ctl" --conf "$tmp/plain.conf" audit export
has out 'event="new" user="erin" .*detail="sync: uid 301234; uid from the directory"' \
	"plain mode keeps the name and the uid"
tap_done
