#!/bin/sh
# NSS benchmark: sosafe vs glibc files, libnss-extrausers, libnss-cache and
# libnss-db on the same generated users, in one run. Root (unshare -m: the
# generated files are bind-mounted over the paths each module reads, in a
# private mount namespace only). Not a test: prints a markdown table.
#   bench/nss/run.sh BUILDDIR [SIZES]     e.g. run.sh /tmp/build 1000 100000 1000000
# Needs: libnss-extrausers libnss-cache libnss-db (makedb), a built tree.
set -eu
B=$(cd "$1" && pwd); shift
SIZES=${*:-1000 100000 1000000}
S=$(cd "$(dirname "$0")" && pwd)
W=$(mktemp -d /tmp/sosafe-bench.XXXXXX)
trap 'rm -rf "$W"' EXIT
SRC=$(sed -n 's/^abs_top_srcdir = //p' "$B/Makefile")
cc -O2 -I"$B" -I"$SRC/lib" -o "$W/gen" "$S/gen.c" "$B/lib/.libs/libsosafe_admin.a" "$B/lib/.libs/libsosafe_core.a" -lcdb_pic -lsqlite3
cc -O2 -o "$W/nss_bench" "$S/nss_bench.c" -ldl
SOSAFE_SO=$B/nss_sosafe/.libs/libnss_sosafe.so.2
EXTRA_SO=$(ls /usr/lib/libnss_extrausers.so.2 /usr/lib/x86_64-linux-gnu/libnss_extrausers.so.2 2>/dev/null | head -1)
SNAPDIR=$(sed -n 's/^#define SOSAFE_STATE_DIR "\(.*\)"/\1/p' "$B/config.h")
echo "| users | module | getpwnam_r median (p99) | getpwuid_r median (p99) | getgrgid_r median (p99) | initgroups median (p99) | cold first getpwnam_r (median of 5) |"
echo "|---:|---|---:|---:|---:|---:|---:|"
for N in $SIZES; do
	D=$W/$N
	mkdir -p "$D/extrausers" "$D/misc" "$D/cache"
	"$W/gen" "$N" "$D"
	cp "$D/passwd" "$D/group" "$D/extrausers/"
	for f in passwd group; do
		cp "$D/$f" "$D/cache/$f"
		cp "$D/$f.ixname" "$D/cache/$f.ixname"
	done
	cp "$D/passwd.ixuid" "$D/cache/passwd.ixuid"
	cp "$D/group.ixgid" "$D/cache/group.ixgid"
	touch "$D"/cache/*.ix*
	makedb -o "$D/misc/passwd.db" "$D/passwd.db.in"
	makedb -o "$D/misc/group.db" "$D/group.db.in"
	cat > "$W/inside.sh" <<EOS
set -e
mount --bind "$D/passwd" /etc/passwd
mount --bind "$D/group" /etc/group
mount -t tmpfs tmpfs /var/lib
mkdir -p /var/lib/extrausers /var/lib/misc "$SNAPDIR"
mount --bind "$D/extrausers" /var/lib/extrausers
mount --bind "$D/misc" /var/lib/misc
mount --bind "$D/sosafe" "$SNAPDIR"
export BENCH_CACHE_DIR="$D/cache"
for m in sosafe:$SOSAFE_SO files:libnss_files.so.2 extrausers:$EXTRA_SO cache:libnss_cache.so.2 db:libnss_db.so.2; do
	name=\${m%%:*}; so=\${m#*:}
	"$W/nss_bench" hot "\$name" "\$so" $N > "$W/hot.txt"
	cold=\$(for i in 1 2 3 4 5; do "$W/nss_bench" cold "\$name" "\$so" u0000000; done | sort -n | sed -n 3p | cut -d' ' -f1)
	awk -v n=$N -v m="\$name" -v cold="\$cold" '
	function us(x) { return (x < 10000) ? sprintf("%.2f µs", x / 1000) : (x < 1e7 ? sprintf("%.1f µs", x / 1000) : sprintf("%.1f ms", x / 1e6)) }
	{ v[\$2] = us(\$3) " (" us(\$4) ")" (\$6 != "ok" ? " " \$6 : "") (\$7 == "fallback" ? " ¹" : "") }
	END { printf "| %s | %s | %s | %s | %s | %s | %s |\n", n, m, v["getpwnam_r"], v["getpwuid_r"], v["getgrgid_r"], v["initgroups"], us(cold) }' "$W/hot.txt"
done
EOS
	unshare -m sh "$W/inside.sh"
	rm -rf "$D"
done
echo
echo "¹ no native initgroups_dyn: measured as glibc's fallback (getgrent over every group)."
