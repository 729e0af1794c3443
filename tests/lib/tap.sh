# TAP output for the shell tests (sourced; POSIX sh). The CI summary counts
# the "ok" and "not ok" lines, so every case prints exactly one of them.
#
#   plan N                 the plan line "1..N"
#   ok DESC                a passing case
#   ok DESC CMD...         passes when CMD exits 0 (same as check)
#   nok DESC               a failing case
#   check DESC CMD...      passes when CMD exits 0
#   t DESC GOT WANT        passes when the two strings are equal; shows both if not
#   eq GOT WANT            string equality for check/ok that says what it saw
#   diag [TEXT]            "# " comment lines: TEXT, or standard input without it
#   show FILE...           the files as comment lines
#   quiet CMD...           CMD's output only as comments, and only when it fails
#   bail TEXT              "Bail out!" and exit 1
#   tap_abort DESC         a one-case plan that failed, for a script that cannot start
#   tap_fill DESC          the rest of the plan as failing cases, then exit 1
#   tap_tmpdir NAME        $tmp: a fresh 0755 directory, removed at exit unless KEEP is set
#                          (after stopping any sosafed started for a state dir in it)
#   sosafed_stop DIR       stop every sosafed whose lock file is below DIR
#   expect_exit CODE DESC -- CMD...
#                          passes when CMD exits with CODE; output in $tmp/out, $tmp/err
#   has FILE PATTERN DESC  passes when grep finds PATTERN in $tmp/FILE
#   hasnt FILE PATTERN DESC  passes when it does not
#   tap_done               exit 0 if every case passed, 1 otherwise
#
# CMD is one simple command: in `check DESC [ a ] && [ b ]` only [ a ] is
# checked. A compound condition goes into a function or `eval '...'`.
# TAP_ON_FAIL, if set, is evaluated after every failing check (e.g. to show
# the output of the command the check looked at).

tap_n=0
tap_failed=0
tap_planned=0

plan() {
	tap_planned=$1
	echo "1..$1"
}

ok() {
	if [ $# -gt 1 ]; then
		check "$@"
		return
	fi
	tap_n=$((tap_n + 1))
	echo "ok $tap_n - $1"
}

nok() {
	tap_n=$((tap_n + 1))
	tap_failed=1
	echo "not ok $tap_n - $1"
}

check() {
	tap_cdesc=$1
	shift
	if "$@"; then
		ok "$tap_cdesc"
	else
		nok "$tap_cdesc"
		if [ -n "${TAP_ON_FAIL:-}" ]; then
			eval "$TAP_ON_FAIL"
		fi
	fi
}

t() {
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		nok "$1"
		echo "# got '$2', want '$3'"
	fi
}

eq() {
	[ "$1" = "$2" ] && return 0
	diag "expected '$2', got '$1'"
	return 1
}

diag() {
	if [ $# -gt 0 ]; then
		printf '%s\n' "$*" | sed 's/^/# /'
	else
		sed 's/^/# /'
	fi
}

show() {
	sed 's/^/# /' "$@" 2>/dev/null
	return 0
}

quiet() {
	tap_q=$(mktemp "${TMPDIR:-/tmp}/sosafe-quiet.XXXXXX") || return 1
	if "$@" >"$tap_q" 2>&1; then
		rm -f "$tap_q"
		return 0
	fi
	sed 's/^/#   /' "$tap_q"
	rm -f "$tap_q"
	return 1
}

bail() {
	echo "Bail out! $*"
	exit 1
}

tap_abort() {
	echo "1..1"
	echo "not ok 1 - $1"
	exit 1
}

tap_fill() {
	while [ "$tap_n" -lt "$tap_planned" ]; do
		nok "$1"
	done
	exit 1
}

tap_tmpdir() {
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/sosafe-$1.XXXXXX") || bail "mktemp"
	chmod 755 "$tmp"
	trap 'sosafed_stop "$tmp"; [ -n "${KEEP:-}" ] || rm -rf "$tmp"' EXIT
}

# the pid is in the lock (or, when the daemon could not write it, the
# process holding the lock open); it is gone when its flock() is free
sosafed_stop() {
	find "$1" -name sosafed.lock -type f 2>/dev/null | while read -r tap_lock; do
		flock -n "$tap_lock" true && continue
		tap_pid=$(head -c 32 "$tap_lock" 2>/dev/null | tr -dc 0-9)
		if [ -z "$tap_pid" ]; then
			for tap_fd in /proc/[0-9]*/fd/*; do
				[ "$(readlink "$tap_fd" 2>/dev/null)" = "$tap_lock" ] || continue
				tap_pid=${tap_fd#/proc/}
				tap_pid=${tap_pid%%/*}
				break
			done
		fi
		[ -n "$tap_pid" ] && [ "$tap_pid" -gt 1 ] || continue
		kill -TERM "$tap_pid" 2>/dev/null
		flock -w 5 "$tap_lock" true || kill -KILL "$tap_pid" 2>/dev/null
	done
	return 0
}
expect_exit() {
	tap_code=$1 tap_edesc=$2
	shift 3
	"$@" >"$tmp/out" 2>"$tmp/err"
	tap_rc=$?
	if [ "$tap_rc" -eq "$tap_code" ]; then
		ok "$tap_edesc"
	else
		nok "$tap_edesc (exit $tap_rc, want $tap_code)"
		show "$tmp/err" "$tmp/out"
	fi
}

has() {
	if grep -q -- "$2" "$tmp/$1"; then
		ok "$3"
	else
		nok "$3"
		show "$tmp/$1"
	fi
}

hasnt() {
	if grep -q -- "$2" "$tmp/$1"; then
		nok "$3"
		show "$tmp/$1"
	else
		ok "$3"
	fi
}

tap_done() {
	exit "$tap_failed"
}
