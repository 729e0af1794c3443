# A throw-away PostgreSQL 15 cluster for the benchmarks (sourced, POSIX
# sh): 127.0.0.1 only, TLS with a CA made here, the client in verify-full,
# started and stopped by PID. Not for production: fsync stays on, the rest
# is PostgreSQL's defaults with a larger shared_buffers.
#   bench_pg_start DIR PORT   cluster in DIR; writes DIR/conninfo (0600)
#   bench_pg_stop             stops it (trap this)
#   bench_pg_psql SQL         as the superuser over the socket
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
BENCH_PG_PID=""
BENCH_PG_DIR=""

bench_pg_psql() {
	psql -q -X -h "$BENCH_PG_DIR/run" -p "$BENCH_PG_PORT" -U postgres -d "${2:-postgres}" -c "$1"
}

bench_pg_start() {
	BENCH_PG_DIR=$1 BENCH_PG_PORT=$2
	for t in "$PG_BIN/initdb" "$PG_BIN/postgres" openssl psql; do
		command -v "$t" >/dev/null || { echo "pg-cluster.sh: $t is missing" >&2; return 2; }
	done
	w=$BENCH_PG_DIR
	mkdir -p "$w/db" "$w/run"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
		-subj "/CN=sosafe bench CA" -keyout "$w/ca.key" -out "$w/ca.crt" 2>/dev/null &&
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=localhost" \
		-keyout "$w/server.key" -out "$w/server.csr" 2>/dev/null &&
	printf 'subjectAltName = DNS:localhost, IP:127.0.0.1\n' >"$w/san.ext" &&
	openssl x509 -req -in "$w/server.csr" -CA "$w/ca.crt" -CAkey "$w/ca.key" -CAcreateserial \
		-days 2 -extfile "$w/san.ext" -out "$w/server.crt" 2>/dev/null || return 1
	chown postgres "$w/db" "$w/run" "$w/server.key" "$w/server.crt"
	chmod 600 "$w/server.key"
	runuser -u postgres -- "$PG_BIN/initdb" -D "$w/db/data" -U postgres -A trust >/dev/null || return 1
	runuser -u postgres -- "$PG_BIN/postgres" -D "$w/db/data" -c listen_addresses=127.0.0.1 \
		-c port="$BENCH_PG_PORT" -c unix_socket_directories="$w/run" -c ssl=on \
		-c ssl_cert_file="$w/server.crt" -c ssl_key_file="$w/server.key" \
		-c ssl_min_protocol_version=TLSv1.2 -c shared_buffers=256MB \
		-c max_connections=200 >"$w/pg.log" 2>&1 &
	BENCH_PG_PID=$!
	i=0
	until "$PG_BIN/pg_isready" -q -h "$w/run" -p "$BENCH_PG_PORT"; do
		i=$((i + 1))
		[ "$i" -lt 100 ] || { cat "$w/pg.log" >&2; echo "pg-cluster.sh: no server" >&2; return 1; }
		sleep 0.1
	done
	pass=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
	# on stdin: no password in a command line
	printf "CREATE ROLE sosafe_bench LOGIN PASSWORD '%s';\nCREATE DATABASE sosafe OWNER sosafe_bench;\n" \
		"$pass" | psql -q -X -h "$w/run" -p "$BENCH_PG_PORT" -U postgres >/dev/null || return 1
	(umask 077 && printf 'host=localhost port=%s dbname=sosafe user=sosafe_bench password=%s\nsslmode=verify-full sslrootcert=%s/ca.crt\n' \
		"$BENCH_PG_PORT" "$pass" "$w" >"$w/conninfo")
	echo "PostgreSQL $("$PG_BIN/postgres" --version | awk '{ print $3 }') on 127.0.0.1:$BENCH_PG_PORT, TLS (verify-full)"
}

bench_pg_stop() {
	[ -z "$BENCH_PG_PID" ] || { kill -INT "$BENCH_PG_PID" 2>/dev/null; wait "$BENCH_PG_PID" 2>/dev/null || true; }
	BENCH_PG_PID=""
}
