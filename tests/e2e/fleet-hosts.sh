# A fleet of sosafe hosts sharing one PostgreSQL store, for the fleet
# suites (sourced after lib.sh and pg.sh, POSIX sh). Host N is its own
# sosafe.conf ($T/hN.conf) and state dir ($T/hN), hence its own sosafed,
# autostarted by the first login through its conf= line; every host names
# the same database. Usage:
#
#   fleet_syslog                  # before pg_env_init: LOG lines in $SYSLOG
#   pg_env_init; ... cluster up, pg_roles ...
#   fleet_hosts 4 "$T/admin.conninfo" "store_timeout_ms = 2000"
#   fleet_pam wrong "pam_exec.so quiet $T/bin/guess" "deny=6"
#   "$DRIVE" -d "$T/pam.d" -s wrong2 -u USER ...     # a login on host 2
#   hctl 3 status USER --json                        # sosafectl of host 3

# fleet_syslog: a private /dev (this mount namespace only) whose /dev/log is
# a listener appending every message to $SYSLOG, one line each, so that the
# suite reads what sosafed and sosafectl log. /dev/shm stays a directory for
# pg_env_init's tmpfs.
fleet_syslog() {
	mkdir -p "$T/dev.host" || e2e_bail "mkdir $T/dev.host"
	mount --bind /dev "$T/dev.host" && mount -t tmpfs -o mode=755,size=1m fleet-dev /dev ||
		e2e_bail "private /dev"
	for n in null zero full random urandom tty; do
		[ -e "$T/dev.host/$n" ] || continue
		: >"/dev/$n" && mount --bind "$T/dev.host/$n" "/dev/$n" || e2e_bail "/dev/$n"
	done
	ln -s /proc/self/fd /dev/fd
	ln -s /proc/self/fd/0 /dev/stdin
	ln -s /proc/self/fd/1 /dev/stdout
	ln -s /proc/self/fd/2 /dev/stderr
	mkdir -m 1777 /dev/shm
	SYSLOG="$T/syslog"
	python3 "$abs_top_srcdir/tests/torture/syslog_listen.py" /dev/log "$SYSLOG" &
	e2e_started $!
	wait_for 5 grep -q listening "$SYSLOG" || e2e_bail "private syslog listener"
}

# syslog_mark: the current end of $SYSLOG; syslog_since MARK: what came after
syslog_mark() {
	wc -l <"$SYSLOG"
}
syslog_since() {
	tail -n +"$(($1 + 1))" "$SYSLOG"
}

# hconf N: host N's configuration; hctl N ARGS...: its sosafectl
hconf() {
	echo "$T/h$1.conf"
}
hctl() {
	fleet_h=$1
	shift
	"$SOSAFECTL" --conf "$T/h$fleet_h.conf" "$@"
}
# hstatus N USER FIELD: one field of `sosafectl status USER --json` on host N
hstatus() {
	hctl "$1" status "$2" --json | jq -r ".$3"
}

# fleet_conf N CONNINFO [EXTRA]: host N's sosafe.conf (0644 root): state in
# $T/hN, the PostgreSQL store through CONNINFO, EXTRA lines last
fleet_conf() {
	cat >"$T/h$1.conf" <<-EOF
	# host $1 of the $E2E_NAME fleet
	state_dir = $T/h$1
	sosafed_path = $BUILT_SOSAFED
	deny = 6
	unlock_time = 600
	window = 10
	store = postgresql
	pg_conninfo_file = $2
	${3:-}
	EOF
	chmod 644 "$T/h$1.conf"
}

# fleet_hosts COUNT CONNINFO [EXTRA]: hosts 1..COUNT made and initialised
# (host 1 creates the schema); every host then holds host 1's audit key,
# so that all of them append to the one audit trail
fleet_hosts() {
	for fleet_i in $(seq "$1"); do
		fleet_conf "$fleet_i" "$2" "${3:-}"
		hctl "$fleet_i" init >"$T/init$fleet_i.out" 2>&1 ||
			{ show "$T/init$fleet_i.out"; return 1; }
	done
	for fleet_i in $(seq 2 "$1"); do
		install -m 600 -o root -g root "$T/h1/audit.key" "$T/h$fleet_i/audit.key" || return 1
	done
	FLEET_HOSTS=$1
}

# fleet_pam NAME MODULE [OPTIONS]: services NAME1..NAMEn in $T/pam.d, one
# per host: sosafe's preauth, MODULE as the password check, then sosafe's
# authsucc (or, with OPTIONS containing "otp", the code step) and account
# phase, each pam_sosafe line naming the host's configuration
fleet_pam() {
	mkdir -p "$T/pam.d"
	fleet_last=authsucc
	case " ${3:-} " in
	*" otp "*) fleet_last=otp ;;
	esac
	fleet_opts=$(echo " ${3:-} " | sed 's/ otp / /')
	for fleet_i in $(seq "$FLEET_HOSTS"); do
		fleet_c="conf=$T/h$fleet_i.conf$fleet_opts"
		cat >"$T/pam.d/$1$fleet_i" <<-EOF
		auth     requisite  pam_sosafe.so preauth $fleet_c
		auth     requisite  $2
		auth     required   pam_sosafe.so $fleet_last $fleet_c
		account  required   pam_sosafe.so $fleet_c
		EOF
	done
}

# hdaemon N: the PID of host N's sosafed (from its lock file), if any
hdaemon() {
	tr -dc 0-9 <"$T/h$1/sosafed.lock" 2>/dev/null
}
# fleet_stop_daemons: every host's sosafed, by the PID in its lock
fleet_stop_daemons() {
	for fleet_i in $(seq "${FLEET_HOSTS:-0}"); do
		e2e_stop_sosafed "$T/h$fleet_i"
	done
}
