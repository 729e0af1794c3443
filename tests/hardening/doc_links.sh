#!/bin/bash
# Every relative link in the Markdown files resolves, and every docs/*.md
# named in code, man pages or build files exists. TAP output.
set -u
top=${abs_top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$top" || exit 1

. "$top/tests/lib/tap.sh"
report() { # description, then the broken targets (none = ok)
	if [ $# -eq 1 ]; then
		ok "$1"
	else
		nok "$1"
		shift
		printf '#   missing: %s\n' "$@"
	fi
}

# the source tree's own files only (not .git, not a build directory inside it)
mapfile -t mds < <(find . \( -name .git -o -name autom4te.cache -o -name 'build*' -o -name _build \) -prune \
	-o -name '*.md' -type f -print | sed 's|^\./||' | LC_ALL=C sort)
mapfile -t sources < <(find lib pam_sosafe nss_sosafe sosafectl tests man contrib bench \
	-type f \( -name '*.[ch]' -o -name '*.sh' -o -name '*.test' -o -name '*.inc' \
	-o -name '*.[58]' -o -name '*.conf' -o -name '*.py' \) 2>/dev/null | LC_ALL=C sort)

plan $((${#mds[@]} + 1))

for md in "${mds[@]}"; do
	dir=$(dirname "$md")
	bad=()
	# [text](target) and [text](target#anchor); external links are not checked
	while IFS= read -r target; do
		case $target in
		http://* | https://* | mailto:* | '#'*) continue ;;
		esac
		path=${target%%#*}
		[ -e "$dir/$path" ] || bad+=("$target")
	done < <(grep -o '\](\([^)[:space:]]*\))' "$md" | sed 's/^](//; s/)$//')
	report "relative links in $md resolve" ${bad[@]+"${bad[@]}"}
done

bad=()
while IFS= read -r doc; do
	[ -e "$doc" ] || bad+=("$doc")
done < <(grep -ho 'docs/[A-Za-z0-9_.-]*\.md' "${sources[@]}" Makefile.am configure.ac /dev/null |
	LC_ALL=C sort -u)
report "docs/*.md named in code, man pages and build files exist" ${bad[@]+"${bad[@]}"}

tap_done
