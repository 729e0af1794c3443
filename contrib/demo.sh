#!/bin/sh
# sosafe guided demo on the embedded default (SQLite state store, local
# directory snapshot). Run as root from a built tree:
#
#   sudo contrib/demo.sh [--auto] [--builddir DIR]
#
# --auto     no pauses (CI runs it this way); the exit status is 0 only when
#            every step behaved as shown
# --builddir where pam_sosafe/.libs/pam_sosafe.so and sosafectl/sosafectl
#            were built (default: ./, ./build, the source tree; else the
#            installed module and sosafectl)
#
# Nothing on the host changes: the demo runs in a private mount and PID
# namespace with an overlay on /etc (demo PAM service, demo users,
# configuration) and its state in a temporary directory, all gone at the end.
# It shows: a login, the lock after six failures, `sosafectl status` and
# `unlock`; then, when this build has them, TOTP enrollment with the QR code
# and a login with a code (R2), and a deactivated directory user refused (R3).
set -u

auto=no
builddir=""
while [ $# -gt 0 ]; do
	case "$1" in
	--auto) auto=yes ;;
	--builddir) builddir=${2:?--builddir needs a directory}; shift ;;
	--builddir=*) builddir=${1#--builddir=} ;;
	-h|--help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "demo.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
	esac
	shift
done

if [ -z "${SOSAFE_DEMO_INSIDE:-}" ]; then
	[ "$(id -u)" = 0 ] || { echo "demo.sh: run as root (it uses a private mount namespace)" >&2; exit 1; }
	for tool in pamtester unshare; do
		command -v "$tool" >/dev/null || { echo "demo.sh: needs $tool (apt-get install $tool)" >&2; exit 1; }
	done
	here=$(cd "$(dirname "$0")/.." && pwd)
	if [ -z "$builddir" ]; then
		for d in "$PWD" "$here/build" "$here"; do
			if [ -f "$d/pam_sosafe/.libs/pam_sosafe.so" ] && [ -x "$d/sosafectl/sosafectl" ]; then
				builddir=$d
				break
			fi
		done
	fi
	tmp=$(mktemp -d /tmp/sosafe-demo.XXXXXX) || exit 1
	chmod 755 "$tmp"
	rc=0
	timeout --kill-after=5 600 unshare --mount --pid --kill-child --mount-proc --propagation private \
		env SOSAFE_DEMO_INSIDE=1 DEMO_TMP="$tmp" DEMO_BUILDDIR="$builddir" DEMO_AUTO="$auto" \
		sh "$0" || rc=$?
	rm -rf "$tmp"
	exit "$rc"
fi

# ---- inside the private namespace ----------------------------------------
[ "$$" = 1 ] || { echo "demo.sh: not inside the private namespace" >&2; exit 1; }
T=$DEMO_TMP
failed=0
bold=""
plain=""
if [ -t 1 ]; then
	bold=$(printf '\033[1m')
	plain=$(printf '\033[0m')
fi

say() { printf '\n%s== %s%s\n' "$bold" "$*" "$plain"; }
show() { printf '%s$ %s%s\n' "$bold" "$*" "$plain"; "$@"; }
pause() {
	[ "$DEMO_AUTO" = yes ] && return 0
	printf '\n[Enter to go on] '
	read -r _ </dev/tty || true
}
# expect_that DESCRIPTION COMMAND...: the demo checks what it shows
expect_that() {
	desc=$1
	shift
	if "$@"; then
		printf '   -> as expected: %s\n' "$desc"
	else
		printf '   -> NOT as expected: %s\n' "$desc"
		failed=$((failed + 1))
	fi
}

moddir=$(dirname "$(ls /usr/lib/*/security/pam_unix.so /lib/*/security/pam_unix.so 2>/dev/null | head -n 1)")
moddir=$(readlink -f "$moddir")
if [ -n "$DEMO_BUILDDIR" ]; then
	SOSAFECTL="$DEMO_BUILDDIR/sosafectl/sosafectl"
	mkdir -p "$T/mod.u" "$T/mod.w"
	cp "$DEMO_BUILDDIR/pam_sosafe/.libs/pam_sosafe.so" "$T/mod.u/"
	mount -t overlay overlay -o "lowerdir=$moddir,upperdir=$T/mod.u,workdir=$T/mod.w" "$moddir" || exit 1
	NSSLIB="$DEMO_BUILDDIR/nss_sosafe/.libs"
	CONF=$(sed -n 's/^#define SOSAFE_CONF "\(.*\)"$/\1/p' "$DEMO_BUILDDIR/config.h")
	STATE=$(sed -n 's/^#define SOSAFE_STATE_DIR "\(.*\)"$/\1/p' "$DEMO_BUILDDIR/config.h")
	# the module starts the daemon on first use: the built one, not an installed one
	DAEMON_LINE="sosafed_path = $DEMO_BUILDDIR/sosafed/sosafed"
else
	SOSAFECTL=$(command -v sosafectl) || { echo "demo.sh: no build found and sosafectl not installed" >&2; exit 1; }
	[ -f "$moddir/pam_sosafe.so" ] || { echo "demo.sh: pam_sosafe.so not installed in $moddir" >&2; exit 1; }
	NSSLIB=""
	CONF=/etc/security/sosafe.conf
	STATE=/var/lib/sosafe
	DAEMON_LINE=""
fi
# The state (and the NSS snapshot, read from the compiled-in directory) in
# a private overlay on /var/lib, starting empty.
case "$STATE" in
/var/lib/*) ;;
*) echo "demo.sh: state directory $STATE is outside /var/lib" >&2; exit 1 ;;
esac
mkdir -p "$T/varlib.u" "$T/varlib.w"
mount -t overlay overlay -o "lowerdir=/var/lib,upperdir=$T/varlib.u,workdir=$T/varlib.w" /var/lib || exit 1
rm -rf "$STATE"
mkdir -p "$T/etc.u" "$T/etc.w"
mount -t overlay overlay -o "lowerdir=/etc,upperdir=$T/etc.u,workdir=$T/etc.w" /etc || exit 1
mount -t tmpfs -o mode=755 tmpfs /run
mkdir -p "$(dirname "$CONF")"
cat >"$CONF" <<EOF
# demo configuration: the defaults (state in a private, empty $STATE)
state_dir = $STATE
entitled_group = sosafe-demo-users
$DAEMON_LINE
EOF
chmod 644 "$CONF"

PW='Demo-passw0rd'
say "sosafe demo: a host that enforces 'blocked after six failed attempts' by itself"
echo "Everything happens in a private namespace; the host is not changed."
echo "Configuration ($CONF):"
sed 's/^/    /' "$CONF"
show "$SOSAFECTL" init
useradd -M -d /nonexistent -s /bin/sh demo-alice
printf 'demo-alice:%s\n' "$PW" | chpasswd
cat >/etc/pam.d/sosafe-demo <<'EOF'
auth     requisite  pam_sosafe.so preauth
auth     requisite  pam_unix.so
auth     required   pam_sosafe.so authsucc
account  required   pam_sosafe.so
EOF
say "The PAM service 'sosafe-demo' (/etc/pam.d/sosafe-demo), as in contrib/pam.d:"
sed 's/^/    /' /etc/pam.d/sosafe-demo
echo "User demo-alice, password '$PW'."
pause

login() { # login USER ANSWER...: authenticate + account through the service
	u=$1
	shift
	printf '%s\n' "$@" | pamtester sosafe-demo "$u" authenticate acct_mgmt
}
say "1. demo-alice logs in with the right password"
printf '%s$ pamtester sosafe-demo demo-alice authenticate acct_mgmt%s\n' "$bold" "$plain"
login demo-alice "$PW"
expect_that "login succeeds" [ $? = 0 ]
pause

say "2. Someone guesses demo-alice's password six times"
for i in 1 2 3 4 5 6; do
	printf 'guess %s: ' "$i"
	login demo-alice "guess-$i" 2>&1 | tail -n 1
done
show "$SOSAFECTL" status demo-alice
expect_that "demo-alice is locked" sh -c "'$SOSAFECTL' status demo-alice --json | grep -q '\"locked\":true'"
pause

say "3. Now even the right password is refused (same answer as a wrong one)"
login demo-alice "$PW" 2>&1 | tail -n 1
expect_that "login refused while locked" sh -c "! printf '%s\n' '$PW' | pamtester sosafe-demo demo-alice authenticate >/dev/null 2>&1"
show "$SOSAFECTL" status --all
pause

say "4. An administrator unlocks demo-alice"
show "$SOSAFECTL" unlock demo-alice
login demo-alice "$PW"
expect_that "login succeeds after unlock" [ $? = 0 ]
pause

# ---- TOTP, when this build has it -------------------------------------
if "$SOSAFECTL" enroll --help >/dev/null 2>&1 && command -v oathtool >/dev/null; then
	say "5. A second factor (TOTP): enroll demo-alice, scan the QR code"
	SECRET=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP
	echo "(a real enrollment makes the secret itself and asks for a first code;"
	echo " the demo gives a known secret so that oathtool can play the phone)"
	printf '%s\n' "$SECRET" | show "$SOSAFECTL" enroll demo-alice --secret - --no-confirm
	cat >/etc/pam.d/sosafe-demo <<'EOF'
auth     requisite  pam_sosafe.so preauth
auth     requisite  pam_unix.so
auth     required   pam_sosafe.so otp
account  required   pam_sosafe.so
EOF
	echo "The service now ends in 'pam_sosafe.so otp':"
	sed 's/^/    /' /etc/pam.d/sosafe-demo
	CODE=$(oathtool --totp -b "$SECRET")
	echo "The authenticator app shows $CODE"
	login demo-alice "$PW" "$CODE"
	expect_that "password + code log in" [ $? = 0 ]
	printf 'the same code again: '
	login demo-alice "$PW" "$CODE" 2>&1 | tail -n 1
	printf '%s\n' "$PW" "$CODE" | pamtester sosafe-demo demo-alice authenticate >/dev/null 2>&1
	expect_that "the same code a second time is refused (replay)" [ $? != 0 ]
	pause
else
	say "5. TOTP second factor: not in this build (sosafectl enroll missing) - skipped"
fi

# ---- directory users, when this build has nss_sosafe --------------------
if [ -n "$NSSLIB" ] && [ -f "$NSSLIB/libnss_sosafe.so.2" ] && "$SOSAFECTL" sync --help >/dev/null 2>&1; then
	say "6. Directory users (R3): served by nss_sosafe from a local snapshot"
	mkdir -p "$T/nsslib"
	cp "$NSSLIB/libnss_sosafe.so.2" "$T/nsslib/"
	echo "$T/nsslib" >/etc/ld.so.conf.d/00-sosafe-demo.conf
	ldconfig
	sed -i -e 's/^\(passwd\|group\|shadow\):.*/\1:         files sosafe/' /etc/nsswitch.conf
	echo "/etc/nsswitch.conf (as in contrib/nsswitch.conf.snippet):"
	grep -E '^(passwd|group|shadow):' /etc/nsswitch.conf | sed 's/^/    /'
	export_dir() {
		cat >"$T/directory.json" <<EOF
{"users": [
  {"name": "demo-bob", "gecos": "Bob", "shell": "/bin/sh", "enabled": true, "groups": ["sosafe-demo-users"]},
  {"name": "demo-carol", "gecos": "Carol", "shell": "/bin/sh", "enabled": $1, "groups": ["sosafe-demo-users"]}],
 "groups": [{"name": "sosafe-demo-users"}]}
EOF
		sed 's/^/    /' "$T/directory.json"
		show "$SOSAFECTL" sync --from "$T/directory.json"
	}
	echo "The directory export (an AD export would be LDIF): both active"
	export_dir true
	show getent passwd demo-bob demo-carol
	printf '%s$ pamtester sosafe-demo demo-carol acct_mgmt%s\n' "$bold" "$plain"
	pamtester sosafe-demo demo-carol acct_mgmt
	expect_that "the active directory user passes the account phase" [ $? = 0 ]
	pause
	say "7. demo-carol is deactivated in the directory; the next sync takes it to the host"
	export_dir false
	show getent shadow demo-carol
	printf '%s$ pamtester sosafe-demo demo-carol acct_mgmt%s\n' "$bold" "$plain"
	pamtester sosafe-demo demo-carol acct_mgmt
	expect_that "the deactivated directory user is refused (also for ssh keys)" [ $? != 0 ]
	pamtester sosafe-demo demo-bob acct_mgmt >/dev/null 2>&1
	expect_that "demo-bob is still let in" [ $? = 0 ]
	pause
else
	say "6. Directory users (nss_sosafe): not in this build - skipped"
fi

say "Done. $failed step(s) did not behave as shown."
[ "$failed" = 0 ]
