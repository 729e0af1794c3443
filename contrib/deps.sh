#!/bin/sh
# Install the Debian packages that building and testing sosafe need
# (the union of contrib/packages/*.txt: build, runtime, test, test-e2e).
# Idempotent; needs root.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
pkgs=$(cat "$here"/packages/*.txt | sed 's/#.*//' | tr -s ' \n' '\n' | sort -u | tr '\n' ' ')
missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
