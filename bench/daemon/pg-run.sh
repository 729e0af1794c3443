#!/bin/sh
# run.sh with store = postgresql: a throw-away PostgreSQL 15 cluster on
# 127.0.0.1 reached over TLS (bench/lib/pg-cluster.sh, sslmode=verify-full),
# then the same (b) and (c) tables as run.sh, next to the peers in the same
# run. Not a test: take the numbers on a quiet machine, as root.
#   bench/daemon/pg-run.sh BUILD_DIR
# Environment: as run.sh; BENCH_PG_PORT (55499). Needs postgresql-15, openssl.
set -eu
B=$(cd "${1:?build dir}" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../lib/pg-cluster.sh"
W=""
trap 'bench_pg_stop; [ -z "$W" ] || rm -rf "$W"' EXIT
trap 'exit 130' INT TERM
# a fresh database for each size: each size's run has its own state_dir,
# hence its own audit.key, and the shared trail takes only one key
for n in ${BENCH_USERS:-1000 1000000}; do
	W=$(mktemp -d /var/tmp/sosafe-bench-pg-XXXXXX)
	chmod 755 "$W"
	bench_pg_start "$W" "${BENCH_PG_PORT:-55499}"
	echo
	BENCH_USERS=$n BENCH_CALLER=${BENCH_CALLER:-no} BENCH_CONF_EXTRA="store = postgresql
pg_conninfo_file = $W/conninfo" sh "$HERE/run.sh" "$B"
	bench_pg_stop
	rm -rf "$W"
	W=""
done
