#!/bin/sh
# Benchmark of `sosafectl sync` pulling N users from a local slapd over
# ldaps (TLS 1.3, pages of 500), as root in a private network and mount
# namespace. For each size: a first sync (every user new: uid allocation,
# store rows, audit records, snapshot) and a second one (nothing changes),
# each measured with /usr/bin/time -v (elapsed, CPU, peak RSS of sosafectl;
# slapd's own CPU is reported apart). Markdown rows on stdout.
#
#   bench/sync/run.sh BUILDDIR "10000 100000"
#
# The users are loaded offline with slapadd (memberOf written into each
# entry, as AD keeps it), so loading 100k takes seconds rather than the
# minutes of the memberof overlay.
set -eu
B=$(cd "${1:?builddir}" && pwd)
SIZES=${2:-"10000 100000"}
if [ -z "${SOSAFE_BENCH_INSIDE:-}" ]; then
	[ "$(id -u)" = 0 ] || { echo "needs root (private namespaces, slapd)" >&2; exit 1; }
	exec unshare --mount --net --propagation private env SOSAFE_BENCH_INSIDE=1 sh "$0" "$B" "$SIZES"
fi
ip link set lo up
T=$(mktemp -d /tmp/sosafe-bench-sync.XXXXXX)
SLAPD=""
cleanup() {
	[ -z "$SLAPD" ] || { kill "$SLAPD" 2>/dev/null; wait "$SLAPD" 2>/dev/null || true; }
	rm -rf "$T"
}
trap cleanup EXIT
CTL="$B/sosafectl/sosafectl"
BASE=dc=bench,dc=test
PORT=6361

cd "$T"
printf 'cn = "bench CA"\nca\ncert_signing_key\nexpiration_days = 2\n' >ca.tmpl
printf 'cn = "127.0.0.1"\nip_address = "127.0.0.1"\ntls_www_server\nsigning_key\nexpiration_days = 2\n' >srv.tmpl
certtool --generate-privkey --key-type=ecdsa --outfile ca.key >/dev/null 2>&1
certtool --generate-privkey --key-type=ecdsa --outfile srv.key >/dev/null 2>&1
certtool --generate-self-signed --load-privkey ca.key --template ca.tmpl --outfile ca.pem >/dev/null 2>&1
certtool --generate-certificate --load-privkey srv.key --load-ca-certificate ca.pem \
	--load-ca-privkey ca.key --template srv.tmpl --outfile srv.pem >/dev/null 2>&1

mk_config() { # DIR DBDIR
	mkdir -p "$1" "$2"
	{
		cat <<EOT
dn: cn=config
objectClass: olcGlobal
cn: config
olcPidFile: $T/slapd.pid
olcTLSCACertificateFile: $T/ca.pem
olcTLSCertificateFile: $T/srv.pem
olcTLSCertificateKeyFile: $T/srv.key
olcTLSCipherSuite: NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2

dn: cn=module{0},cn=config
objectClass: olcModuleList
cn: module{0}
olcModulePath: /usr/lib/ldap
olcModuleLoad: back_mdb

dn: cn=schema,cn=config
objectClass: olcSchemaConfig
cn: schema

EOT
		cat /etc/ldap/schema/core.ldif
		cat <<EOT

dn: cn=adlike,cn=schema,cn=config
objectClass: olcSchemaConfig
cn: adlike
olcAttributeTypes: ( 1.2.840.113556.1.4.221 NAME 'sAMAccountName'
  EQUALITY caseIgnoreMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
olcAttributeTypes: ( 1.2.840.113556.1.4.8 NAME 'userAccountControl'
  EQUALITY integerMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.27 SINGLE-VALUE )
olcAttributeTypes: ( 1.2.840.113556.1.4.159 NAME 'accountExpires'
  EQUALITY integerMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.27 SINGLE-VALUE )
olcAttributeTypes: ( 1.2.840.113556.1.2.102 NAME 'memberOf'
  EQUALITY distinguishedNameMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.12 )
olcAttributeTypes: ( 1.2.840.113556.1.4.146 NAME 'objectSid'
  EQUALITY octetStringMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.40 SINGLE-VALUE )
olcObjectClasses: ( 1.2.840.113556.1.5.9 NAME 'user' SUP top STRUCTURAL
  MUST ( cn \$ sAMAccountName ) MAY ( userAccountControl \$ accountExpires \$
  memberOf \$ objectSid \$ description ) )
olcObjectClasses: ( 1.2.840.113556.1.5.8 NAME 'group' SUP top STRUCTURAL
  MUST ( cn \$ sAMAccountName ) MAY ( member \$ memberOf ) )

dn: olcDatabase={0}config,cn=config
objectClass: olcDatabaseConfig
olcDatabase: {0}config

dn: olcDatabase={1}mdb,cn=config
objectClass: olcDatabaseConfig
objectClass: olcMdbConfig
olcDatabase: {1}mdb
olcDbDirectory: $2
olcDbMaxSize: 4294967296
olcDbNoSync: TRUE
olcSuffix: $BASE
olcSizeLimit: size.soft=1000 size.hard=1000 size.prtotal=unlimited
olcAccess: {0}to attrs=userPassword by anonymous auth by * none
olcAccess: {1}to * by dn.exact="cn=sync,$BASE" read by * none
EOT
	} >"$1.ldif"
	slapadd -n 0 -F "$1" -l "$1.ldif" >/dev/null
}

# gen N: the tree with N users, all in sosafe-users, each with an objectSid
gen() {
	awk -v n="$1" -v base="$BASE" 'BEGIN {
		printf "dn: %s\nobjectClass: dcObject\nobjectClass: organization\no: bench\ndc: bench\n\n", base
		printf "dn: ou=people,%s\nobjectClass: organizationalUnit\nou: people\n\n", base
		printf "dn: ou=groups,%s\nobjectClass: organizationalUnit\nou: groups\n\n", base
		printf "dn: cn=sync,%s\nobjectClass: organizationalRole\nobjectClass: simpleSecurityObject\n", base
		printf "cn: sync\nuserPassword: Bench-pass-1\n\n"
		printf "dn: cn=sosafe-users,ou=groups,%s\nobjectClass: group\ncn: sosafe-users\n", base
		printf "sAMAccountName: sosafe-users\n"
		for (i = 1; i <= n; i++)
			printf "member: cn=b%06d,ou=people,%s\n", i, base
		printf "\n"
		for (i = 1; i <= n; i++) {
			printf "dn: cn=b%06d,ou=people,%s\nobjectClass: user\ncn: b%06d\n", i, base, i
			printf "sAMAccountName: b%06d\ndescription: Bench User %d\n", i, i
			printf "userAccountControl: 512\naccountExpires: 0\n"
			printf "memberOf: cn=sosafe-users,ou=groups,%s\n\n", base
		}
	}'
}

printf 'Bench-pass-1\n' >bindpw
chmod 600 bindpw
echo "| users | run | elapsed (s) | user CPU (s) | sys CPU (s) | peak RSS (MiB) | slapd CPU (s) |"
echo "|---:|---|---:|---:|---:|---:|---:|"
for n in $SIZES; do
	rm -rf "$T/slapd.d" "$T/db" "$T/state"
	mk_config "$T/slapd.d" "$T/db"
	gen "$n" >"$T/data.ldif"
	slapadd -q -n 1 -F "$T/slapd.d" -l "$T/data.ldif" >/dev/null
	slapd -F "$T/slapd.d" -h "ldaps://127.0.0.1:$PORT/" -d 0 >"$T/slapd.log" 2>&1 &
	SLAPD=$!
	i=0
	until LDAPTLS_CACERT="$T/ca.pem" ldapsearch -H "ldaps://127.0.0.1:$PORT" -x -b "" -s base \
		-LLL dn >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -lt 100 ] || { echo "slapd did not start" >&2; exit 1; }
		sleep 0.1
	done
	mkdir -p "$T/state"
	cat >"$T/sosafe.conf" <<EOT
state_dir = $T/state
secret_key_file = $T/sosafe.key
entitled_group = sosafe-users
uid_max = 999999
ldap_uri = ldaps://127.0.0.1:$PORT
ldap_base = $BASE
ldap_bind_dn = cn=sync,$BASE
ldap_bind_password_file = $T/bindpw
ldap_ca_file = $T/ca.pem
ldap_user_filter = (objectClass=user)
ldap_timeout = 120
EOT
	chmod 644 "$T/sosafe.conf"
	for run in first second; do
		s0=$(awk '{print $14 + $15}' "/proc/$SLAPD/stat")
		/usr/bin/time -v "$CTL" --conf "$T/sosafe.conf" sync --quiet >"$T/out" 2>"$T/time" || {
			cat "$T/out" "$T/time" >&2
			exit 1
		}
		s1=$(awk '{print $14 + $15}' "/proc/$SLAPD/stat")
		grep -q "^$n user(s) published ($n active" "$T/out" || { cat "$T/out" >&2; exit 1; }
		hz=$(getconf CLK_TCK)
		awk -v n="$n" -v run="$run" -v sl="$(( s1 - s0 ))" -v hz="$hz" -F': ' '
			/Elapsed \(wall clock\)/ { m = split($2, p, ":"); e = 0; for (i = 1; i <= m; i++) e = e * 60 + p[i] }
			/User time/ { u = $2 } /System time/ { s = $2 } /Maximum resident/ { r = $2 / 1024 }
			END { printf "| %d | %s | %.2f | %.2f | %.2f | %.1f | %.2f |\n", n, run, e, u, s, r, sl / hz }' "$T/time"
	done
	kill "$SLAPD"
	wait "$SLAPD" 2>/dev/null || true
	SLAPD=""
done
