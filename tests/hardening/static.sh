#!/bin/sh
# Static analysis of the product code (lib/, pam_sosafe/, nss_sosafe/, sosafed/,
# sosafectl/): cppcheck, clang-tidy (.clang-tidy at the top) and scan-build.
# One TAP test per tool; a test fails on any finding that is not suppressed
# in place with its reason (see tests/hardening/static_filter.py for the rules).
#
#   STATIC_BUILD_DIR  work directory (default: SRCDIR/build-static)
#   STATIC_JOBS       make -j for scan-build (default 2)
#   STATIC_TOOLS      subset of "cppcheck clang-tidy scan-build" (default: all)
set -u
srcdir=$(cd "$(dirname "$0")/../.." && pwd)
work=${STATIC_BUILD_DIR:-$srcdir/build-static}
jobs=${STATIC_JOBS:-2}
tools=${STATIC_TOOLS:-cppcheck clang-tidy scan-build}
mkdir -p "$work" && work=$(cd "$work" && pwd) || exit 1
log=$work/static.log
: >"$log"
. "$srcdir/tests/lib/tap.sh"
set -- $tools
plan $#
# notok DESC FILE: a failing tool, with the start of its findings
notok() { nok "$1"; head -40 "$2" | diag; }

if [ ! -x "$srcdir/configure" ]; then
	(cd "$srcdir" && autoreconf -fi) >>"$log" 2>&1
fi
# config.h for the tools, from a plain configure
mkdir -p "$work/cfg"
if [ ! -f "$work/cfg/config.h" ]; then
	(cd "$work/cfg" && CC=clang "$srcdir/configure" >>"$log" 2>&1)
fi
dirs=
for d in lib pam_sosafe nss_sosafe sosafectl sosafed; do
	[ -d "$srcdir/$d" ] && dirs="$dirs $d"
done
sources=$(cd "$srcdir" && find $dirs -name '*.c' | sort)
incs="-I$work/cfg -I$srcdir"
for d in $dirs; do incs="$incs -I$srcdir/$d"; done
pkgs=$(pkg-config --cflags sqlite3 liboath libqrencode libpq 2>/dev/null)
cflags="-std=gnu11 -DHAVE_CONFIG_H -DSOSAFE_SBINDIR=\"/usr/sbin\" $incs $pkgs"

for tool in $tools; do
	out=$work/$tool.out
	: >"$out"
	case $tool in
	cppcheck)
		# style included; suppressions are "// cppcheck-suppress id" comments
		# with a reason, next to the code (--inline-suppr)
		(cd "$srcdir" && cppcheck --quiet --std=c11 --enable=warning,style,performance,portability \
			--inline-suppr --error-exitcode=1 --suppress=missingIncludeSystem \
			--template='{file}:{line}: {severity}: {message} [{id}]' \
			-DHAVE_CONFIG_H -D__GNUC__ -I "$work/cfg" $(for d in $dirs; do echo "-I $d"; done) \
			$dirs) >"$out" 2>&1
		rc=$?
		count=$(grep -c ': \(error\|warning\|style\|performance\|portability\): ' "$out")
		if [ "$rc" -eq 0 ] && [ "$count" -eq 0 ]; then
			ok "cppcheck: 0 findings in $(echo $sources | wc -w) files"
		else
			notok "cppcheck: $count findings (exit $rc)" "$out"
		fi
		;;
	clang-tidy)
		# one file per process, $jobs at a time; each writes its own file
		rm -rf "$work/tidy" && mkdir -p "$work/tidy"
		export srcdir work cflags
		# shellcheck disable=SC2016,SC2086
		printf '%s\n' $sources | xargs -P "$jobs" -I{} sh -c \
			'clang-tidy --quiet "$srcdir/$1" -- $cflags >"$work/tidy/$(echo "$1" | tr / _).out" 2>&1' _ {}
		cat "$work"/tidy/*.out >"$out"
		if python3 "$srcdir/tests/hardening/static_filter.py" tidy "$out" >"$out.left"; then
			ok "clang-tidy: 0 findings in $(echo $sources | wc -w) files"
		else
			notok "clang-tidy: $(wc -l <"$out.left") findings" "$out.left"
		fi
		;;
	scan-build)
		sb=$work/scan-build
		rm -rf "$sb/report"
		mkdir -p "$sb"
		if [ ! -f "$sb/Makefile" ]; then
			(cd "$sb" && scan-build "$srcdir/configure" >>"$log" 2>&1)
		fi
		(cd "$sb" && make clean >/dev/null 2>&1
		 scan-build -o "$sb/report" -enable-checker security.FloatLoopCounter \
			-enable-checker security.insecureAPI.strcpy -enable-checker valist \
			make -j"$jobs") >"$out" 2>&1
		rc=$?
		if [ "$rc" -ne 0 ]; then
			notok "scan-build: the build failed (exit $rc)" "$out"
		elif python3 "$srcdir/tests/hardening/static_filter.py" scanbuild "$sb/report" >"$out.left"; then
			ok "scan-build: 0 findings ($(grep -c 'warning:' "$out") reported, all suppressed in place)"
		else
			notok "scan-build: $(wc -l <"$out.left") findings" "$out.left"
		fi
		;;
	*)
		nok "unknown tool $tool"
		;;
	esac
done
tap_done
