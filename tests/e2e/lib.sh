# Shared part of the end-to-end suites (sourced, POSIX sh + a few bashisms
# avoided). Every suite runs as root against the BUILT tree inside its own
# sandbox so that nothing on the host changes, even if the suite is killed:
#
#   unshare --mount --pid --net   private mounts, processes and loopback
#   overlayfs on /etc             users (useradd/chpasswd), /etc/pam.d,
#                                 sudoers.d, /etc/security/sosafe.conf
#   overlayfs on the PAM module   the built pam_sosafe.so appears as
#   directory                     pam_sosafe.so, so contrib/pam.d stacks are
#                                 used verbatim
#   tmpfs on /run and /var/log    /run/sshd, sudo timestamps, utmp/wtmp, and
#                                 no host nscd answering for our users
#
# The PID namespace ends every process of the suite when it ends; servers
# are still stopped by PID in the trap. Usage in a suite:
#
#   . "$abs_top_srcdir/tests/e2e/lib.sh"
#   e2e_enter "$0"          # re-runs the script inside the sandbox
#   plan 5; ok "name" test ...; ...

: "${abs_top_srcdir:?run through make check-e2e}"
: "${abs_top_builddir:?run through make check-e2e}"

E2E_NAME=$(basename "$0" .test)
SOSAFECTL="$abs_top_builddir/sosafectl/sosafectl"
BUILT_MODULE="$abs_top_builddir/pam_sosafe/.libs/pam_sosafe.so"
CONTRIB="$abs_top_srcdir/contrib"
E2E_DIR="$abs_top_srcdir/tests/e2e"
# the daemon the module starts on first use (autostart), named in every
# sosafe.conf of a suite
BUILT_SOSAFED="$abs_top_builddir/sosafed/sosafed"
# the configuration the built module and sosafectl read by default
SOSAFE_CONF_PATH=$(sed -n 's/^#define SOSAFE_CONF "\(.*\)"$/\1/p' "$abs_top_builddir/config.h")

e2e_bail() {
	echo "Bail out! $E2E_NAME: $*"
	exit 1
}

# Outside: make the temp dir, run the script again inside the namespaces
# (bounded in time), clean up. Inside: build the private filesystem view.
e2e_enter() {
	if [ -z "${SOSAFE_E2E_INSIDE:-}" ]; then
		[ "$(id -u)" = 0 ] || e2e_bail "needs root (make check-e2e runs as root in CI)"
		[ -f "$BUILT_MODULE" ] || e2e_bail "module not built: $BUILT_MODULE"
		[ -x "$SOSAFECTL" ] || e2e_bail "sosafectl not built: $SOSAFECTL"
		[ -x "$BUILT_SOSAFED" ] || e2e_bail "sosafed not built: $BUILT_SOSAFED"
		e2e_tmp=$(mktemp -d "/tmp/sosafe-e2e-$E2E_NAME.XXXXXX") || e2e_bail "mktemp"
		chmod 755 "$e2e_tmp"
		rc=0
		timeout --kill-after=10 "${E2E_TIMEOUT:-170}" \
			unshare --mount --pid --net --kill-child --mount-proc --propagation private \
			env SOSAFE_E2E_INSIDE=1 E2E_TMP="$e2e_tmp" sh "$1" || rc=$?
		[ -n "${E2E_KEEP:-}" ] || rm -rf "$e2e_tmp"
		[ "$rc" = 124 ] && echo "Bail out! $E2E_NAME: timed out"
		exit "$rc"
	fi
	# never touch the host's /etc: only PID 1 of the fresh namespace goes on
	[ "$$" = 1 ] || e2e_bail "not inside the sandbox namespace"
	T=$E2E_TMP
	trap e2e_cleanup EXIT
	trap 'exit 143' TERM INT HUP
	mkdir -p "$T/ovl/etc.u" "$T/ovl/etc.w" "$T/ovl/mod.u" "$T/ovl/mod.w" "$T/home" "$T/bin" ||
		e2e_bail "mkdir"
	moddir=$(dirname "$(ls /usr/lib/*/security/pam_unix.so /lib/*/security/pam_unix.so 2>/dev/null | head -n 1)")
	[ -d "$moddir" ] || e2e_bail "cannot find the PAM module directory (pam_unix.so)"
	moddir=$(readlink -f "$moddir")
	cp "$BUILT_MODULE" "$T/ovl/mod.u/pam_sosafe.so" || e2e_bail "copy module"
	mount -t overlay overlay -o "lowerdir=/etc,upperdir=$T/ovl/etc.u,workdir=$T/ovl/etc.w" /etc ||
		e2e_bail "overlay on /etc"
	mount -t overlay overlay -o "lowerdir=$moddir,upperdir=$T/ovl/mod.u,workdir=$T/ovl/mod.w" "$moddir" ||
		e2e_bail "overlay on $moddir"
	mount -t tmpfs -o mode=755 tmpfs /run || e2e_bail "tmpfs on /run"
	mount -t tmpfs -o mode=755 tmpfs /var/log || e2e_bail "tmpfs on /var/log"
	mkdir -m 755 /run/sshd /run/lock
	ip link set lo up || e2e_bail "loopback up"
	case "$SOSAFE_CONF_PATH" in
	/etc/*) ;;
	*) e2e_bail "built with a config outside /etc ($SOSAFE_CONF_PATH): cannot make it private" ;;
	esac
	mkdir -p "$(dirname "$SOSAFE_CONF_PATH")"
	e2e_write_conf ""
	"$SOSAFECTL" init >/dev/null || e2e_bail "sosafectl init"
	e2e_daemon_mode "$T/state"
}

# SOSAFE_E2E_DAEMON=started (make check-e2e-started): the suite starts
# sosafed itself; otherwise the first login autostarts it.
e2e_daemon_mode() {
	if [ "${SOSAFE_E2E_DAEMON:-}" = started ]; then
		e2e_start_daemon "$1"
	fi
}
# e2e_start_daemon STATE_DIR: sosafed for the configuration, serving STATE_DIR
e2e_start_daemon() {
	"$BUILT_SOSAFED" --conf "$SOSAFE_CONF_PATH" --foreground &
	e2e_daemon=$!
	e2e_started $e2e_daemon
	wait_for 10 test -S "$1/sosafed.sock" || e2e_bail "sosafed did not create $1/sosafed.sock"
	[ "$(tr -dc 0-9 <"$1/sosafed.lock")" = "$e2e_daemon" ] || e2e_bail "another sosafed serves $1"
}

# e2e_stop_sosafed DIR: stop the daemon the module started for the state
# dir DIR (by the pid in its lock), e.g. before unmounting DIR
e2e_stop_sosafed() {
	_lock="$1/sosafed.lock"
	[ -f "$_lock" ] || return 0
	flock -n "$_lock" true && return 0
	_pid=$(head -c 32 "$_lock" | tr -dc 0-9)
	[ -n "$_pid" ] && kill -TERM "$_pid" 2>/dev/null
	flock -w 5 "$_lock" true || { [ -n "$_pid" ] && kill -KILL "$_pid" 2>/dev/null; }
	return 0
}

E2E_PIDS=""
e2e_cleanup() {
	for p in $E2E_PIDS; do
		kill "$p" 2>/dev/null
	done
	for p in $E2E_PIDS; do
		wait "$p" 2>/dev/null
	done
	E2E_PIDS=""
	# the PID namespace ends it anyway; this keeps the state dir quiet first
	[ -n "${T:-}" ] && e2e_stop_sosafed "$T/state"
	return 0
}

# e2e_write_conf "extra lines": the private sosafe.conf (state in $T/state)
e2e_write_conf() {
	cat >"$SOSAFE_CONF_PATH" <<EOF
# private configuration of the $E2E_NAME suite
state_dir = $T/state
sosafed_path = $BUILT_SOSAFED
deny = 6
unlock_time = 600
$1
EOF
	chmod 644 "$SOSAFE_CONF_PATH"
}

# e2e_stack NAME SERVICE: install contrib/pam.d/NAME verbatim as SERVICE
e2e_stack() {
	cp "$CONTRIB/pam.d/$1" "/etc/pam.d/$2" || e2e_bail "install stack $1"
	chmod 644 "/etc/pam.d/$2"
}

# e2e_user NAME PASSWORD: a local user in the private /etc, home in $T
e2e_user() {
	useradd -M -d "$T/home/$1" -s /bin/sh "$1" || e2e_bail "useradd $1"
	mkdir -p "$T/home/$1" && chown "$1:" "$T/home/$1"
	printf '%s:%s\n' "$1" "$2" | chpasswd || e2e_bail "chpasswd $1"
}

# run NAME PID-list bookkeeping for servers
e2e_started() {
	E2E_PIDS="$E2E_PIDS $1"
}

# sosafectl shortcuts
ctl() {
	"$SOSAFECTL" --conf "$SOSAFE_CONF_PATH" "$@"
}
# status_field USER FIELD: one field of `sosafectl status USER --json`
status_field() {
	ctl status "$1" --json | jq -r ".$2"
}

# failures_are USER N (quiet, for wait_for)
failures_are() {
	[ "$(status_field "$1" failures)" = "$2" ]
}

# ---- TAP (tests/lib/tap.sh: plan, ok NAME [COMMAND...], diag, eq, quiet) ----
. "$abs_top_srcdir/tests/lib/tap.sh"
# contains FILE PATTERN (grep -E)
contains() {
	grep -Eq -- "$2" "$1" && return 0
	diag "'$2' not found in $1:"
	tail -n 15 "$1" | sed 's/^/#   /'
	return 1
}
lacks() {
	grep -Eq -- "$2" "$1" || return 0
	diag "'$2' unexpectedly found in $1"
	return 1
}
# wait_for SECONDS COMMAND...: poll until COMMAND succeeds
wait_for() {
	e2e_w=$(($1 * 10))
	shift
	while [ "$e2e_w" -gt 0 ]; do
		"$@" 2>/dev/null && return 0
		sleep 0.1
		e2e_w=$((e2e_w - 1))
	done
	return 1
}

# ---- TOTP (suites of the second factor) ----------------------------------
# A fixed test secret (160 bits) and codes from oathtool, the reference
# implementation an authenticator app agrees with.
E2E_SECRET=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ
e2e_next_step=0
# next_code: sets CODE to a code strictly later than the last one handed
# out (the suites set window = 10, so ten steps ahead are valid now).
# Not in $(...): the counter must live in this shell.
next_code() {
	CODE=$(oathtool --totp -b -N "now + $((e2e_next_step * 30)) seconds" "$E2E_SECRET")
	e2e_next_step=$((e2e_next_step + 1))
}
# enroll USER: activate the test secret for USER
enroll() {
	printf '%s\n' "$E2E_SECRET" | ctl enroll "$1" --secret - --no-confirm --no-qr >"$T/enroll.out" 2>&1 && return 0
	sed 's/^/#   /' "$T/enroll.out"
	return 1
}

# ---- FreeRADIUS (freeradius*.test) ----------------------------------------
# e2e_radiusd PORT SECRET: Debian's radiusd on 127.0.0.1:PORT, every request
# to PAM (service "radiusd"), multi-threaded, as root; log in $T/radius.log
e2e_radiusd() {
	AUTH_PORT=$1
	SECRET=$2
	# A private copy of Debian's configuration: a single virtual server that
	# sends everything to PAM, run as root (pam_unix and the state store need it).
	R="$T/raddb"
	cp -a /etc/freeradius/3.0 "$R" || e2e_bail "copy /etc/freeradius/3.0"
	sed -i -e 's/^\(\s*\)user = freerad/\1#user = freerad/' -e 's/^\(\s*\)group = freerad/\1#group = freerad/' \
		"$R/radiusd.conf"
	rm -f "$R/sites-enabled/"* "$R/mods-enabled/eap"
	ln -s ../mods-available/pam "$R/mods-enabled/pam"
	cat >"$R/sites-enabled/sosafe-e2e" <<-EOF
	server sosafe-e2e {
		listen {
			type = auth
			ipaddr = 127.0.0.1
			port = $AUTH_PORT
		}
		authorize {
			update control {
				&Auth-Type := PAM
			}
		}
		authenticate {
			Auth-Type PAM {
				pam
			}
		}
	}
	EOF
	cat >"$R/clients.conf" <<-EOF
	client sosafe-e2e {
		ipaddr = 127.0.0.1
		secret = $SECRET
	}
	EOF
	mkdir -p /run/freeradius /var/log/freeradius
	freeradius -C -d "$R" >"$T/check.log" 2>&1 || { sed 's/^/# /' "$T/check.log"; e2e_bail "freeradius -C rejects the test config"; }
	timeout 160 freeradius -f -l "$T/radius.log" -d "$R" &
	RADIUSD_PID=$!
	e2e_started $RADIUSD_PID
}
radiusd_ready() {
	grep -q "Ready to process requests" "$T/radius.log"
}
# radius USER PASSWORD [OUTFILE]: one Access-Request (PAP) sent by radclient,
# waiting up to 30 s without retransmitting (radiusd runs PAM calls one at a
# time: on a loaded machine a queue of them takes longer than radtest's 3 s);
# reply in $OUT
radius() {
	n_log=$((n_log + 1))
	OUT=${3:-"$T/r$n_log.out"}
	printf 'User-Name = "%s"\nUser-Password = "%s"\nNAS-IP-Address = 127.0.0.1\nNAS-Port = 0\n' "$1" "$2" |
		radclient -t 30 -r 1 "127.0.0.1:$AUTH_PORT" auth "$SECRET" >"$OUT" 2>&1
}
accept() {
	grep -q "Received Access-Accept" "$OUT" && return 0
	diag "no Access-Accept:"
	sed 's/^/#   /' "$OUT"
	tail -n 5 "$T/radius.log" | sed 's/^/#   radiusd: /'
	return 1
}
reject() {
	grep -q "Received Access-Reject" "$OUT" && return 0
	diag "no Access-Reject:"
	sed 's/^/#   /' "$OUT"
	return 1
}


# ---- OpenVPN (openvpn*.test) ----------------------------------------------
# e2e_openvpn PORT PLUGIN-ARGS: an OpenVPN 2.6 server on 127.0.0.1:PORT (UDP)
# with openvpn-plugin-auth-pam (PLUGIN-ARGS: the PAM service, optionally
# followed by the plugin's name/value pairs), deferred auth; log in
# $T/server.log. Its tun device exists only in the suite's network namespace.
e2e_openvpn() {
	net=198.18.$(($1 % 200))
	PLUGIN=$(ls /usr/lib/*/openvpn/plugins/openvpn-plugin-auth-pam.so 2>/dev/null | head -n 1)
	[ -n "$PLUGIN" ] || e2e_bail "openvpn-plugin-auth-pam.so not found (Debian package openvpn)"
	# A throw-away PKI: a CA and a server certificate (clients authenticate with
	# user name and password only: verify-client-cert none).
	P="$T/pki"
	mkdir -p "$P"
	(
		cd "$P" &&
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
				-keyout ca.key -out ca.crt -days 2 -subj /CN=sosafe-e2e-ca &&
		openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
				-keyout server.key -out server.csr -subj /CN=sosafe-e2e-server &&
		printf 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyAgreement\nextendedKeyUsage=serverAuth\n' >ext &&
		openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
				-out server.crt -days 2 -extfile ext
	) >"$T/pki.log" 2>&1 || e2e_bail "test PKI"

	cat >"$T/server.conf" <<-EOF
	mode server
	tls-server
	proto udp
	local 127.0.0.1
	lport $1
	dev tun
	topology subnet
	ifconfig $net.1 255.255.255.0
	ifconfig-pool $net.10 $net.100 255.255.255.0
	push "topology subnet"
	ca $P/ca.crt
	cert $P/server.crt
	key $P/server.key
	dh none
	verify-client-cert none
	username-as-common-name
	plugin $PLUGIN "$2"
	setenv deferred_auth_pam 1
	verb 4
	EOF
	timeout 160 openvpn --config "$T/server.conf" >"$T/server.log" 2>&1 &
	OPENVPN_PID=$!
	e2e_started $OPENVPN_PID
}
openvpn_ready() {
	grep -q "Initialization Sequence Completed" "$T/server.log"
}
# vpn USER PASSWORD: one client connection to $PORT; result in $OUT
vpn() {
	n_log=$((n_log + 1))
	OUT="$T/client$n_log.log"
	printf '%s\n%s\n' "$1" "$2" >"$T/up"
	chmod 600 "$T/up"
	timeout 30 openvpn --client --dev null --proto udp --remote 127.0.0.1 "$PORT" \
		--ca "$P/ca.crt" --auth-user-pass "$T/up" --auth-nocache --ifconfig-noexec --route-noexec \
		--connect-retry-max 1 --verb 3 >"$OUT" 2>&1 &
	cpid=$!
	wait_for 25 grep -Eq "Initialization Sequence Completed|AUTH_FAILED" "$OUT"
	kill "$cpid" 2>/dev/null
	wait "$cpid" 2>/dev/null
}
connected() {
	grep -q "Initialization Sequence Completed" "$OUT" && ! grep -q AUTH_FAILED "$OUT" && return 0
	diag "client did not connect:"
	tail -n 5 "$OUT" | sed 's/^/#   /'
	tail -n 5 "$T/server.log" | sed 's/^/#   server: /'
	return 1
}
auth_failed() {
	grep -q "AUTH_FAILED" "$OUT" && ! grep -q "Initialization Sequence Completed" "$OUT" && return 0
	diag "client was not refused:"
	tail -n 5 "$OUT" | sed 's/^/#   /'
	return 1
}


# ---- directory users (the nss work) ---------------------------------------
# e2e_nss "extra conf lines": libnss_sosafe.so.2 from the build found by
# glibc through a private ld.so.cache, "sosafe" after "files" in a private
# nsswitch.conf, and the state in the compiled-in state directory (what the
# NSS module reads) made private by an overlay on /var/lib.
e2e_nss() {
	nsslib="$abs_top_builddir/nss_sosafe/.libs/libnss_sosafe.so.2"
	[ -f "$nsslib" ] || e2e_bail "not built: $nsslib"
	state=$(sed -n 's/^#define SOSAFE_STATE_DIR "\(.*\)"$/\1/p' "$abs_top_builddir/config.h")
	case "$state" in
	/var/lib/*) ;;
	*) e2e_bail "state dir $state outside /var/lib: cannot make it private" ;;
	esac
	mkdir -p "$T/ovl/varlib.u" "$T/ovl/varlib.w" "$T/nsslib"
	mount -t overlay overlay -o "lowerdir=/var/lib,upperdir=$T/ovl/varlib.u,workdir=$T/ovl/varlib.w" /var/lib ||
		e2e_bail "overlay on /var/lib"
	rm -rf "$state"
	cp "$nsslib" "$T/nsslib/" || e2e_bail "copy $nsslib"
	echo "$T/nsslib" >/etc/ld.so.conf.d/00-sosafe-e2e.conf
	ldconfig || e2e_bail ldconfig
	sed -i -e 's/^\(passwd\|group\|shadow\):.*/\1:         files sosafe/' /etc/nsswitch.conf
	cat >"$SOSAFE_CONF_PATH" <<CONF
# private configuration of the $E2E_NAME suite (directory users)
state_dir = $state
sosafed_path = $BUILT_SOSAFED
deny = 6
$1
CONF
	"$SOSAFECTL" init >/dev/null || e2e_bail "sosafectl init"
	e2e_daemon_mode "$state"
}
