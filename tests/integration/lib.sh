# SPDX-License-Identifier: GPL-2.0
# Helpers for integration tests: start targets, read their reports,
# assert.  Sourced by tests/integration/test_*.sh.
# Needs: KPL (the kpl binary), IT_DIR (fixtures), KPL_KEYS (the test keys,
# tests/build/keys.mk), run as root.  KPL_BACKEND=kmod|ptrace makes every
# apply, revert and check use that backend (tests/kmod/test_it.sh runs
# the suite so in the VM, where the module is loaded).

: "${KPL:?}" "${IT_DIR:?}" "${KPL_KEYS:?}"
# Every patch the build makes is signed with the test key; apply and
# check trust only its public half.
TRUSTED=$KPL_KEYS/trusted
T=$(mktemp -d /tmp/kpl-it.XXXXXX)
n=0
PIDS=""

if [ -n "${KPL_BACKEND:-}" ]; then
	_kpl_real=$(readlink -f "$KPL")
	KPL=$T/kpl
	cat >"$KPL" <<EOF
#!/bin/sh
case "\$1" in
apply | revert | check)
	c=\$1
	shift
	exec "$_kpl_real" "\$c" --backend "$KPL_BACKEND" "\$@" ;;
esac
exec "$_kpl_real" "\$@"
EOF
	chmod 755 "$KPL"
fi

cleanup() {
	for p in $PIDS; do kill -TERM "$p" 2>/dev/null; done
	for p in $PIDS; do kill -KILL "$p" 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT INT TERM

ok() { n=$((n + 1)); echo "ok $n - $*"; }
notok() { n=$((n + 1)); echo "not ok $n - $*"; }
check() { # check DESCRIPTION COMMAND...
	d=$1
	shift
	# The VM's guest has no python3: say so rather than fail.
	if [ "$1" = python3 ] && ! command -v python3 >/dev/null; then
		ok "$d # SKIP no python3"
		return
	fi
	if "$@"; then ok "$d"; else notok "$d"; fi
}

# start_in_patch [APPLY-ARG...]: a kpl-spin whose main thread waits in
# read() (of the fifo $T/in, which fd 3 holds open; it prints to
# $T/g.out) called from SPIN-UNW's helper, called from its new scale(),
# SPIN-UNW applied with the APPLY-ARGs (--perf-map, say): P is its pid.
# end_in_patch lets it go.
start_in_patch() {
	mkfifo "$T/in"
	# Opened read-write, so neither end blocks and no EOF comes early.
	exec 3<>"$T/in"
	"$IT_DIR/kpl-spin" --threads 2 --idle <"$T/in" >"$T/g.out" 2>&1 &
	P=$!
	PIDS="$PIDS $P"
	wait_ready "$T/g.out" kpl-spin || return 1
	expect_rc 0 "apply${1:+ $*} SPIN-UNW" \
		"$KPL" apply "$@" --keys "$TRUSTED" -p "$P" "$IT_DIR/spin_unw.kpl"
	kill -USR1 "$P"
	wait_reader "$P"
	check "the main thread waits in read() inside patch code" \
		[ "$(reader "$P")" = "$P" ]
}

# wait_line FILE REGEX TICKS: until a line of FILE matches REGEX, at
# most TICKS times 50 ms; false if none came
wait_line() {
	_w=0
	while ! grep -q "$2" "$1" 2>/dev/null; do
		_w=$((_w + 1))
		[ $_w -gt "$3" ] && return 1
		sleep 0.05
	done
}

# end_in_patch: let start_in_patch's read() return through the patch's
# frames, and wait (10 s at most) for the line kpl-spin then prints: R
end_in_patch() {
	printf x >&3
	wait_line "$T/g.out" '^gap_ns' 200
	R=$(grep '^gap_ns' "$T/g.out" | tail -1)
}

# wait_ready FILE WHAT: until the process writing FILE prints "ready"
# (5 s at most; then says WHAT did not start and fails)
wait_ready() {
	wait_line "$1" '^ready' 100 || { echo "# $2 did not start"; return 1; }
}

# start_spin NAME [args]: start kpl-spin, set $SPIN_PID, output in $T/NAME
start_spin() {
	name=$1
	shift
	"$IT_DIR/kpl-spin" "$@" >"$T/$name.out" 2>&1 &
	SPIN_PID=$!
	PIDS="$PIDS $SPIN_PID"
	wait_ready "$T/$name.out" kpl-spin
}

# report NAME PID [KEY]: ask a fixture (kpl-spin by default) for its
# report line, the one starting with KEY (gap_ns), with SIGUSR1; print it
report() {
	_k=${3:-gap_ns}
	before=$(grep -c "^$_k" "$T/$1.out")
	kill -USR1 "$2" || return 1
	_w=0
	while [ "$(grep -c "^$_k" "$T/$1.out")" -le "$before" ]; do
		_w=$((_w + 1))
		[ $_w -gt 200 ] && { echo "# no report from $2"; return 1; }
		sleep 0.02
	done
	grep "^$_k" "$T/$1.out" | tail -1
}

# field LINE KEY: value of KEY=V in LINE
field() { printf '%s\n' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }

# maps PID: the process's mappings, addresses and names only
maps() { awk '{print $1, $2, $6}' "/proc/$1/maps"; }

# file_maps PID: only the mappings of files (and memfds): a server under
# load grows its own anonymous memory (malloc arenas), which patching
# neither causes nor should be blamed for
file_maps() { awk '$6 ~ /^\// {print $1, $2, $6}' "/proc/$1/maps"; }

alive() { kill -0 "$1" 2>/dev/null; }

# reader PID: the thread of PID blocked in read(0, ...), if any
reader() {
	for s in /proc/"$1"/task/*/syscall; do
		case "$(cat "$s" 2>/dev/null)" in
		"0 0x0 "*) basename "$(dirname "$s")"; return 0 ;;
		esac
	done
	return 1
}

# wait_reader PID: until a thread of PID blocks in read(0, ...) (10 s at
# most; then fails)
wait_reader() {
	_w=0
	while ! reader "$1" >/dev/null; do
		_w=$((_w + 1))
		[ $_w -gt 200 ] && return 1
		sleep 0.05
	done
}

# expect_rc WANT DESCRIPTION COMMAND...: command exits with WANT
expect_rc() {
	want=$1
	d=$2
	shift 2
	"$@" >"$T/cmd.out" 2>"$T/cmd.err"
	rc=$?
	if [ "$rc" -eq "$want" ]; then
		ok "$d (exit $rc)"
	else
		notok "$d: exit $rc, wanted $want"
		sed 's/^/#   /' "$T/cmd.out" "$T/cmd.err"
	fi
}

# start_victim NAME [SENDER]: start kpl-victim (fixtures/victim.c), set
# $VPID, output in $T/NAME.out
start_victim() {
	VICTIM_SENDER=${2:-} "$IT_DIR/kpl-victim" >"$T/$1.out" 2>&1 &
	VPID=$!
	PIDS="$PIDS $VPID"
	wait_ready "$T/$1.out" kpl-victim
}

# end_victim NAME PID: stop it with SIGTERM; true when it exits 0 with
# its registers intact and every SIGTRAP it raised seen by its handler.
# Its report line is left in $VICTIM_REPORT.
end_victim() {
	kill -TERM "$2" 2>/dev/null
	# A victim left with SIGTERM blocked would never end: 10 s, then
	# it is killed and the harm said.
	_w=0
	while kill -0 "$2" 2>/dev/null && [ $_w -lt 200 ]; do
		_w=$((_w + 1))
		sleep 0.05
	done
	if kill -0 "$2" 2>/dev/null; then
		echo "# $1: did not end on SIGTERM:" \
			"$(grep -E 'SigBlk|SigPnd|ShdPnd' "/proc/$2/status" | tr '\n\t' '  ')"
		kill -KILL "$2"
	fi
	wait "$2"
	_rc=$?
	VICTIM_REPORT=$(grep -E '^(usr1=|regs=)' "$T/$1.out" | tail -1)
	[ "$_rc" -eq 0 ] || { echo "# $1: exit $_rc: $VICTIM_REPORT"; return 1; }
	_r=$(echo "$VICTIM_REPORT" | sed -n 's/.*trap_raised=\([0-9]*\).*/\1/p')
	_s=$(echo "$VICTIM_REPORT" | sed -n 's/.*trap_seen=\([0-9]*\).*/\1/p')
	VICTIM_TRAPS_LOST=$(( ${_r:-0} - ${_s:-0} ))
	[ -n "$_r" ] && [ "$_r" = "$_s" ] || {
		echo "# $1: SIGTRAPs raised $_r, seen $_s"
		return 1
	}
}

# victim_field NAME: a field of $VICTIM_REPORT
victim_field() {
	echo "$VICTIM_REPORT" | sed -n "s/.*[ ^]$1=\([0-9]*\).*/\1/p; s/^$1=\([0-9]*\).*/\1/p" | head -1
}

# kill_loop OP MAX: kpl is SIGKILLed before each of its fault points of
# OP (apply or revert) in turn (KPL_FAULT_KILL_AT=N, the ASan build's
# ptrace requests and writes), at most MAX; after each kill the next
# apply and revert must finish the job and the target must be unharmed.
# The caller defines:
#   kl_start        start this round's target, set KL_PID (non-zero: stop)
#   kl_apply [N]    apply the patch to $KL_PID, killed at point N if given
#   kl_revert [N]   revert it the same way
#   kl_applied WHERE, kl_reverted WHERE
#                   after the next apply, after the revert: is the target
#                   working as it should? (non-zero: a failure, said)
#   kl_done         the command ran to its end: finish the round
#   kl_after WHERE  the round's last checks: 0 fine, 2 a known window of
#                   the kernel's (said), else a failure (said)
# Leaves KL_KILLED, KL_FAILS, KL_WINDOWS and KL_IN_CALL (kills while a
# call into the target was in flight) for the caller's check.  kl_start
# may set KL_OUT, the target's output file: a target that ends is then
# reported with its last lines.
kill_loop() {
	_op=$1
	_k=1
	KL_KILLED=0 KL_FAILS=0 KL_WINDOWS=0 KL_IN_CALL=0
	while [ $_k -le "$2" ]; do
		kl_start || break
		if [ "$_op" = revert ]; then
			kl_apply >/dev/null 2>&1 ||
				{ echo "# setup apply failed"; KL_FAILS=$((KL_FAILS + 1)); }
		fi
		"kl_$_op" $_k >"$T/kpl.log" 2>&1
		_rc=$?
		if [ $_rc -ne 137 ]; then
			# Ran to the end: every point was tried.
			[ $_rc -eq 0 ] || { echo "# $_op: exit $_rc"; cat "$T/kpl.log"; KL_FAILS=$((KL_FAILS + 1)); }
			kl_done || KL_FAILS=$((KL_FAILS + 1))
			break
		fi
		KL_KILLED=$((KL_KILLED + 1))
		_where=$(grep -o 'killed at point.*' "$T/kpl.log")
		echo "$_where" | grep -q 'call in flight' && KL_IN_CALL=$((KL_IN_CALL + 1))
		if ! alive "$KL_PID"; then
			echo "# $_op: target died after kpl was $_where"
			kl_ended
			KL_FAILS=$((KL_FAILS + 1))
			break
		fi
		# The next commands finish the job: apply (or find it
		# applied), then revert.
		kl_apply >"$T/next.log" 2>&1
		_rc=$?
		[ $_rc -eq 0 ] || [ $_rc -eq 6 ] ||
			{ echo "# $_op, $_where: next apply exit $_rc"; cat "$T/next.log"; KL_FAILS=$((KL_FAILS + 1)); }
		kl_applied "$_op, $_where" || KL_FAILS=$((KL_FAILS + 1))
		kl_revert >"$T/next.log" 2>&1 ||
			{ echo "# $_op, $_where: revert after it failed"; cat "$T/next.log"; KL_FAILS=$((KL_FAILS + 1)); }
		kl_reverted "$_op, $_where" || KL_FAILS=$((KL_FAILS + 1))
		alive "$KL_PID" || kl_ended
		_left=$(grep -c '/memfd:kpl:' "/proc/$KL_PID/maps")
		[ "$_left" -eq 0 ] ||
			{ echo "# $_op, $_where: $_left patch mappings left"; KL_FAILS=$((KL_FAILS + 1)); }
		kl_after "$_op, $_where"
		case $? in
		0) ;;
		2) KL_WINDOWS=$((KL_WINDOWS + 1)) ;;
		*) KL_FAILS=$((KL_FAILS + 1)) ;;
		esac
		_k=$((_k + 1))
	done
}

# kl_ended: how the round's target, gone, ended (its exit status when it
# is this shell's child) and its output's last lines ($KL_OUT).
kl_ended() {
	wait "$KL_PID" 2>/dev/null
	_st=$?
	if [ $_st -gt 128 ]; then
		echo "#   target $KL_PID was killed by signal $((_st - 128))"
	else
		echo "#   target $KL_PID exited with status $_st"
	fi
	[ -n "${KL_OUT:-}" ] && tail -5 "$KL_OUT" | sed 's/^/#   target: /'
	return 0
}

# kl_fds WHERE PID: after kpl was killed (WHERE, the point), the patch
# memfd descriptors PID holds: 0 none; 2 one, killed while memfd_create
# was in flight (the kernel's window, said); else 1 (said)
kl_fds() {
	_fds=$(ls -l "/proc/$2/fd" 2>/dev/null | grep -c 'memfd:kpl:')
	[ "$_fds" -eq 0 ] && return 0
	if [ "$_fds" -eq 1 ] && echo "$1" | grep -q 'memfd in flight'; then
		echo "# $1: 1 descriptor left (known window)"
		return 2
	fi
	echo "# $1: $_fds patch descriptors left"
	return 1
}

# kpl_at N ARGS...: run kpl with ARGS, killed at fault point N if N is
# not empty
kpl_at() {
	if [ -n "$1" ]; then
		_at=$1
		shift
		KPL_FAULT_KILL_AT=$_at "$KPL" "$@"
	else
		shift
		"$KPL" "$@"
	fi
}
