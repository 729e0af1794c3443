#!/bin/sh
# The ldap_* configuration keys of `sosafectl sync` (connection, attribute
# map, SASL EXTERNAL, --quiet) and the refusals that happen before any
# network traffic (no root, no server). TAP output.
set -u
. "$(dirname "$0")/../lib/tap.sh"
ctl="${abs_top_builddir:-.}/sosafectl/sosafectl"
tap_tmpdir ldapconf
# conf LINES: write the configuration
conf() {
	printf 'state_dir = %s/state\nsecret_key_file = %s/sosafe.key\nentitled_group = g\n%s\n' "$tmp" "$tmp" "$1" >"$tmp/conf"
	chmod 644 "$tmp/conf"
}
val() { "$ctl" --conf "$tmp/conf" config 2>&1 | sed -n "s/^$1 = //p"; }
rc() { "$ctl" --conf "$tmp/conf" "$@" >"$tmp/out" 2>&1; echo $?; }
# said PATTERN: yes when the last command's output has PATTERN
said() { grep -q -- "$1" "$tmp/out" && echo yes || { sed 's/^/# /' "$tmp/out"; echo no; }; }
plan 32

# connection and sync fraction
conf ""
t "default min_sync_fraction" "$(val min_sync_fraction)" "0.500"
t "default ldap_timeout" "$(val ldap_timeout)" "30"
t "default ldap_page_size" "$(val ldap_page_size)" "500"
t "default ldap_insecure" "$(val ldap_insecure)" "no"
conf "min_sync_fraction = 0.75"
t "min_sync_fraction 0.75" "$(val min_sync_fraction)" "0.750"
conf "min_sync_fraction = 1"
t "min_sync_fraction 1" "$(val min_sync_fraction)" "1.000"
conf "min_sync_fraction = 0"
t "min_sync_fraction 0 (off)" "$(val min_sync_fraction)" "0.000"
for bad in 1.5 0.0001 -0.5 .5 abc 2; do
	conf "min_sync_fraction = $bad"
	"$ctl" --conf "$tmp/conf" config >/dev/null 2>&1 && echo "# accepted $bad"
done >"$tmp/bad"
t "bad fractions refused (1.5 0.0001 -0.5 .5 abc 2)" "$(cat "$tmp/bad")" ""
conf "ldap_bind_password_file = relative/pw"
t "password file must be an absolute path (config unusable: 3)" "$(rc config)" "3"
"$ctl" --conf "$tmp/conf" init >/dev/null 2>&1
conf ""
t "sync without ldap_uri or --from: usage error" "$(rc sync)" "2"
grep -q "ldap_uri" "$tmp/out"
t "  ... naming ldap_uri" "$?" "0"
conf "ldap_uri = ldap://127.0.0.1:1
ldap_base = dc=x"
t "plain ldap:// refused before connecting" "$(rc sync)" "1"
grep -q "plain LDAP refused" "$tmp/out"
t "  ... saying so" "$?" "0"
printf 'pw\n' >"$tmp/pw"
chmod 644 "$tmp/pw"
conf "ldap_uri = ldaps://127.0.0.1:1
ldap_base = dc=x
ldap_bind_dn = cn=x
ldap_bind_password_file = $tmp/pw"
t "world-readable password file refused" "$(rc sync)" "1"
grep -q "readable by group or others" "$tmp/out"
t "  ... saying so" "$?" "0"
conf "ldap_uri = ftp://127.0.0.1
ldap_base = dc=x"
rc sync >/dev/null
grep -q "only ldap:// and ldaps://" "$tmp/out"
t "other URI schemes refused" "$?" "0"

# attribute map, SASL EXTERNAL and --quiet
conf ""
t "default ldap_attr_name" "$(val ldap_attr_name)" "sAMAccountName"
t "default ldap_attr_id" "$(val ldap_attr_id)" "objectSid,objectGUID,entryUUID"
t "default ldap_attr_gecos" "$(val ldap_attr_gecos)" "gecos,displayName,cn"
t "default ldap_attr_member_of" "$(val ldap_attr_member_of)" "memberOf"
t "default ldap_disabled_filter (none)" "$(val ldap_disabled_filter)" ""
conf "ldap_attr_member_of =
ldap_attr_name = uid"
t "an empty ldap_attr_member_of is accepted" "$(val ldap_attr_member_of):$(val ldap_attr_name)" ":uid"
"$ctl" --conf "$tmp/conf" config >"$tmp/dump" 2>&1
cp "$tmp/dump" "$tmp/conf"
t "  ... and the dump parses back" "$(val ldap_attr_member_of):$(val ldap_attr_name)" ":uid"
"$ctl" --conf "$tmp/conf" init >/dev/null 2>&1
base="ldap_uri = ldaps://127.0.0.1:1
ldap_base = dc=x"
conf "$base
ldap_attr_name = sAMAccountName,b@d"
t "a bad attribute name is refused before connecting" "$(rc sync)" "1"
t "  ... naming it" "$(said "ldap_attr_name: 'b@d' is not an attribute name")" "yes"
conf "$base
ldap_sasl_mech = GSSAPI"
rc sync >/dev/null
t "only SASL EXTERNAL is accepted" "$(said "only EXTERNAL")" "yes"
conf "$base
ldap_sasl_mech = EXTERNAL"
rc sync >/dev/null
t "EXTERNAL without a client certificate is refused" "$(said "needs ldap_tls_cert and ldap_tls_key")" "yes"
printf 'cert\n' >"$tmp/c.pem"
printf 'key\n' >"$tmp/c.key"
chmod 644 "$tmp/c.key"
conf "$base
ldap_sasl_mech = EXTERNAL
ldap_tls_cert = $tmp/c.pem
ldap_tls_key = $tmp/c.key"
rc sync >/dev/null
t "a world-readable client key is refused" "$(said "ldap_tls_key .*readable by group or others")" "yes"
chmod 600 "$tmp/c.key"
conf "$base
ldap_sasl_mech = EXTERNAL
ldap_bind_dn = cn=x
ldap_bind_password_file = $tmp/c.key
ldap_tls_cert = $tmp/c.pem
ldap_tls_key = $tmp/c.key"
rc sync >/dev/null
t "EXTERNAL with ldap_bind_dn is refused" "$(said "exclude each other")" "yes"
conf "ldap_uri = ldap://127.0.0.1:1
ldap_base = dc=x
ldap_insecure = yes
ldap_sasl_mech = EXTERNAL
ldap_tls_cert = $tmp/c.pem
ldap_tls_key = $tmp/c.key"
rc sync >/dev/null
t "EXTERNAL without TLS is refused" "$(said "EXTERNAL needs TLS")" "yes"
"$ctl" --conf "$tmp/conf" sync --help >"$tmp/out" 2>&1
t "sync --help names --quiet" "$(said "\-\-quiet")" "yes"
conf "$base"
rc sync --quiet --bogus >/dev/null
t "unknown sync options stay usage errors" "$(rc sync --bogus)" "2"
tap_done
