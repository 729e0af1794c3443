#!/bin/sh
# `sosafectl sync --from` with what real directories hand over: an Active
# Directory export with binary attributes, records that must not stop the
# sync (quarantined, warned on the terminal and in the report), the
# entitled group by DN, and `sosafectl check` failing before the snapshot
# expires. No root, no server. TAP output.
set -u
. "$(dirname "$0")/../lib/tap.sh"
ctl="${abs_top_builddir:-.}/sosafectl/sosafectl"
tap_tmpdir dirsync
conf() {
	printf 'state_dir = %s/state\nsecret_key_file = %s/sosafe.key\nentitled_group = sosafe-users\nmax_snapshot_age = 1000\n%s\n' \
		"$tmp" "$tmp" "$1" >"$tmp/conf"
	chmod 644 "$tmp/conf"
}
printf 'root:x:0:0::/root:/bin/sh\nlocaluser:x:1000:1000::/home/l:/bin/sh\n' >"$tmp/passwd"
printf 'root:x:0:\nlocaluser:x:1000:\n' >"$tmp/group"
now=$(date +%s)
# sync AT [ARGS]: a sync --from at unix time AT against the local files above
sync_at() {
	at=$1
	shift
	"$ctl" --conf "$tmp/conf" sync --now "$at" --passwd-file "$tmp/passwd" \
		--group-file "$tmp/group" "$@"
}
plan 18
conf ""
expect_exit 0 "init" -- "$ctl" --conf "$tmp/conf" init

# as `ldapsearch -LLL` prints a full AD entry: binary values with NUL bytes
cat >"$tmp/ad.ldif" <<'LDIF'
dn: CN=sosafe-users,OU=Groups,DC=corp,DC=example
objectClass: top
objectClass: group
sAMAccountName: sosafe-users
objectSid:: AQUAAAAAAAUVAAAAAQAAAAIAAAADAAAAUQQAAA==
objectGUID:: AAECAwQFBgcICQoLDA0ODw==

dn: CN=Ann,OU=People,DC=corp,DC=example
objectClass: top
objectClass: person
objectClass: user
sAMAccountName: ann
userAccountControl: 512
objectSid:: AQUAAAAAAAUVAAAAAQAAAAIAAAADAAAAUAQAAA==
objectGUID:: EBESExQVFhcYGRobHB0eHw==
thumbnailPhoto:: /9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAgGBgcGBQgHBwcJCQgKDBQNDAsLDBkSEw8UHRofHh0aHBwg
 JC4nICIsIxwcKDcpLDAxNDQ0Hyc5PTgyPC4zNDL/wAALCAABAAEBAREA/8QAFAABAAAAAAAAAAAA
userCertificate;binary:: MIIBAAIBADANBgkqhkiG9w0BAQEFAASCAQAAAQIDBAUGBwgJ
memberOf: CN=sosafe-users,OU=Groups,DC=corp,DC=example

dn: CN=Eve,OU=People,DC=corp,DC=example
objectClass: user
sAMAccountName: eve
loginShell:: L2Jpbi9zaBtbOG0=
memberOf: CN=sosafe-users,OU=Groups,DC=corp,DC=example

dn: CN=Local,OU=People,DC=corp,DC=example
objectClass: user
sAMAccountName: localuser
memberOf: CN=sosafe-users,OU=Groups,DC=corp,DC=example

# search result
search: 2
result: 0 Success
LDIF
expect_exit 0 "an AD export with binary attributes is read" -- \
	sync_at "$now" --from "$tmp/ad.ldif"
has out "^new  *ann " "  ... ann is published"
has err "warning: eve quarantined" "  ... eve (a shell with ESC) is quarantined, said on the terminal"
has err "warning: localuser quarantined.*local passwd" "  ... localuser (a local account's name) too"
has out "2 record(s) quarantined" "  ... and in the report"
sync_at "$now" --from "$tmp/ad.ldif" --json --dry-run >"$tmp/out" 2>/dev/null
has out '"quarantined":2' "  ... and in the JSON report"

# a group named like the entitled one, outside the export
cat >"$tmp/users.ldif" <<'LDIF'
dn: CN=Mal,OU=People,DC=corp,DC=example
objectClass: user
sAMAccountName: mal
memberOf: CN=sosafe-users,OU=Contractors,DC=corp,DC=example
LDIF
expect_exit 1 "a memberOf outside the export does not entitle by its name" -- \
	sync_at "$now" --from "$tmp/users.ldif"
has err "no group entry of the export" "  ... the export lacks the entitled group: refused"
conf "entitled_group_dn = cn=sosafe-users,ou=contractors,dc=corp,dc=example"
expect_exit 0 "entitled_group_dn names the group by DN" -- \
	sync_at "$now" --from "$tmp/users.ldif"
has out "^new  *mal " "  ... mal is entitled by that DN"
conf ""

# the snapshot's age: fine, then warned at 50 %, failing from 90 %
expect_exit 0 "check: a fresh snapshot" -- "$ctl" --conf "$tmp/conf" check
has out "directory snapshot: .*: ok" "  ... is ok"
sync_at $((now - 600)) --from "$tmp/ad.ldif" >/dev/null 2>&1
expect_exit 0 "check: 60 % of max_snapshot_age warns" -- "$ctl" --conf "$tmp/conf" check
has out "warning: past 50 %" "  ... saying so"
sync_at $((now - 950)) --from "$tmp/ad.ldif" >/dev/null 2>&1
expect_exit 1 "check: 95 % of max_snapshot_age fails" -- "$ctl" --conf "$tmp/conf" check
printf '{"users":[]}\n' >"$tmp/empty.json"
expect_exit 1 "a refused sync..." -- sync_at "$now" --from "$tmp/empty.json"
has err "warning: the directory snapshot is 9[0-9][0-9] s old" "  ... warns how old the snapshot is"
tap_done
