#!/bin/bash
# The sample configuration points only at what exists: every man page it
# names is in man/, every absolute path in it exists on the host or is made
# by `sosafectl init` (state_dir, secret_key_file), every file of the sources it names is in
# the tree. TAP output.
set -u
src="${abs_top_srcdir:-.}"
. "$src/tests/lib/tap.sh"
tap_tmpdir sample-conf
sample="$src/contrib/sosafe.conf"
plan 3

: >"$tmp/missing"
for page in $(grep -o '[a-z_.]*([1-8])' "$sample" | sort -u); do
	f="$src/man/${page%(*}.${page#*(}"
	f=${f%)}
	[ -e "$f" ] || echo "man page $page" >>"$tmp/missing"
done
check "every man page it names is in man/" eval '! grep -q "^man" "$tmp/missing"'
for p in $(grep -o '\(^\|[ =]\)/[A-Za-z0-9_./-]*[A-Za-z0-9_]' "$sample" | tr -d ' =' | sort -u); do
	case $p in
	/var/lib/sosafe) ;;   # state_dir: made by sosafectl init
	/etc/security/sosafe.key) ;; # secret_key_file: made by sosafectl init
	/etc/security/sosafe.conf) ;; # the sample itself, once installed
	*[A-Z]*) ;;           # a pattern such as /home/NAME
	*) [ -e "$p" ] || echo "path $p" >>"$tmp/missing" ;;
	esac
done
check "every absolute path in it exists (or is made by sosafectl init)" eval '! grep -q "^path" "$tmp/missing"'
for f in $(grep -o '\(contrib\|docs\|man\)/[A-Za-z0-9_./-]*[A-Za-z0-9]' "$sample" | sort -u); do
	[ -e "$src/$f" ] || echo "source $f" >>"$tmp/missing"
done
check "every file of the sources it names is in the tree" eval '! grep -q "^source" "$tmp/missing"'
[ -s "$tmp/missing" ] && show "$tmp/missing"
tap_done
