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
W=$(mktemp -d /var/tmp/sosafe-bench-pg-XXXXXX)
chmod 755 "$W"
trap 'bench_pg_stop; rm -rf "$W"' EXIT
trap 'exit 130' INT TERM
bench_pg_start "$W" "${BENCH_PG_PORT:-55499}"
echo
BENCH_CALLER=${BENCH_CALLER:-no} BENCH_CONF_EXTRA="store = postgresql
pg_conninfo_file = $W/conninfo" sh "$HERE/run.sh" "$B"
