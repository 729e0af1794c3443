#!/bin/sh
# Code loaded into a host process (sshd, sudo, radiusd, openvpn) keeps no
# process-global mutable state: threads with different conf= lines must not
# see each other's settings or keys. Every writable object (.data, .bss) in
# pam_sosafe.so and sosafe-otpchk must be one of those listed here. TAP output.
top=${abs_top_builddir:-.}
# toolchain: crtstuff and the DSO handle
allowed='^(completed\.[0-9]+|__dso_handle|__TMC_END__'
# log sink: only sosafectl, tests and fuzzers change it (base/log.h)
allowed="$allowed|current_sink"
# liboath initialised once (pthread_once) for the whole process
allowed="$allowed|init_once|init_rc"
# serialises getspnam(), which is not thread-safe
allowed="$allowed|lock\\.[0-9]+"
# libc's own objects copied into an executable (stderr@GLIBC_...)
allowed="$allowed|.*@.*)\$"

writable() { # the writable data objects of $1
	objdump -t "$1" | awk '($4 == ".data" || $4 == ".bss") && $3 == "O" { print $NF }'
}
n=0
failed=0
echo "1..2"
for bin in "$top/pam_sosafe/.libs/pam_sosafe.so" "$top/pam_sosafe/sosafe-otpchk"; do
	n=$((n + 1))
	name=$(basename "$bin")
	if [ ! -f "$bin" ]; then
		echo "not ok $n - $name: not built"
		failed=1
		continue
	fi
	bad=$(writable "$bin" | grep -v -E "$allowed")
	if [ -z "$bad" ]; then
		echo "ok $n - $name: no process-global mutable state beyond the listed ones"
	else
		echo "not ok $n - $name: writable globals: $(echo "$bad" | tr "\n" " ")"
		failed=1
	fi
done
exit $failed
