#!/bin/sh
# Every global option sosafectl accepts is in sosafectl(8), and --version
# prints the version of the package. TAP output.
set -u
ctl="${abs_top_builddir:-.}/sosafectl/sosafectl"
src="${abs_top_srcdir:-.}"
. "$src/tests/lib/tap.sh"
tap_tmpdir options-doc
plan 4
# the options main() compares its arguments with, before the command
sed -n '/^int main/,/^}/p' "$src/sosafectl/main.c" | grep -o 'strcmp(argv\[i\], "--[a-z-]*")' |
	sed 's/.*"\(--[a-z-]*\)")/\1/' | sort -u >"$tmp/opts"
check "main() has global options" [ -s "$tmp/opts" ]
man_text=$(sed 's/\\-/-/g; s/\\f[BIRP]//g' "$src/man/sosafectl.8")
: >"$tmp/undocumented"
while read -r o; do
	[ "$o" = --help ] && continue   # every command's own --help is documented with it
	printf '%s\n' "$man_text" | grep -q -- "$o" || echo "$o" >>"$tmp/undocumented"
done <"$tmp/opts"
check "sosafectl(8) documents each of them" eval '[ ! -s "$tmp/undocumented" ]'
[ -s "$tmp/undocumented" ] && show "$tmp/undocumented"
expect_exit 0 "--version prints sosafectl and a version" -- "$ctl" --version
has out "^sosafectl [0-9][0-9.]*$" "... as \"sosafectl VERSION\""
tap_done
