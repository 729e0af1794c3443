#!/bin/sh
# Attribute map, SASL EXTERNAL and --quiet keys of `sosafectl sync`: defaults
# and the refusals that happen before any network traffic. No root. TAP.
set -u
ctl="${abs_top_builddir:-.}/sosafectl/sosafectl"
tmp=$(mktemp -d /tmp/sosafe-ldapxconf.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
n=0
t() { # NAME GOT WANT
	n=$((n + 1))
	if [ "$2" = "$3" ]; then echo "ok $n - $1"; else echo "not ok $n - $1"; echo "# got '$2', want '$3'"; fi
}
conf() {
	printf 'state_dir = %s/state\nentitled_group = g\n%s\n' "$tmp" "$1" >"$tmp/conf"
	chmod 644 "$tmp/conf"
}
val() { "$ctl" --conf "$tmp/conf" config 2>&1 | sed -n "s/^$1 = //p"; }
rc() { "$ctl" --conf "$tmp/conf" "$@" >"$tmp/out" 2>&1; echo $?; }
has() { grep -q -- "$1" "$tmp/out" && echo yes || { sed 's/^/# /' "$tmp/out"; echo no; }; }
echo "1..16"
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
t "  ... naming it" "$(has "ldap_attr_name: 'b@d' is not an attribute name")" "yes"
conf "$base
ldap_sasl_mech = GSSAPI"
rc sync >/dev/null
t "only SASL EXTERNAL is accepted" "$(has "only EXTERNAL")" "yes"
conf "$base
ldap_sasl_mech = EXTERNAL"
rc sync >/dev/null
t "EXTERNAL without a client certificate is refused" "$(has "needs ldap_tls_cert and ldap_tls_key")" "yes"
printf 'cert\n' >"$tmp/c.pem"
printf 'key\n' >"$tmp/c.key"
chmod 644 "$tmp/c.key"
conf "$base
ldap_sasl_mech = EXTERNAL
ldap_tls_cert = $tmp/c.pem
ldap_tls_key = $tmp/c.key"
rc sync >/dev/null
t "a world-readable client key is refused" "$(has "ldap_tls_key .*readable by group or others")" "yes"
chmod 600 "$tmp/c.key"
conf "$base
ldap_sasl_mech = EXTERNAL
ldap_bind_dn = cn=x
ldap_bind_password_file = $tmp/c.key
ldap_tls_cert = $tmp/c.pem
ldap_tls_key = $tmp/c.key"
rc sync >/dev/null
t "EXTERNAL with ldap_bind_dn is refused" "$(has "exclude each other")" "yes"
conf "ldap_uri = ldap://127.0.0.1:1
ldap_base = dc=x
ldap_insecure = yes
ldap_sasl_mech = EXTERNAL
ldap_tls_cert = $tmp/c.pem
ldap_tls_key = $tmp/c.key"
rc sync >/dev/null
t "EXTERNAL without TLS is refused" "$(has "EXTERNAL needs TLS")" "yes"
"$ctl" --conf "$tmp/conf" sync --help >"$tmp/out" 2>&1
t "sync --help names --quiet" "$(has "\-\-quiet")" "yes"
conf "$base"
rc sync --quiet --bogus >/dev/null
t "unknown sync options stay usage errors" "$(rc sync --bogus)" "2"
