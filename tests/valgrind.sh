#!/bin/sh
# Every compiled test program of `make check` under valgrind memcheck, in an
# ordinary (non-sanitizer) build directory of its own. Zero errors and zero
# definite/indirect leaks, or the test fails. Prints TAP.
#
#   VG_BUILD_DIR   build directory (default: SRCDIR/build-valgrind)
#   VG_JOBS        make -j (default 2)
#
# Script tests (*.sh, *.test) run unchanged; every test without an extension
# (the cmocka and integration programs) runs as
#   libtool --mode=execute valgrind --error-exitcode=99 ...
# so a memcheck error is exit status 99, which the TAP driver reports as ERROR.
set -u
srcdir=$(cd "$(dirname "$0")/.." && pwd)
build=${VG_BUILD_DIR:-$srcdir/build-valgrind}
jobs=${VG_JOBS:-2}
mkdir -p "$build" && build=$(cd "$build" && pwd) || exit 1
log=$build/valgrind.log
: >"$log"
n=0 fail=0
echo "1..3"
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); fail=1; echo "not ok $n - $1"; tail -25 "$log" | sed 's/^/# /'; }
skip_rest() { while [ "$n" -lt 3 ]; do notok "$1"; done; exit 1; }

command -v valgrind >/dev/null 2>&1 || { notok "valgrind not installed (apt-get install valgrind)"; skip_rest "not reached"; }
if [ ! -x "$srcdir/configure" ]; then
	(cd "$srcdir" && autoreconf -fi) >>"$log" 2>&1 || { notok "autoreconf"; skip_rest "not reached"; }
fi
cd "$build" || exit 1
if { [ -f config.status ] || "$srcdir/configure" >>"$log" 2>&1; } &&
   make -j"$jobs" >>"$log" 2>&1 && make -j"$jobs" check TESTS= >>"$log" 2>&1; then
	ok "plain build for memcheck"
else
	notok "plain build for memcheck"; skip_rest "not reached"
fi
vg="$build/libtool --mode=execute valgrind --tool=memcheck --error-exitcode=99 --leak-check=full"
vg="$vg --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect"
vg="$vg --track-origins=yes --trace-children=no --num-callers=30 --suppressions=$srcdir/tests/valgrind.supp"
# the NSS module: 100,000 lookups through its entry points (tests/torture/nss_lookups)
NSS_LOOKUPS=${NSS_LOOKUPS:-100000} make -j"$jobs" check LOG_COMPILER="$vg" >>"$log" 2>&1
rc=$?
summary=$(sed -n 's/^# \(TOTAL\|PASS\|FAIL\|ERROR\): *\([0-9]*\)/\1=\2/p' "$log" | tail -4 | tr '\n' ' ')
if [ "$rc" -eq 0 ]; then
	ok "make check under memcheck: $summary"
else
	notok "make check under memcheck: $summary"
fi
bad=$(find . -name '*.log' ! -name valgrind.log ! -name config.log -exec \
	grep -l -E '==[0-9]+== (Invalid|Conditional jump|Syscall param|Mismatched|.*definitely lost: [1-9]|.*indirectly lost: [1-9])' {} + 2>/dev/null)
if [ -z "$bad" ]; then
	ok "no memcheck error or leak in any test log"
else
	notok "memcheck reports in: $(echo $bad)"
fi
exit $fail
