#!/bin/sh
# The whole `make check` suite under AddressSanitizer + UndefinedBehaviorSanitizer,
# in a build directory of its own. Prints TAP.
#
#   SAN_CC          compiler (default gcc; clang works too)
#   SAN_BUILD_DIR   build directory (default: SRCDIR/build-san-$SAN_CC)
#   SAN_JOBS        make -j (default 2)
#
# Any sanitizer report aborts the test program (-fno-sanitize-recover=all,
# halt_on_error), so the failing test shows up as "not ok"; the reports are
# also searched for in every test log in case a program swallowed the exit code.
set -u
srcdir=$(cd "$(dirname "$0")/../.." && pwd)
cc=${SAN_CC:-gcc}
build=${SAN_BUILD_DIR:-$srcdir/build-san-$cc}
jobs=${SAN_JOBS:-2}
mkdir -p "$build" && build=$(cd "$build" && pwd) || exit 1
log=$build/sanitize.log
: >"$log"
. "$srcdir/tests/lib/tap.sh"
plan 4
# notok DESC: a failing step, with the end of the log
notok() { nok "$1"; tail -25 "$log" | diag; }

if [ ! -x "$srcdir/configure" ]; then
	(cd "$srcdir" && autoreconf -fi) >>"$log" 2>&1 || { notok "autoreconf"; tap_fill "not reached"; }
fi
cd "$build" || exit 1
extra=
[ "$cc" = clang ] && extra="-Wno-unknown-warning-option"
if grep -q -- '--enable-sanitizers' config.status 2>/dev/null ||
   CC=$cc CFLAGS="-g -O1 $extra" "$srcdir/configure" --enable-sanitizers >>"$log" 2>&1; then
	ok "configure --enable-sanitizers (CC=$cc)"
else
	notok "configure --enable-sanitizers (CC=$cc)"; tap_fill "not reached"
fi
if make -j"$jobs" >>"$log" 2>&1 && make -j"$jobs" check TESTS= >>"$log" 2>&1; then
	ok "build with -fsanitize=address,undefined"
else
	notok "build with -fsanitize=address,undefined"; tap_fill "not reached"
fi

# libpam_wrapper/nss_wrapper are LD_PRELOADed ahead of the ASan runtime by the
# integration tests: allow that; everything else stays strict.
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1:verify_asan_link_order=0}
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# cwrap's wrappers dlopen libc with RTLD_DEEPBIND, which ASan refuses.
NSS_WRAPPER_DISABLE_DEEPBIND=1 PAM_WRAPPER_DISABLE_DEEPBIND=1 UID_WRAPPER_DISABLE_DEEPBIND=1
export ASAN_OPTIONS UBSAN_OPTIONS NSS_WRAPPER_DISABLE_DEEPBIND PAM_WRAPPER_DISABLE_DEEPBIND UID_WRAPPER_DISABLE_DEEPBIND
make -j"$jobs" check >>"$log" 2>&1
rc=$?
summary=$(sed -n 's/^# \(TOTAL\|PASS\|FAIL\|ERROR\): *\([0-9]*\)/\1=\2/p' "$log" | tail -4 | tr '\n' ' ')
if [ "$rc" -eq 0 ]; then
	ok "make check under ASan+UBSan: $summary"
else
	notok "make check under ASan+UBSan: $summary"
	grep -h -B2 -A12 -E 'ERROR: (Address|Leak)Sanitizer|runtime error:' $(find . -name '*.log') 2>/dev/null |
		head -40 | sed 's/^/# /'
fi
reports=$(find . -name '*.log' ! -name sanitize.log ! -name config.log -exec \
	grep -l -E 'ERROR: (Address|Leak)Sanitizer|runtime error:' {} + 2>/dev/null)
if [ -z "$reports" ]; then
	ok "no sanitizer report in any test log"
else
	notok "sanitizer reports in: $(echo $reports)"
fi
tap_done
