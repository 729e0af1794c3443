#!/bin/sh
# The integration test programs (real libpam loading pam_sosafe.so) and the
# NSS module's 100,000 lookups (tests/torture/nss_lookups) under valgrind
# memcheck, in an ordinary (non-sanitizer) build directory of its own.
# Zero errors and zero definite/indirect leaks, or the test fails. Prints TAP.
#
#   VG_BUILD_DIR   build directory (default: SRCDIR/build-valgrind)
#   VG_JOBS        make -j (default 2)
#   VG_TESTS       the tests to run (default: the audit integration program
#                  and tests/torture/nss_lookups); e.g.
#                  VG_TESTS=all for every compiled program of `make check`
#                  (much slower, and the timing checks of the unit tests do
#                  not hold under memcheck)
#
# Each program runs as
#   libtool --mode=execute valgrind --error-exitcode=99 ...
# so a memcheck error is exit status 99, which the TAP driver reports as ERROR.
# Children are traced (the integration programs re-exec themselves under
# nss_wrapper), except system binaries.
set -u
srcdir=$(cd "$(dirname "$0")/../.." && pwd)
build=${VG_BUILD_DIR:-$srcdir/build-valgrind}
jobs=${VG_JOBS:-2}
mkdir -p "$build" && build=$(cd "$build" && pwd) || exit 1
log=$build/valgrind.log
: >"$log"
. "$srcdir/tests/lib/tap.sh"
plan 3
# notok DESC: a failing step, with the end of the log
notok() { nok "$1"; tail -25 "$log" | diag; }

command -v valgrind >/dev/null 2>&1 || { notok "valgrind not installed (apt-get install valgrind)"; tap_fill "not reached"; }
if [ ! -x "$srcdir/configure" ]; then
	(cd "$srcdir" && autoreconf -fi) >>"$log" 2>&1 || { notok "autoreconf"; tap_fill "not reached"; }
fi
cd "$build" || exit 1
if { [ -f config.status ] || "$srcdir/configure" >>"$log" 2>&1; } &&
   make -j"$jobs" >>"$log" 2>&1 && make -j"$jobs" check TESTS= >>"$log" 2>&1; then
	ok "plain build for memcheck"
else
	notok "plain build for memcheck"; tap_fill "not reached"
fi
vg="$build/libtool --mode=execute valgrind --tool=memcheck --error-exitcode=99 --leak-check=full"
vg="$vg --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect"
vg="$vg --track-origins=yes --trace-children=yes --trace-children-skip=/bin/*,/usr/*,/sbin/*"
vg="$vg --num-callers=30 --suppressions=$srcdir/tests/hardening/valgrind.supp"
# Not by default (bounded run time): tests/integration/test_pam_lockout (its
# concurrent process/thread cases ran > 12 min under memcheck on the 2-core CI
# machine), test_otp_replay (48 concurrent logins take ~95 s under memcheck,
# past store_timeout_ms, so attempts are refused uncounted) and test_otp_pam
# (check_password fails under memcheck; not yet understood). The otp logs
# were clean (0 memcheck errors, 0 bytes lost). Run them with VG_TESTS=...
tests=${VG_TESTS:-tests/integration/test_pam_audit tests/torture/nss_lookups}
# the NSS module: 100,000 lookups through its entry points (tests/torture/nss_lookups)
export NSS_LOOKUPS="${NSS_LOOKUPS:-100000}"
if [ "$tests" = all ]; then
	make -j"$jobs" check LOG_COMPILER="$vg" >>"$log" 2>&1
	rc=$?
	logs=$(find . -name '*.log' ! -name valgrind.log ! -name config.log ! -name test-suite.log)
else
	make -j"$jobs" check TESTS="$tests" LOG_COMPILER="$vg" >>"$log" 2>&1
	rc=$?
	logs=$(for t in $tests; do echo "$t.log"; done)
fi
summary=$(sed -n 's/^# \(TOTAL\|PASS\|FAIL\|ERROR\): *\([0-9]*\)/\1=\2/p' "$log" | tail -4 | tr '\n' ' ')
if [ "$rc" -eq 0 ]; then
	ok "make check under memcheck: $summary"
else
	notok "make check under memcheck: $summary"
fi
bad=
for l in $logs; do
	if [ ! -f "$l" ] || grep -q -E '(==[0-9]+== (Invalid|Conditional jump|Syscall param|Mismatched|.*definitely lost: [1-9]|.*indirectly lost: [1-9])|^valgrind: )' "$l"; then
		bad="$bad $l"
	fi
done
if [ -z "$bad" ]; then
	ok "no memcheck error or leak in any test log"
else
	notok "memcheck reports in: $(echo $bad)"
fi
tap_done
