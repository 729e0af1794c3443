#!/bin/bash
# Quick start on a fresh Debian 12 machine, as root, from the source tree:
# installs the build dependencies, builds, installs pam_sosafe.so, sosafectl
# and (when built) libnss_sosafe.so.2 into the system locations, creates the
# state store, and runs the guided demo (contrib/demo.sh; --auto: no questions).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
[ "$(id -u)" = 0 ] || { echo "quickstart.sh: run as root (sudo $0)" >&2; exit 2; }
./contrib/deps.sh build
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch)
autoreconf -fi >/dev/null 2>&1
mkdir -p build && cd build
../configure -q --prefix=/usr --sysconfdir=/etc --localstatedir=/var \
	--libdir="/usr/lib/$multiarch" --with-pammoddir="/usr/lib/$multiarch/security"
make -j2 >/dev/null
make install >/dev/null
ldconfig
sosafectl init
echo "installed: /usr/lib/$multiarch/security/pam_sosafe.so, /usr/sbin/sosafectl, /etc/security/sosafe.conf"
cd "$top"
exec ./contrib/demo.sh "$@"
