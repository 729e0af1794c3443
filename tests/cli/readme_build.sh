#!/bin/bash
# The README's "Build by hand" configure line installs where the system looks:
# pam_sosafe.so next to pam_unix.so, libnss_sosafe.so.2 next to glibc's own
# NSS modules, the sample configuration where the module reads it. The line
# is taken from the README and its arguments expanded as a shell would.
# TAP output.
set -u
src="${abs_top_srcdir:-.}"
. "$src/tests/lib/tap.sh"
tap_tmpdir readme-build
plan 5

# the "./configure ..." command of the section, continuation lines joined
sed -n '/^## Build by hand/,/^## /p' "$src/README.md" |
	sed -n '/^ *\.\/configure/,/[^\\]$/p' | sed 's/\\$//' | tr -d '\n' >"$tmp/line"
check "the section has a configure command" grep -q './configure' "$tmp/line"
args=$(sed 's/^ *\.\/configure//' "$tmp/line")
eval "set -- $args"
opt() {
	local want=$1 a
	for a in "$@"; do
		[ "${a%%=*}" = "--$want" ] && echo "${a#*=}"
	done
	return 0
}
opts=("$@")
resolve() { [ -n "$1" ] && readlink -f "$1"; }
# where libpam takes its modules from, and glibc its NSS modules
pam_unix=$(find /lib /usr/lib /lib64 /usr/lib64 -name pam_unix.so -path '*/security/*' 2>/dev/null | head -1)
nss_files=$(find /lib /usr/lib /lib64 /usr/lib64 -maxdepth 2 -name libnss_files.so.2 2>/dev/null |
	grep -v '/lib32/\|/libx32/' | head -1)
if [ -z "$pam_unix" ] || [ -z "$nss_files" ]; then
	for i in 1 2 3 4; do ok "# SKIP pam_unix.so or libnss_files.so.2 not found"; done
	tap_done
fi
t "--with-pammoddir is the directory of pam_unix.so" \
	"$(resolve "$(opt with-pammoddir "${opts[@]}")")" "$(readlink -f "$(dirname "$pam_unix")")"
t "--libdir is the directory of glibc's NSS modules" \
	"$(resolve "$(opt libdir "${opts[@]}")")" "$(readlink -f "$(dirname "$nss_files")")"
t "--sysconfdir puts the sample at /etc/security/sosafe.conf, the file the module reads" \
	"$(opt sysconfdir "${opts[@]}")" "/etc"
t "--prefix puts sosafectl in /usr/sbin" "$(opt prefix "${opts[@]}")" "/usr"
tap_done
