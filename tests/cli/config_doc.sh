#!/bin/sh
# The configuration keys are declared once (lib/base/conf_keys.c); this test
# fails when what users read disagrees with it: sosafe.conf(5) must document
# every key of `sosafectl config`, no other, each with the default
# `sosafectl config` prints and in the section the table puts it in, and
# contrib/sosafe.conf must be the table's current template; the short key
# table of README.md may only name keys with their defaults. TAP output.
set -u
ctl="${abs_top_builddir:-.}/sosafectl/sosafectl"
src="${abs_top_srcdir:-.}"
man="$src/man/sosafe.conf.5"
example="$src/contrib/sosafe.conf"
tmp=$(mktemp -d /tmp/sosafe-confdoc.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
n=0
t() { # NAME GOT WANT
	n=$((n + 1))
	if [ "$2" = "$3" ]; then echo "ok $n - $1"; else echo "not ok $n - $1"; echo "# got '$2', want '$3'"; fi
}
# same NAME GOT WANT: equal files, else the diff as TAP comments
same() {
	n=$((n + 1))
	if cmp -s "$2" "$3"; then
		echo "ok $n - $1"
	else
		echo "not ok $n - $1"
		diff -u "$3" "$2" | sed 's/^/# /'
	fi
}
echo "1..7"
: >"$tmp/empty.conf"
chmod 644 "$tmp/empty.conf"

# the defaults as `sosafectl config` prints them: "key<TAB>value" (trailing
# blanks dropped, as the parser drops them)
"$ctl" --conf "$tmp/empty.conf" config | sed -n 's/^\([a-z_0-9]*\) = \(.*\)$/\1\t\2/p' |
	sed 's/ *$//' | sort >"$tmp/dump"
state_dir=$(sed -n 's/^state_dir\t//p' "$tmp/dump")

# the table, through its template (the installed state_dir may differ from
# the packaged /var/lib/sosafe)
"$ctl" --conf "$tmp/empty.conf" config --template >"$tmp/template.raw"
sed "s|^#state_dir = $state_dir\$|#state_dir = /var/lib/sosafe|" "$tmp/template.raw" >"$tmp/template"
sed -n 's/^#\([a-z_0-9]*\) =[ ]\{0,1\}\(.*\)$/\1\t\2/p' "$tmp/template.raw" | sort >"$tmp/table"
# "key<TAB>Section title" from the template's "## Title" lines
awk '/^## / { sub(/^## /, ""); sec = toupper($0) " KEYS"; next }
     /^#[a-z_0-9]+ =/ { k = substr($1, 2); print k "\t" sec }' "$tmp/template.raw" |
	sort >"$tmp/table_sections"

# sosafe.conf(5): ".TP" or ".TQ", then `.BR key " (default[ = why][; range])"`
awk '/^\.SH / { sub(/^\.SH /, ""); sec = $0; next }
     /^\.T[PQ]$/ { entry = 1; next }
     entry && /^\.BR? [a-z_0-9]+/ {
	key = $2
	def = "(no default)"
	if (match($0, /" \(.*\)"$/)) {
		def = substr($0, RSTART + 3, RLENGTH - 5)
		sub(/; .*/, "", def)
		sub(/ = .*/, "", def)
		gsub(/\\\(dq/, "\"", def)
		if (def == "none")
			def = ""
	}
	print key "\t" def > "'"$tmp/man"'"
	print key "\t" sec > "'"$tmp/man_sections"'"
     }
     { entry = 0 }' "$man"
sort -o "$tmp/man" "$tmp/man"
sort -o "$tmp/man_sections" "$tmp/man_sections"
# a value with a leading or trailing blank is quoted in the man page
"$ctl" --conf "$tmp/empty.conf" config | sed -n 's/^\([a-z_0-9]*\) = \(.*\)$/\1\t\2/p' |
	sed "s|^state_dir\t$state_dir\$|state_dir\t/var/lib/sosafe|" |
	awk -F '\t' '{ v = $2; if (v ~ /^ | $/) v = "\"" v "\""; print $1 "\t" v }' |
	sort >"$tmp/dump_man"

t "the table has keys" "$(test -s "$tmp/table" && echo yes)" "yes"
cut -f1 "$tmp/dump" >"$tmp/dump_keys"
cut -f1 "$tmp/man" >"$tmp/man_keys"
same "sosafe.conf(5) documents exactly the keys of sosafectl config" "$tmp/man_keys" "$tmp/dump_keys"
same "sosafe.conf(5) gives each key the default sosafectl config prints" "$tmp/man" "$tmp/dump_man"
same "sosafe.conf(5) documents each key in the section of the table" "$tmp/man_sections" \
	"$tmp/table_sections"
same "the template holds every key with the default sosafectl config prints" "$tmp/table" \
	"$tmp/dump"
same "contrib/sosafe.conf is current (regenerate: sosafectl config --template)" "$tmp/template" \
	"$example"

# README.md: "| key[ / key...] | default[ / default...] | meaning |"; a default
# may carry a unit ("900 s", "1 d"), "—" is empty, another key's name
# means "follows that key". Loaded as a file it must change nothing.
readme="$src/README.md"
sed -n '/^| key | default | meaning |$/,/^$/p' "$readme" | sed '1,2d;/^$/d' |
	awk -F ' [|] ' '{
		sub(/^[|] /, "", $1)
		nk = split($1, k, " / ")
		nd = split($2, d, " / ")
		for (i = 1; i <= nk; i++) {
			v = nd == nk ? d[i] : d[1]
			if (v == "—")
				v = ""
			if (v ~ /^[0-9]+ [smhd]$/)
				sub(/ /, "", v)
			if (v ~ /^[a-z_]+_[a-z_]+$/)
				continue
			print k[i] " = " v
		}
	}' >"$tmp/readme.conf"
chmod 644 "$tmp/readme.conf"
{ "$ctl" --conf "$tmp/readme.conf" config 2>&1 || echo "exit $?"; } |
	sed '/^# from /d;s/^state_dir = .*/state_dir = (built)/' >"$tmp/readme.dump"
"$ctl" --conf "$tmp/empty.conf" config | sed '/^# from /d;s/^state_dir = .*/state_dir = (built)/' \
	>"$tmp/empty.dump"
if [ -s "$tmp/readme.conf" ]; then
	same "README.md's key table names keys with their defaults" "$tmp/readme.dump" "$tmp/empty.dump"
else
	t "README.md's key table names keys with their defaults" "(no table found)" "a table"
fi
