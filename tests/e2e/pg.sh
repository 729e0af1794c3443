# Real PostgreSQL 15 servers for the end-to-end suites (sourced after
# lib.sh, POSIX sh). Debian's postgresql-15 binaries run as the `postgres`
# user, each cluster on 127.0.0.1 of the sandbox's network namespace with
# its socket in its own directory, TLS only (hostssl lines, certificates
# from a throw-away CA), started and stopped by PID. Usage in a suite:
#
#   . "$abs_top_srcdir/tests/e2e/lib.sh"
#   . "$abs_top_srcdir/tests/e2e/pg.sh"
#   e2e_enter "$0"
#   pg_env_init                        # PKI, /etc/hosts names, stop-on-exit
#   pg_cluster_init "$T/db1" 54321 && pg_cluster_start "$T/db1" &&
#   	pg_cluster_wait_ready "$T/db1" && pg_roles "$T/db1"
#   pg_conninfo_write "$T/host.conninfo" "$PG_HOST_ROLE" db1.sosafe.test 54321
#   pg_query "$T/host.conninfo" "SELECT 1"
#
# Functions that start something must not run in $(...) or a pipeline: the
# server has to be a child of the suite's shell to be waited for.

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
# the OS account the servers run as (initdb refuses root)
PG_OS_USER=${PG_OS_USER:-postgres}
# roles made by pg_roles: the owner of database sosafe (sosafectl), the
# login path's role (password), a role that logs in by client certificate
# only (CN = role name) and the standby's replication role
PG_ADMIN_ROLE=sosafe_admin
PG_HOST_ROLE=sosafe_host
PG_CERT_ROLE=sosafe_cert
PG_REPL_ROLE=sosafe_repl
PG_DB=sosafe
# names in the server certificate, mapped to 127.0.0.1 by pg_env_init;
# PG_NAME_OTHER is mapped too but is not in the certificate
PG_NAME1=db1.sosafe.test
PG_NAME2=db2.sosafe.test
PG_NAME_OTHER=rogue.sosafe.test
# bound for every client call (seconds): a commit waiting for a lost
# synchronous standby must not hang a suite
PG_TIMEOUT=${PG_TIMEOUT:-20}
# the clusters pg_cluster_start started, for pg_stop_all
PG_CLUSTERS=""
# pg_hba.conf lines a suite adds before the catch-all password line of the
# clusters pg_cluster_init makes next (e.g. a `cert` line for another role)
PG_HBA_EXTRA=${PG_HBA_EXTRA:-}

# postgresql.conf lines of a server that speaks TLS 1.1 and nothing else
# (pg_cluster_init DIR PORT "$PG_TLS11_ONLY"). OpenSSL 3 speaks TLS < 1.2
# only at security level 0: the handshake signs with SHA-1, which level 1
# and up refuse, and Debian's default is level 2. The server
# lowers its level through the cipher string (@SECLEVEL=0); a client must do
# the same (pg_tls11_client_env), or it fails whatever it asks for.
PG_TLS11_ONLY="ssl_min_protocol_version = 'TLSv1.1'
ssl_max_protocol_version = 'TLSv1.1'
ssl_ciphers = 'HIGH:MEDIUM:!aNULL:@SECLEVEL=0'"

# pg_as_owner CMD...: CMD as $PG_OS_USER (no PAM session: setpriv, not su)
# in its own IPC namespace: the SysV segment of a server (initdb runs one
# too) goes away with it even after a SIGKILL, instead of staying in the
# host's
pg_as_owner() {
	unshare --ipc setpriv --reuid="$PG_OS_USER" --regid="$PG_OS_USER" --init-groups \
		env HOME="$T" "$@"
}

# pg_env_init: inside the sandbox, after e2e_enter. Checks the binaries,
# makes $PG_OS_USER if the package did not (the /etc overlay keeps it
# private), the PKI (pg_pki "$T/pgpki"), the host names, passwords of the
# roles, and stops every cluster when the suite exits.
pg_env_init() {
	for b in initdb postgres pg_isready psql pg_basebackup; do
		[ -x "$PG_BIN/$b" ] || e2e_bail "$PG_BIN/$b missing (Debian packages postgresql-15, postgresql-client-15)"
	done
	id -u "$PG_OS_USER" >/dev/null 2>&1 ||
		useradd -r -M -d /nonexistent -s /usr/sbin/nologin "$PG_OS_USER" || e2e_bail "useradd $PG_OS_USER"
	# POSIX shared memory (dynamic_shared_memory_type = posix) stays private
	mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /dev/shm || e2e_bail "tmpfs on /dev/shm"
	printf '127.0.0.1 %s %s %s\n' "$PG_NAME1" "$PG_NAME2" "$PG_NAME_OTHER" >>/etc/hosts
	pg_pki "$T/pgpki"
	PG_ADMIN_PW=$(openssl rand -hex 16) && PG_HOST_PW=$(openssl rand -hex 16) &&
		PG_REPL_PW=$(openssl rand -hex 16) || e2e_bail "passwords"
	trap 'pg_stop_all; e2e_cleanup' EXIT
}

# pg_pki DIR: sets PG_PKI=DIR holding
#   ca.crt/ca.key          the test CA
#   other.crt              an unrelated CA (same subject, other key)
#   server.crt/server.key  SAN IP:127.0.0.1, DNS:localhost, $PG_NAME1, $PG_NAME2
#   $PG_CERT_ROLE.crt/.key a client certificate (pg_client_cert)
pg_pki() {
	PG_PKI=$1
	mkdir -p "$PG_PKI" || e2e_bail "mkdir $PG_PKI"
	(
		cd "$PG_PKI" || exit 1
		printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n' >ca.ext
		printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n' >server.ext
		printf 'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:%s,DNS:%s\n' "$PG_NAME1" "$PG_NAME2" >>server.ext
		for ca in ca other; do
			pg_key $ca.key &&
				openssl req -new -key $ca.key -subj "/CN=sosafe test database CA" -out $ca.csr &&
				openssl x509 -req -in $ca.csr -signkey $ca.key -extfile ca.ext -days 2 -out $ca.crt || exit 1
		done
		pg_key server.key &&
			openssl req -new -key server.key -subj "/CN=$PG_NAME1" -out server.csr &&
			openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
				-extfile server.ext -days 2 -out server.crt
	) >"$T/pgpki.log" 2>&1 || { show "$T/pgpki.log"; e2e_bail "test PKI"; }
	pg_client_cert "$PG_CERT_ROLE"
}
pg_key() {
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" && chmod 600 "$1"
}

# pg_client_cert NAME: $PG_PKI/NAME.crt and NAME.key (0600, root), CN=NAME,
# signed by the test CA: what a `cert` line of pg_hba maps to role NAME
pg_client_cert() {
	(
		cd "$PG_PKI" || exit 1
		printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n' >client.ext
		pg_key "$1.key" &&
			openssl req -new -key "$1.key" -subj "/CN=$1" -out "$1.csr" &&
			openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial \
				-extfile client.ext -days 2 -out "$1.crt"
	) >>"$T/pgpki.log" 2>&1 || { show "$T/pgpki.log"; e2e_bail "client certificate $1"; }
}

# A cluster lives in DIR: DIR/data (PGDATA), DIR/run (its socket),
# DIR/port, DIR/log (the server's stderr), DIR/pid (while started).
#
# pg_cluster_init DIR PORT [EXTRA]: initdb as $PG_OS_USER, then a
# configuration for 127.0.0.1:PORT only, TLS >= 1.2 with the test
# certificates (ssl_ca_file: client certificates are checked), small
# shared_buffers; fsync stays on (failover tests rely on durability). EXTRA:
# postgresql.conf lines added last (they win). pg_hba.conf: the superuser
# over the socket (trust, for setup), everything else hostssl from
# 127.0.0.1 only: replication and password roles scram-sha-256,
# $PG_CERT_ROLE by certificate.
pg_cluster_init() {
	mkdir -p "$1/run" || e2e_bail "mkdir $1"
	echo "$2" >"$1/port"
	chown "$PG_OS_USER:" "$1" "$1/run" && chmod 700 "$1" || e2e_bail "chown $1"
	(cd "$1" && pg_as_owner "$PG_BIN/initdb" -D "$1/data" -U postgres --auth=reject \
		--no-locale -E UTF8 --no-sync) >"$1/initdb.log" 2>&1 ||
		{ show "$1/initdb.log"; e2e_bail "initdb $1"; }
	for f in ca.crt server.crt server.key; do
		cp "$PG_PKI/$f" "$1/data/$f" && chown "$PG_OS_USER:" "$1/data/$f" && chmod 600 "$1/data/$f" ||
			e2e_bail "install $f in $1"
	done
	cat >>"$1/data/postgresql.conf" <<-EOF
	# sosafe end-to-end cluster
	listen_addresses = '127.0.0.1'
	port = $2
	unix_socket_directories = '$1/run'
	cluster_name = '$(basename "$1")'
	max_connections = 30
	shared_buffers = 16MB
	fsync = on
	synchronous_commit = on
	ssl = on
	ssl_cert_file = 'server.crt'
	ssl_key_file = 'server.key'
	ssl_ca_file = 'ca.crt'
	ssl_min_protocol_version = 'TLSv1.2'
	password_encryption = 'scram-sha-256'
	log_connections = on
	log_line_prefix = '%m [%p] %q%u@%d '
	$3
	EOF
	cat >"$1/data/pg_hba.conf" <<-EOF
	# TYPE   DATABASE     USER             ADDRESS        METHOD
	local    all          postgres                        trust
	hostssl  replication  $PG_REPL_ROLE    127.0.0.1/32   scram-sha-256
	hostssl  all          $PG_CERT_ROLE    127.0.0.1/32   cert
	$PG_HBA_EXTRA
	hostssl  all          all              127.0.0.1/32   scram-sha-256
	EOF
}

# pg_cluster_start DIR: the postmaster in the background, its PID in DIR/pid
# (what pg_as_owner does, exec'd all the way down so that $! is the
# postmaster; readiness: pg_cluster_wait_ready)
pg_cluster_start() {
	(cd "$1" && exec unshare --ipc setpriv --reuid="$PG_OS_USER" --regid="$PG_OS_USER" --init-groups \
		env HOME="$T" "$PG_BIN/postgres" -D "$1/data") >>"$1/log" 2>&1 &
	echo $! >"$1/pid"
	PG_CLUSTERS="$PG_CLUSTERS $1"
}

# pg_pid DIR: the postmaster's PID (the one we started, else postmaster.pid)
pg_pid() {
	if [ -s "$1/pid" ]; then
		cat "$1/pid"
	elif [ -s "$1/data/postmaster.pid" ]; then
		head -n 1 "$1/data/postmaster.pid"
	fi
}

# pg_alive PID: the process exists and is not a zombie
pg_alive() {
	[ -n "$1" ] && [ -r "/proc/$1/stat" ] || return 1
	case $(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1) in
	Z | X | "") return 1 ;;
	esac
	return 0
}

# pg_cluster_wait_ready DIR [SECONDS]: bounded (default 30 s) wait until the
# server accepts connections on its socket; fails at once if it died
pg_cluster_wait_ready() {
	pg_w=$((${2:-30} * 10))
	pg_p=$(pg_pid "$1")
	while [ "$pg_w" -gt 0 ]; do
		"$PG_BIN/pg_isready" -q -h "$1/run" -p "$(cat "$1/port")" -t 2 && return 0
		pg_alive "$pg_p" || break
		sleep 0.1
		pg_w=$((pg_w - 1))
	done
	diag "$1 is not ready; its log:"
	tail -n 15 "$1/log" 2>/dev/null | sed 's/^/#   /'
	return 1
}

# pg_cluster_stop DIR [SECONDS]: fast shutdown (SIGINT: open sessions are
# ended, the WAL flushed), bounded wait (default 20 s), then SIGKILL
pg_cluster_stop() {
	pg_p=$(pg_pid "$1")
	[ -n "$pg_p" ] || return 0
	kill -INT "$pg_p" 2>/dev/null
	pg_w=$((${2:-20} * 10))
	while pg_alive "$pg_p" && [ "$pg_w" -gt 0 ]; do
		sleep 0.1
		pg_w=$((pg_w - 1))
	done
	if pg_alive "$pg_p"; then
		diag "$1: postmaster $pg_p ignored SIGINT, killed"
		kill -KILL "$pg_p" 2>/dev/null
	fi
	wait "$pg_p" 2>/dev/null
	rm -f "$1/pid"
	return 0
}

# pg_stop_all: every cluster pg_cluster_start started (the exit trap)
pg_stop_all() {
	for pg_d in $PG_CLUSTERS; do
		pg_cluster_stop "$pg_d" 10
	done
	PG_CLUSTERS=""
}

# pg_psql DIR SQL [DATABASE]: SQL as the superuser over DIR's socket; rows
# unaligned (-At), stops at the first error
pg_psql() {
	timeout "$PG_TIMEOUT" "$PG_BIN/psql" -X -q -At -v ON_ERROR_STOP=1 -h "$1/run" \
		-p "$(cat "$1/port")" -U postgres -d "${3:-postgres}" -c "$2"
}

# pg_roles DIR: the roles and database $PG_DB (owned by $PG_ADMIN_ROLE) on
# the primary DIR. Privileges inside the database are the product's to
# grant; these are only the logins.
pg_roles() {
	pg_psql "$1" "CREATE ROLE $PG_ADMIN_ROLE LOGIN PASSWORD '$PG_ADMIN_PW';
CREATE ROLE $PG_HOST_ROLE LOGIN PASSWORD '$PG_HOST_PW';
CREATE ROLE $PG_CERT_ROLE LOGIN;
CREATE ROLE $PG_REPL_ROLE LOGIN REPLICATION PASSWORD '$PG_REPL_PW';" >/dev/null &&
		pg_psql "$1" "CREATE DATABASE $PG_DB OWNER $PG_ADMIN_ROLE" >/dev/null
}

# pg_conninfo_write FILE ROLE HOSTS PORTS [EXTRA]: a libpq connection string
# for ROLE (the admin and host roles: their passwords; any other role: its
# client certificate from pg_client_cert),
# verify-full against the test CA, TLS >= 1.2, in FILE (root, 0600). HOSTS
# and PORTS may be lists ("a,b" "p1,p2"); EXTRA is appended (later keys win).
pg_conninfo_write() {
	case $2 in
	"$PG_ADMIN_ROLE") pg_cred="password=$PG_ADMIN_PW" ;;
	"$PG_HOST_ROLE") pg_cred="password=$PG_HOST_PW" ;;
	*) pg_cred="sslcert=$PG_PKI/$2.crt sslkey=$PG_PKI/$2.key" ;;
	esac
	(umask 077 && printf 'host=%s port=%s dbname=%s user=%s %s sslmode=verify-full sslrootcert=%s ssl_min_protocol_version=TLSv1.2 connect_timeout=2 %s\n' \
		"$3" "$4" "$PG_DB" "$2" "$pg_cred" "$PG_PKI/ca.crt" "${5:-}" >"$1") &&
		chown root:root "$1" && chmod 600 "$1"
}

# pg_query FILE SQL: SQL as a TCP/TLS client with the connection string in
# FILE (rows unaligned on stdout, libpq's errors on stderr)
pg_query() {
	timeout "$PG_TIMEOUT" "$PG_BIN/psql" -X -q -At -v ON_ERROR_STOP=1 -d "$(cat "$1")" -c "$2"
}

# pg_tls_version FILE: the protocol of the session (pg_stat_ssl), e.g. TLSv1.3
pg_tls_version() {
	pg_query "$1" "SELECT version FROM pg_stat_ssl WHERE pid = pg_backend_pid() AND ssl"
}

# pg_tls11_client_env: OPENSSL_CONF for a client that may speak TLS 1.1:
# security level 0 for every context of the process (libpq takes the
# protocol bounds from the connection string, not the cipher string)
pg_tls11_client_env() {
	PG_OPENSSL_LEGACY="$T/openssl-legacy.cnf"
	cat >"$PG_OPENSSL_LEGACY" <<-EOF
	openssl_conf = sosafe_e2e
	[sosafe_e2e]
	ssl_conf = sosafe_e2e_ssl
	[sosafe_e2e_ssl]
	system_default = sosafe_e2e_tls
	[sosafe_e2e_tls]
	CipherString = DEFAULT:@SECLEVEL=0
	EOF
}

# pg_standby_init PRIMARY STANDBY PORT2: a streaming standby of PRIMARY in
# STANDBY (pg_basebackup -R over TLS as $PG_REPL_ROLE), started and waited
# for; then PRIMARY names it in synchronous_standby_names, so that from here
# on a commit on PRIMARY returns only once STANDBY has flushed it to disk
# (synchronous_commit = on: durable there, not yet visible there; a session
# that needs to read its write on the standby sets remote_apply). Waits
# until pg_stat_replication says sync. Keep the standby up while writing to
# PRIMARY: without it commits wait (PG_TIMEOUT ends the client).
pg_standby_init() {
	pg_sb=$(basename "$2")
	mkdir -p "$2/run" || e2e_bail "mkdir $2"
	echo "$3" >"$2/port"
	chown "$PG_OS_USER:" "$2" "$2/run" && chmod 700 "$2" || e2e_bail "chown $2"
	(cd "$2" && pg_as_owner timeout 60 "$PG_BIN/pg_basebackup" -D "$2/data" -R -X stream -c fast --no-sync \
		-d "host=127.0.0.1 port=$(cat "$1/port") user=$PG_REPL_ROLE password=$PG_REPL_PW sslmode=verify-full sslrootcert=$PG_PKI/ca.crt application_name=$pg_sb") \
		>"$2/basebackup.log" 2>&1 || { show "$2/basebackup.log"; return 1; }
	# pg_basebackup copied the primary's settings: own port, socket and name
	cat >>"$2/data/postgresql.conf" <<-EOF
	# standby of $(basename "$1")
	port = $3
	unix_socket_directories = '$2/run'
	cluster_name = '$pg_sb'
	EOF
	pg_cluster_start "$2"
	pg_cluster_wait_ready "$2" || return 1
	pg_psql "$1" "ALTER SYSTEM SET synchronous_standby_names = 'FIRST 1 ($pg_sb)'" >/dev/null &&
		pg_psql "$1" "SELECT pg_reload_conf()" >/dev/null || return 1
	wait_for 20 pg_sync_is "$1" "$pg_sb" || {
		diag "$pg_sb is not a synchronous standby of $1:"
		pg_psql "$1" "SELECT application_name, state, sync_state FROM pg_stat_replication" | diag
		return 1
	}
}
# pg_sync_is PRIMARY NAME: NAME streams from PRIMARY as its sync standby
pg_sync_is() {
	[ "$(pg_psql "$1" "SELECT sync_state FROM pg_stat_replication WHERE application_name = '$2'")" = sync ]
}

# pg_promote DIR [SECONDS]: promote the standby DIR and wait (bounded,
# default 30 s) until it accepts writes
pg_promote() {
	pg_psql "$1" "SELECT pg_promote(true, ${2:-30})" >/dev/null || return 1
	wait_for "${2:-30}" pg_is_primary "$1"
}
# pg_is_primary DIR: DIR is out of recovery (read-write)
pg_is_primary() {
	[ "$(pg_psql "$1" "SELECT pg_is_in_recovery()")" = f ]
}
