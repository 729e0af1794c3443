#!/bin/sh
# The ldap_* configuration keys of `sosafectl sync` and the refusals that
# happen before any network traffic (no root, no server). TAP output.
set -u
ctl="${abs_top_builddir:-.}/sosafectl/sosafectl"
tmp=$(mktemp -d /tmp/sosafe-ldapconf.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
n=0
t() { # NAME GOT WANT
	n=$((n + 1))
	if [ "$2" = "$3" ]; then echo "ok $n - $1"; else echo "not ok $n - $1"; echo "# got '$2', want '$3'"; fi
}
# conf LINES: write the configuration
conf() {
	printf 'state_dir = %s/state\nentitled_group = g\n%s\n' "$tmp" "$1" >"$tmp/conf"
	chmod 644 "$tmp/conf"
}
val() { "$ctl" --conf "$tmp/conf" config 2>&1 | sed -n "s/^$1 = //p"; }
rc() { "$ctl" --conf "$tmp/conf" "$@" >"$tmp/out" 2>&1; echo $?; }
echo "1..16"
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
