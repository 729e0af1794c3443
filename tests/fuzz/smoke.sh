#!/bin/sh
# Fuzz smoke run: build every libFuzzer harness with clang in a build
# directory of its own and run each for FUZZ_SECONDS, printing TAP.
#
#   FUZZ_SECONDS    seconds per harness (default 30)
#   FUZZ_BUILD_DIR  build directory (default: SRCDIR/build-fuzz)
#   FUZZ_ONLY       space-separated harness names to run (default: all)
#   FUZZ_JOBS       make -j (default 2)
#
# A harness fails on any crash, sanitizer report, violated property, leak,
# or an input slower than 10 s; libFuzzer then writes the reproducer to
# BUILD/fuzz-artifacts/ (re-run: BUILD/tests/fuzz/fuzz_NAME FILE).
# New corpus entries go to BUILD/fuzz-work/NAME, never into the source tree;
# copy interesting ones to tests/fuzz/corpus/NAME/ by hand.
set -u
srcdir=$(cd "$(dirname "$0")/../.." && pwd)
secs=${FUZZ_SECONDS:-30}
build=${FUZZ_BUILD_DIR:-$srcdir/build-fuzz}
jobs=${FUZZ_JOBS:-2}
mkdir -p "$build" || exit 1
build=$(cd "$build" && pwd)
log=$build/fuzz-build.log

. "$srcdir/tests/lib/tap.sh"
# bail DESC: the harnesses cannot run; one failing case with the end of the log
bail() { [ -f "$log" ] && tail -30 "$log" | diag; tap_abort "$1"; }

command -v clang >/dev/null 2>&1 || bail "clang not installed (apt-get install clang libclang-rt-14-dev)"
if [ ! -x "$srcdir/configure" ]; then
	(cd "$srcdir" && autoreconf -fi) >"$log" 2>&1 || bail "autoreconf failed"
fi
cd "$build" || exit 1
if ! grep -q -- '--enable-fuzzing' config.status 2>/dev/null; then
	CC=clang CFLAGS="-g -O1 -Wno-unknown-warning-option" "$srcdir/configure" --enable-fuzzing >"$log" 2>&1 || bail "configure --enable-fuzzing failed"
fi
harnesses=
for f in "$srcdir"/tests/fuzz/fuzz_*.c; do
	n=$(basename "$f" .c); n=${n#fuzz_}
	if [ -n "${FUZZ_ONLY:-}" ]; then
		case " $FUZZ_ONLY " in *" $n "*) ;; *) continue ;; esac
	fi
	harnesses="$harnesses $n"
done
[ -n "$harnesses" ] || bail "no harness matches FUZZ_ONLY='${FUZZ_ONLY:-}' (names: conf directory names ...)"
targets=$(for n in $harnesses; do printf 'tests/fuzz/fuzz_%s ' "$n"; done)
# shellcheck disable=SC2086
make -j"$jobs" $targets >>"$log" 2>&1 || bail "building the harnesses failed (see $log)"

set -- $harnesses
plan $#
total=0
mkdir -p fuzz-artifacts fuzz-work
for n in $harnesses; do
	bin=tests/fuzz/fuzz_$n
	work=fuzz-work/$n
	seeds=$srcdir/tests/fuzz/corpus/$n
	mkdir -p "$work"
	set -- -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$build/fuzz-artifacts/$n-" "$work"
	[ -d "$seeds" ] && set -- "$@" "$seeds"
	dict=$srcdir/tests/fuzz/$n.dict
	[ -f "$dict" ] && set -- -dict="$dict" "$@"
	out=fuzz-work/$n.log
	before=$(ls fuzz-artifacts | grep -c "^$n-" || true)
	ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1} \
	UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
		timeout $((secs + 120)) "./$bin" "$@" >"$out" 2>&1
	rc=$?
	after=$(ls fuzz-artifacts | grep -c "^$n-" || true)
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out" | tail -1)
	[ -n "$execs" ] || execs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$out" | tail -1)
	[ -n "$execs" ] || execs=0
	cov=$(grep -o 'cov: [0-9]*' "$out" | tail -1 | cut -d' ' -f2)
	units=$(find "$work" -type f | wc -l)
	total=$((total + execs))
	if [ "$rc" -eq 0 ] && [ "$after" -eq "$before" ] && [ "$execs" -gt 0 ]; then
		ok "fuzz_$n: $execs execs in ${secs}s, coverage ${cov:-?} edges, corpus $units"
	else
		nok "fuzz_$n: exit $rc after $execs execs (reproducer in $build/fuzz-artifacts/)"
		grep -E 'ERROR|SUMMARY|property violated|runtime error|Test unit written' "$out" |
			head -15 | diag
	fi
done
diag "total: $total execs"
tap_done
