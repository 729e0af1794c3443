#!/bin/bash
# The whole test suite: installs what it needs (Debian packages), builds in
# build-tests/, runs unit + integration tests (make check), the root
# end-to-end suites (make check-e2e), the Debian packages (make
# check-packages) and the hardening suites, then prints
# one summary line "N passed, N failed". Run as root from the source tree:
#     sudo ./contrib/run-tests.sh
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
if [ "$(id -u)" != 0 ]; then
	echo "run-tests.sh: run as root (it installs packages and starts test servers)" >&2
	exit 2
fi
./contrib/deps.sh test || { echo "run-tests.sh: package installation failed" >&2; exit 1; }

passed=0
failed=0
# Add the PASS/FAIL/ERROR counts of an automake test-suite.log.
count_automake() {
	local out=$1 p f e
	p=$(sed -n 's/^# PASS: *//p' "$out" | tail -1)
	f=$(sed -n 's/^# FAIL: *//p' "$out" | tail -1)
	e=$(sed -n 's/^# ERROR: *//p' "$out" | tail -1)
	if [ -z "$p" ]; then
		echo "no summary from $out: counting as a failure"
		failed=$((failed + 1))
		return
	fi
	passed=$((passed + p))
	failed=$((failed + ${f:-0} + ${e:-0}))
}
# Add the counts of a TAP stream (ok / not ok lines).
count_tap() {
	local out=$1 p f
	p=$(grep -c '^ok ' "$out" || true)
	f=$(grep -c '^not ok ' "$out" || true)
	passed=$((passed + p))
	failed=$((failed + f))
}

(autoreconf -fi >/dev/null 2>&1 && mkdir -p build-tests && cd build-tests &&
	../configure -q --enable-silent-rules && make -j2 >make.log 2>&1) || {
	echo "build failed; see build-tests/make.log and build-tests/config.log"
	tail -30 build-tests/make.log 2>/dev/null
	echo "0 passed, 1 failed"
	exit 1
}
if grep -E 'warning:' build-tests/make.log; then
	echo "compiler warnings: counted as a failure"
	failed=$((failed + 1))
fi

echo "== make check (unit + integration)"
(cd build-tests && make -j2 check >check.out 2>&1)
grep -E '^(PASS|FAIL|ERROR|XPASS|# )' build-tests/check.out | grep -v '^PASS' || true
count_automake build-tests/check.out
grep -E '^(FAIL|ERROR)' build-tests/check.out >/dev/null && for l in build-tests/tests/*/*.log; do
	grep -q -E '^(not ok|ERROR|FAIL)' "$l" && { echo "--- $l"; tail -40 "$l"; }
done

echo "== make distcheck (tarball builds, tests pass out of tree, uninstall is clean)"
if (cd build-tests && timeout 1200 make -j2 distcheck >distcheck.out 2>&1); then
	echo "ok - distcheck"
	passed=$((passed + 1))
else
	echo "not ok - distcheck"
	tail -30 build-tests/distcheck.out
	failed=$((failed + 1))
fi

echo "== make check-e2e (as root: real servers)"
(cd build-tests && timeout 2400 make check-e2e >e2e.out 2>&1)
grep -E '^(PASS|FAIL|ERROR|XPASS|# )' build-tests/e2e.out | grep -v '^PASS' || true
if grep -q '^# TOTAL' build-tests/e2e.out; then
	count_automake build-tests/e2e.out
	grep -E '^(FAIL|ERROR)' build-tests/e2e.out >/dev/null && for l in build-tests/tests/e2e/*.log; do
		grep -q -E '^(not ok|ERROR|FAIL)' "$l" && { echo "--- $l"; tail -60 "$l"; }
	done
elif grep -qE 'Error|error:' build-tests/e2e.out; then
	tail -20 build-tests/e2e.out
	failed=$((failed + 1))
else
	echo "(no end-to-end suites in this tree)"
fi

echo "== make check-e2e-started (the same suites, sosafed started by each suite)"
if grep -q '^# TOTAL' build-tests/e2e.out; then
	(cd build-tests && timeout 2400 make check-e2e-started >e2e-started.out 2>&1)
	grep -E '^(PASS|FAIL|ERROR|XPASS|# )' build-tests/e2e-started.out | grep -v '^PASS' || true
	count_automake build-tests/e2e-started.out
fi

echo "== make check-packages (Debian packages: build, lintian, install, upgrade, remove, purge)"
(cd build-tests && timeout 900 make check-packages >packages.out 2>&1)
grep -E '^(PASS|FAIL|ERROR|XPASS|SKIP|# )' build-tests/packages.out | grep -v '^PASS' || true
count_automake build-tests/packages.out
grep -qE '^(FAIL|ERROR)' build-tests/packages.out && tail -60 build-tests/tests/e2e/packages.log

# Hardening suites (TAP scripts), each bounded in time: fuzz smoke,
# ASan+UBSan suite, static analysis (cppcheck, clang-tidy, scan-build: zero
# findings, suppressions only in place with a reason) and memcheck.
for suite in tests/fuzz/smoke.sh tests/hardening/sanitize.sh tests/hardening/static.sh tests/hardening/valgrind.sh; do
	[ -x "$suite" ] || continue
	echo "== $suite"
	timeout 1500 "$suite" >"build-tests/$(basename "$suite").out" 2>&1
	rc=$?
	grep -E '^(not ok|ok|#)' "build-tests/$(basename "$suite").out" | tail -40
	count_tap "build-tests/$(basename "$suite").out"
	if [ $rc -ne 0 ] && ! grep -q '^not ok' "build-tests/$(basename "$suite").out"; then
		echo "$suite exited $rc without a failing test: counted as a failure"
		failed=$((failed + 1))
	fi
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
