#!/bin/sh
# Benchmark full authentication at 1k, 100k and 1M enrolled users against
# pam_faillock+pam_oath and pam_google_authenticator, in one run.
#   bench/auth/run.sh BUILD_DIR [SIZES] [K]
# Needs: libpam-oath libpam-google-authenticator libnss-wrapper (as root, for
# the peers' file ownership checks). Results: markdown table rows on stdout.
# BENCH_STACK=sosafe measures one stack only; BENCH_CONF_EXTRA="key = value"
# adds a line to the generated sosafe.conf (e.g. store_sync_commits = no).
set -eu
B=${1:?build dir}
SIZES=${2:-"1000 100000 1000000"}
K=${3:-200}
BIN="$B/bench/auth/bench_auth"
MOD="$B/pam_sosafe/.libs/pam_sosafe.so"
W=$(mktemp -d /var/tmp/sosafe-bench-XXXXXX)
chmod 755 "$W"
trap 'rm -rf "$W"' EXIT
trap 'exit 130' INT TERM
echo "| enrolled users | stack | path | n | median ms | p90 ms | mean ms | median CPU ms | wrong results |"
echo "|---|---|---|---|---|---|---|---|---|"
for n in $SIZES; do
	d="$W/n$n"
	s=$(date +%s)
	"$BIN" setup "$d" "$n" >&2
	echo "setup of $n users: $(( $(date +%s) - s )) s; store $(du -sh "$d/state" | cut -f1), users.oath $(du -sh "$d/users.oath" | cut -f1)" >&2
	NSS_WRAPPER_PASSWD="$d/passwd" NSS_WRAPPER_GROUP="$d/group" LD_PRELOAD=libnss_wrapper.so \
		"$BIN" run "$d" "$n" "$K" "$MOD"
	rm -rf "$d"
done
