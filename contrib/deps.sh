#!/bin/sh
# Install the Debian packages sosafe needs, by purpose (contrib/packages/):
#   deps.sh [--dry-run] [build]   build.txt + runtime.txt: what building and
#                                 running need; no server, safe on the target host
#   deps.sh [--dry-run] test      every list, also the servers the root
#                                 end-to-end suites drive (sshd, slapd, Samba,
#                                 FreeRADIUS, OpenVPN); their services are not
#                                 started by the installation (policy-rc.d
#                                 answers 101 while apt-get runs, as in Debian's
#                                 build chroots): the suites start their own
#                                 copies in private namespaces
# --dry-run prints the packages of the set, one a line, and installs nothing.
# Idempotent; installing needs root.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
dry=no
set_name=build
for arg in "$@"; do
	case $arg in
	--dry-run) dry=yes ;;
	build | test) set_name=$arg ;;
	*)
		echo "usage: deps.sh [--dry-run] [build|test]" >&2
		exit 2
		;;
	esac
done
# the lists of the set become the positional parameters (paths may hold blanks)
case $set_name in
build) set -- "$here/packages/build.txt" "$here/packages/runtime.txt" ;;
test) set -- "$here"/packages/*.txt ;;
esac
pkgs=$(cat "$@" | sed 's/#.*//' | tr -s ' \n' '\n' | sed '/^$/d' | sort -u)
if [ "$dry" = yes ]; then
	echo "$pkgs"
	exit 0
fi
missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -n "$missing" ] || exit 0
echo "installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
if [ "$set_name" = build ]; then
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
	exit 0
fi
# Test servers: installed, never started by their maintainer scripts. An
# admin's own policy-rc.d is set aside for the installation and put back.
policy=${SOSAFE_POLICY_RC_D:-/usr/sbin/policy-rc.d}
saved="$policy.sosafe-saved"
[ ! -e "$saved" ] || {
	echo "deps.sh: $saved exists (an earlier run was interrupted): put it back as $policy first" >&2
	exit 1
}
[ ! -e "$policy" ] || mv "$policy" "$saved"
restore() {
	rm -f "$policy"
	[ ! -e "$saved" ] || mv "$saved" "$policy"
}
trap restore EXIT
trap 'exit 1' INT TERM HUP
printf '#!/bin/sh\n# sosafe deps.sh: no service starts while test packages install\nexit 101\n' >"$policy"
chmod 755 "$policy"
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
