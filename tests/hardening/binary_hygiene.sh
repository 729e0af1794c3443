#!/bin/bash
# The built binaries: exported symbols and hardening flags. TAP output.
set -u
top=${abs_top_builddir:-.}
. "$(dirname "$0")/../lib/tap.sh"
only_exports() { # file, allowed regex
	local syms bad
	syms=$(nm -D --defined-only "$1" | awk '$2 ~ /^[TDBRVWi]$/ {print $3}')
	bad=$(echo "$syms" | grep -v -E "$2")
	[ -z "$bad" ] || { echo "unexpected exports in $1: $bad" >&2; return 1; }
	echo "$syms" | grep -q -E "$2"
}
relro_now() {
	readelf -lW "$1" | grep -q GNU_RELRO && readelf -dW "$1" | grep -q -E 'BIND_NOW|FLAGS.*NOW'
}
no_execstack() { readelf -lW "$1" | grep GNU_STACK | grep -v -q RWE; }
stack_protected() { nm -D "$1" | grep -q __stack_chk_fail; }
fortified() { nm -D "$1" | grep -q -E '__[a-z]+_chk@'; }

pam=$top/pam_sosafe/.libs/pam_sosafe.so
ctl=$top/sosafectl/sosafectl
nss=$(ls "$top"/nss_sosafe/.libs/libnss_sosafe.so.2 2>/dev/null)
total=9
[ -n "$nss" ] && total=13
plan "$total"
check "pam_sosafe.so exports only pam_sm_*" only_exports "$pam" '^pam_sm_(authenticate|setcred|acct_mgmt|open_session|close_session|chauthtok)$'
check "pam_sosafe.so has RELRO and BIND_NOW" relro_now "$pam"
check "pam_sosafe.so has no executable stack" no_execstack "$pam"
check "pam_sosafe.so uses the stack protector" stack_protected "$pam"
check "sosafectl is PIE" sh -c "readelf -hW '$ctl' | grep -q 'DYN'"
check "sosafectl has RELRO and BIND_NOW" relro_now "$ctl"
check "sosafectl has no executable stack" no_execstack "$ctl"
check "sosafectl uses the stack protector" stack_protected "$ctl"
check "sosafectl uses fortified libc calls" fortified "$ctl"
if [ -n "$nss" ]; then
	check "libnss_sosafe.so.2 exports only _nss_sosafe_*" only_exports "$nss" '^_nss_sosafe_'
	check "libnss_sosafe.so.2 has RELRO and BIND_NOW" relro_now "$nss"
	check "libnss_sosafe.so.2 has no executable stack" no_execstack "$nss"
	check "libnss_sosafe.so.2 links no SQLite, OpenSSL or libldap" sh -c "! readelf -dW '$nss' | grep NEEDED | grep -E 'sqlite|ssl|crypto|ldap|pam'"
fi
tap_done
