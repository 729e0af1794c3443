#!/bin/sh
# Code loaded into a host process (sshd, sudo, radiusd, openvpn) keeps no
# process-global mutable state: threads with different conf= lines must not
# see each other's settings or keys. Every writable object (.data, .bss) in
# pam_sosafe.so must be one of those listed here. TAP output. (sosafed is
# the one process that may keep state: it is not checked here.)
top=${abs_top_builddir:-.}
# toolchain: crtstuff and the DSO handle
allowed='^(completed\.[0-9]+|__dso_handle|__TMC_END__'
# log sink: only sosafectl, tests and fuzzers change it (base/log.h)
allowed="$allowed|current_sink"
# libc's own objects copied into an executable (stderr@GLIBC_...)
allowed="$allowed|.*@.*)\$"

writable() { # the writable data objects of $1
	objdump -t "$1" | awk '($4 == ".data" || $4 == ".bss") && $3 == "O" { print $NF }'
}
. "$(dirname "$0")/../lib/tap.sh"
plan 1
for bin in "$top/pam_sosafe/.libs/pam_sosafe.so"; do
	name=$(basename "$bin")
	if [ ! -f "$bin" ]; then
		nok "$name: not built"
		continue
	fi
	bad=$(writable "$bin" | grep -v -E "$allowed")
	if [ -z "$bad" ]; then
		ok "$name: no process-global mutable state beyond the listed ones"
	else
		nok "$name: writable globals: $(echo "$bad" | tr "\n" " ")"
	fi
done
tap_done
