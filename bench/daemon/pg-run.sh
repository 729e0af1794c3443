#!/bin/sh
# run.sh with store = postgresql: a throw-away PostgreSQL 15 cluster on
# 127.0.0.1 reached over TLS (a CA made here, sslmode=verify-full), then
# the same (b) and (c) tables as run.sh, next to the peers in the same run.
# Not a test: take the numbers on a quiet machine, as root.
#   bench/daemon/pg-run.sh BUILD_DIR
# Environment: as run.sh; BENCH_PG_PORT (55499), PG_BIN
# (/usr/lib/postgresql/15/bin). Needs postgresql-15 and openssl.
set -eu
B=$(cd "${1:?build dir}" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
PORT=${BENCH_PG_PORT:-55499}
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
for t in "$PG_BIN/initdb" "$PG_BIN/postgres" openssl psql; do
	command -v "$t" >/dev/null || { echo "pg-run.sh: $t is missing" >&2; exit 2; }
done
W=$(mktemp -d /var/tmp/sosafe-bench-pg-XXXXXX)
chmod 755 "$W"
PGPID=""
stop_pg() {
	[ -z "$PGPID" ] || { kill -INT "$PGPID" 2>/dev/null; wait "$PGPID" 2>/dev/null || true; }
	PGPID=""
}
trap 'stop_pg; rm -rf "$W"' EXIT
trap 'exit 130' INT TERM

# the CA and the server's certificate (name: localhost)
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
	-subj "/CN=sosafe bench CA" -keyout "$W/ca.key" -out "$W/ca.crt" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=localhost" \
	-keyout "$W/server.key" -out "$W/server.csr" 2>/dev/null
printf 'subjectAltName = DNS:localhost, IP:127.0.0.1\n' >"$W/san.ext"
openssl x509 -req -in "$W/server.csr" -CA "$W/ca.crt" -CAkey "$W/ca.key" -CAcreateserial \
	-days 2 -extfile "$W/san.ext" -out "$W/server.crt" 2>/dev/null
mkdir -p "$W/db" "$W/run"
chown postgres "$W/db" "$W/run" "$W/server.key" "$W/server.crt"
chmod 600 "$W/server.key"
runuser -u postgres -- "$PG_BIN/initdb" -D "$W/db/data" -U postgres -A trust >/dev/null
PASS=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
runuser -u postgres -- "$PG_BIN/postgres" -D "$W/db/data" -c listen_addresses=127.0.0.1 \
	-c port="$PORT" -c unix_socket_directories="$W/run" -c ssl=on \
	-c ssl_cert_file="$W/server.crt" -c ssl_key_file="$W/server.key" \
	-c ssl_min_protocol_version=TLSv1.2 -c shared_buffers=256MB >"$W/pg.log" 2>&1 &
PGPID=$!
i=0
until "$PG_BIN/pg_isready" -q -h "$W/run" -p "$PORT"; do
	i=$((i + 1))
	[ "$i" -lt 100 ] || { cat "$W/pg.log" >&2; echo "pg-run.sh: no server" >&2; exit 1; }
	sleep 0.1
done
# on stdin: no password in a command line
printf "CREATE ROLE sosafe_bench LOGIN PASSWORD '%s';\nCREATE DATABASE sosafe OWNER sosafe_bench;\n" \
	"$PASS" | psql -q -h "$W/run" -p "$PORT" -U postgres >/dev/null
umask 077
printf 'host=localhost port=%s dbname=sosafe user=sosafe_bench password=%s\nsslmode=verify-full sslrootcert=%s/ca.crt\n' \
	"$PORT" "$PASS" "$W" >"$W/conninfo"
echo "PostgreSQL $("$PG_BIN/postgres" --version | awk '{ print $3 }') on 127.0.0.1:$PORT, TLS (verify-full)"
echo
BENCH_CALLER=${BENCH_CALLER:-no} BENCH_CONF_EXTRA="store = postgresql
pg_conninfo_file = $W/conninfo" sh "$HERE/run.sh" "$B"
