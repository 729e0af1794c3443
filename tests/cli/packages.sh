#!/bin/sh
# The quick start installs only what building and running need: no server
# that a systemd host would enable and start. The test command installs the
# test servers with their services held back. contrib/deps.sh runs against a
# fake apt-get, so nothing is installed. TAP output.
set -u
src="${abs_top_srcdir:-.}"
deps="$src/contrib/deps.sh"
. "$src/tests/lib/tap.sh"
tap_tmpdir packages
plan 10

servers='^(openssh-server|slapd|samba|samba-ad-dc|samba-ad-provision|winbind|freeradius|openvpn|postgresql(-[0-9]+)?|.*-server|.*-daemon)$'
expect_exit 0 "deps.sh --dry-run build" -- "$deps" --dry-run build
cp "$tmp/out" "$tmp/build.list"
has build.list '^libpam0g-dev$' "the build set has the PAM headers"
has build.list '^pamtester$' "the build set has what the demo runs"
check "the build set holds no server package" eval '! grep -E "$servers" "$tmp/build.list" | tee "$tmp/found" | grep -q .'
[ -s "$tmp/found" ] && show "$tmp/found"
# a build package installed here must ship no service either
shipped_services() {
	for p in $(cat "$tmp/build.list"); do
		dpkg -L "$p" 2>/dev/null | grep -E '^(/usr)?/lib/systemd/system/[^/]*\.(service|socket)$|^/etc/init\.d/' |
			sed "s|^|$p: |"
	done
}
check "no installed build package ships a service or socket unit" eval '[ -z "$(shipped_services | tee "$tmp/units")" ]'
[ -s "$tmp/units" ] && show "$tmp/units"
expect_exit 0 "deps.sh --dry-run test" -- "$deps" --dry-run test
check "the test set has the servers of the end-to-end suites" eval \
	'grep -qx openssh-server "$tmp/out" && grep -qx slapd "$tmp/out" && grep -qx samba-ad-dc "$tmp/out" &&
	grep -qx postgresql-15 "$tmp/out"'

# A fake apt-get records, for each install, what the service policy answers.
mkdir "$tmp/bin"
cat >"$tmp/bin/dpkg-query" <<'EOF'
#!/bin/sh
exit 1
EOF
cat >"$tmp/bin/apt-get" <<'EOF'
#!/bin/sh
for a in "$@"; do
	[ "$a" = install ] || continue
	if [ -x "$SOSAFE_POLICY_RC_D" ]; then
		"$SOSAFE_POLICY_RC_D" slapd start
		echo "install policy=$?" >>"$LOG"
	else
		echo "install policy=none" >>"$LOG"
	fi
done
EOF
chmod 755 "$tmp/bin/dpkg-query" "$tmp/bin/apt-get"
printf '#!/bin/sh\nexit 0\n' >"$tmp/policy-rc.d"
chmod 755 "$tmp/policy-rc.d"
run_fake() {
	: >"$tmp/log"
	PATH="$tmp/bin:$PATH" LOG="$tmp/log" SOSAFE_POLICY_RC_D="$tmp/policy-rc.d" "$deps" "$1" >/dev/null 2>&1
}
run_fake test
t "test packages install while policy-rc.d refuses every start (101)" "$(cat "$tmp/log")" "install policy=101"
check "the admin's own policy-rc.d is back afterwards" eval \
	'grep -qx "exit 0" "$tmp/policy-rc.d" && [ ! -e "$tmp/policy-rc.d.sosafe-saved" ]'
run_fake build
t "build packages install without a service policy of ours" "$(cat "$tmp/log")" "install policy=0"
tap_done
