#!/bin/sh
# What one full login (auth + account, right code) costs the calling
# process: instructions counted by callgrind (exact and repeatable, unlike
# time), split by shared object, plus the module's size, relocations and
# libraries.
#   bench/login/run.sh BUILD_DIR [RUNS]
# Needs valgrind and oathtool. Prints a markdown table on stdout.
set -eu
B=$(cd "${1:?build dir}" && pwd)
RUNS=${2:-3}
MOD="$B/pam_sosafe/.libs/pam_sosafe.so"
CTL="$B/sosafectl/sosafectl"
DRV="$B/tests/torture/pam_drive"   # real libpam, private service directory
SECRET=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP
USER_NAME=${BENCH_USER:-nobody}   # a local account every Debian host has
for t in valgrind callgrind_annotate oathtool; do
	command -v "$t" >/dev/null || { echo "run.sh: $t is missing" >&2; exit 2; }
done
W=$(mktemp -d /var/tmp/sosafe-login-XXXXXX)
. "$(dirname "$0")/../../tests/lib/tap.sh"   # sosafed_stop
trap 'sosafed_stop "$W"; rm -rf "$W"' EXIT
trap 'exit 130' INT TERM

# A fresh store for every run: a code is accepted once, and every run
# should start from the same state.
prepare() {
	sosafed_stop "$W"
	rm -rf "$W/state" "$W/pam.d"
	mkdir -p "$W/pam.d"
	printf 'state_dir = %s\nsecret_key_file = %s\nsosafed_path = %s\n' "$W/state" "$W/sosafe.key" "$B/sosafed/sosafed" >"$W/sosafe.conf"
	chmod 600 "$W/sosafe.conf"
	"$CTL" --conf "$W/sosafe.conf" init >/dev/null
	printf '%s\n' "$SECRET" | "$CTL" --conf "$W/sosafe.conf" enroll "$USER_NAME" \
		--secret - --no-confirm >/dev/null
	cat >"$W/pam.d/login-bench" <<PAM
auth     requisite  $MOD preauth conf=$W/sosafe.conf
auth     required   pam_permit.so
auth     required   $MOD otp conf=$W/sosafe.conf
account  required   $MOD conf=$W/sosafe.conf
PAM
	# the daemon runs before the measured login (an account phase starts it):
	# what is measured is a login's cost, not the daemon's start
	printf 'auth required pam_permit.so\naccount required %s conf=%s\n' "$MOD" "$W/sosafe.conf" \
		>"$W/pam.d/warm-up"
	"$DRV" -d "$W/pam.d" -s warm-up -u "$USER_NAME" -a >/dev/null 2>&1 || true
}

# Instructions of one run, total and per shared object ("object Ir" lines).
measure() {
	out=$W/cg.out
	valgrind --tool=callgrind --callgrind-out-file="$out" "$DRV" -d "$W/pam.d" -s login-bench \
		-u "$USER_NAME" -p "$(oathtool --totp -b "$SECRET")" -a >"$W/drive.log" 2>"$W/vg.log" ||
		{ cat "$W/vg.log" >&2; echo "run.sh: the login failed" >&2; exit 1; }
	callgrind_annotate --inclusive=no --threshold=100 "$out" 2>/dev/null | awk '
		/PROGRAM TOTALS/ { gsub(",", "", $1); print "total", $1 }
		/\[.*\]$/ { n = $1; gsub(",", "", n); o = $NF; gsub(/[][]/, "", o);
			sub(/.*\//, "", o); sub(/\.so.*/, "", o); by[o] += n }
		END { for (o in by) print o, by[o] }'
}

for i in $(seq "$RUNS"); do
	prepare
	measure >"$W/run$i"
done
# Median of the runs per line (they differ only by a few instructions).
cat "$W"/run* | awk '{ v[$1] = v[$1] " " $2 }
	END { for (k in v) print k, v[k] }' | while read -r k vals; do
	m=$(echo "$vals" | tr ' ' '\n' | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
	echo "$k $m"
done | sort -k2 -n -r >"$W/median"

total=$(awk '$1 == "total" { print $2 }' "$W/median")
size=$(stat -c %s "$MOD")
relocs=$(readelf -rW "$MOD" | grep -c 'R_X86_64\|R_AARCH64' || true)
needed=$(readelf -dW "$MOD" | sed -n 's/.*NEEDED.*\[\(.*\)\]/\1/p' | tr '\n' ' ')
echo "| measure | value |"
echo "|---|---|"
echo "| instructions, one login (auth + account), whole process | $total |"
awk '$1 != "total" && $2 > 0 { printf "| ... in %s | %s |\n", $1, $2 }' "$W/median" | head -8
echo "| pam_sosafe.so size (bytes) | $size |"
echo "| pam_sosafe.so relocations | $relocs |"
echo "| pam_sosafe.so libraries | $needed|"
