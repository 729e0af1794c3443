#!/bin/bash
# The built binaries: exported symbols, hardening flags, and what each one
# carries and links. TAP output.
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
needs() { readelf -dW "$1" | sed -n 's/.*NEEDED.*\[\(.*\)\]/\1/p' | sort | tr '\n' ' '; }
# Every library it names is used (ldd -u lists the unused ones).
links_only_what_it_uses() { [ -f "$1" ] && ! ldd -u "$1" 2>/dev/null | grep -q .; }
# No global function or object of the admin library (directory parsers and sync,
# snapshot writer, secret import, backup/restore ...) is linked into FILE:
# code no login needs must not be loaded into sshd, sudo or radiusd.
no_admin_code() {
	local admin found
	admin=$(nm --defined-only "$top/lib/.libs/libsosafe_admin.a" 2>/dev/null |
		awk '$2 ~ /^[TDBR]$/ {print $3}' | sort -u)
	[ -n "$admin" ] || { echo "no symbols in the admin library" >&2; return 1; }
	found=$(nm --defined-only "$1" | awk '{print $3}' | sort -u | comm -12 - <(echo "$admin"))
	[ -z "$found" ] || { echo "admin code in $1: $found" >&2; return 1; }
}

pam=$top/pam_sosafe/.libs/pam_sosafe.so
ctl=$top/sosafectl/sosafectl
daemon=$top/sosafed/sosafed
nss=$(ls "$top"/nss_sosafe/.libs/libnss_sosafe.so.2 2>/dev/null)
# No set-user-ID or set-group-ID file in what `make install` puts down.
installs_no_setuid() {
	local dest found
	dest=$(mktemp -d "${TMPDIR:-/tmp}/sosafe-install.XXXXXX") || return 1
	if ! make -s -C "$top" install DESTDIR="$dest" >"$dest.log" 2>&1; then
		sed 's/^/# /' "$dest.log"
		rm -rf "$dest" "$dest.log"
		return 1
	fi
	found=$(find "$dest" -type f -perm /6000)
	rm -rf "$dest" "$dest.log"
	[ -z "$found" ] || { echo "setuid/setgid files installed: $found" >&2; return 1; }
}
total=18
[ -n "$nss" ] && total=$((total + 6))
plan "$total"
check "pam_sosafe.so exports only pam_sm_*" only_exports "$pam" '^pam_sm_(authenticate|setcred|acct_mgmt|open_session|close_session|chauthtok)$'
check "pam_sosafe.so has RELRO and BIND_NOW" relro_now "$pam"
check "pam_sosafe.so has no executable stack" no_execstack "$pam"
check "pam_sosafe.so uses the stack protector" stack_protected "$pam"
check "pam_sosafe.so carries no admin code (directory, LDIF/JSON, snapshot writer, ...)" no_admin_code "$pam"
check "pam_sosafe.so links only libraries it uses" links_only_what_it_uses "$pam"
check "pam_sosafe.so links no SQLite, libpq, nettle, liboath or libxcrypt (the daemon decides)" \
	sh -c "! ldd '$pam' | grep -E 'libsqlite3|libpq|libnettle|libhogweed|liboath|libcrypt\\.'"
t "pam_sosafe.so needs only libpam and libc" "$(needs "$pam")" "libc.so.6 libpam.so.0 "
check "sosafed links only libraries it uses" links_only_what_it_uses "$daemon"
check "sosafed is PIE with RELRO and BIND_NOW" sh -c "readelf -hW '$daemon' | grep -q DYN && readelf -lW '$daemon' | grep -q GNU_RELRO"
check "make install puts down no setuid or setgid file" installs_no_setuid
check "sosafectl links only libraries it uses" links_only_what_it_uses "$ctl"
check "pam_sosafe.so links no libldap, libqrencode or libcdb" sh -c "! readelf -dW '$pam' | grep NEEDED | grep -E 'ldap|lber|qrencode|cdb'"
check "sosafectl is PIE" sh -c "readelf -hW '$ctl' | grep -q 'DYN'"
check "sosafectl has RELRO and BIND_NOW" relro_now "$ctl"
check "sosafectl has no executable stack" no_execstack "$ctl"
check "sosafectl uses the stack protector" stack_protected "$ctl"
check "sosafectl uses fortified libc calls" fortified "$ctl"
if [ -n "$nss" ]; then
	check "libnss_sosafe.so.2 exports only _nss_sosafe_*" only_exports "$nss" '^_nss_sosafe_'
	check "libnss_sosafe.so.2 has RELRO and BIND_NOW" relro_now "$nss"
	check "libnss_sosafe.so.2 has no executable stack" no_execstack "$nss"
	check "libnss_sosafe.so.2 links no SQLite, libpq, OpenSSL or libldap" sh -c "! readelf -dW '$nss' | grep NEEDED | grep -E 'sqlite|libpq|ssl|crypto|ldap|pam'"
	t "libnss_sosafe.so.2 needs only libc" "$(needs "$nss")" "libc.so.6 "
	check "libnss_sosafe.so.2 carries no admin code" no_admin_code "$nss"
fi
tap_done
