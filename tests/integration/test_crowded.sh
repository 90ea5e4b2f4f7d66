#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# A crowded process (docs/engine.md, "Stops"): its threads all run, none
# asleep where the kernel restarts it, at least three for each CPU it
# may use.  A thread borrowed for the map's injected syscalls would wait
# behind the others for a CPU at each of its ten and more syscall stops
# (8-13 ms here, where each spinner sees 4 ms gaps anyway), so the
# ptrace backend stops all the threads for the map, and for the revert's
# unmap, and borrows the first: well under a millisecond.  Then: kpl is
# killed before each of its fault points in turn (the ASan build), and
# the target must live on, patched or not, with nothing left behind.
. "$(dirname "$0")/lib.sh"

if ! command -v taskset >/dev/null; then
	notok "taskset is installed (util-linux)"
	exit 1
fi

# start_crowd NAME: kpl-spin with three spinners and its main thread in
# sigwait (which ends in EINTR: no sleeper), all of them on CPU 0: CP.
start_crowd() {
	start_spin "$1" --threads 1 --spinners 3 || return 1
	CP=$SPIN_PID
	taskset -a -p 1 "$CP" >/dev/null
}

# stops FILE: the stops of a --json result, one "threads all" per line
stops() {
	sed -n 's/.*"stops":\[\(.*\)\].*/\1/p' "$1" |
		sed 's/},{/}\n{/g' |
		sed -n 's/.*"threads":\([0-9]*\),"all":\([a-z]*\).*/\1 \2/p'
}

# all_four FILE: at least two stops, each of all 4 threads
all_four() {
	[ "$(stops "$1" | wc -l)" -ge 2 ] &&
		[ -z "$(stops "$1" | grep -vx '4 true')" ]
}

start_crowd crowd || exit 1
echo "# kpl-spin $CP: $(ls "/proc/$CP/task" | wc -l) threads on CPU 0, in:" \
	$(cat /proc/"$CP"/task/*/syscall | cut -d' ' -f1)
"$KPL" apply --json --keys "$TRUSTED" -p "$CP" "$IT_DIR/spin1.kpl" \
	>"$T/a.json" 2>"$T/a.err"
check "apply SPIN-1 to the crowded kpl-spin" grep -q '"ok":true' "$T/a.json"
echo "# apply stops: $(stops "$T/a.json" | tr '\n' ';')"
# A spinner found inside spin_f0 makes the all-thread stop retry: at
# least two stops, every one of all 4 threads.
check "every stop of all 4 threads: the map's borrows no lone thread" \
	all_four "$T/a.json"
r=$(report crowd "$CP")
check "patched: spin_f0 is SPIN-1's (f0=1000)" [ "$(field "$r" f0)" = 1000 ]
"$KPL" revert --json -p "$CP" SPIN-1 >"$T/r.json" 2>"$T/r.err"
check "revert SPIN-1" grep -q '"ok":true' "$T/r.json"
echo "# revert stops: $(stops "$T/r.json" | tr '\n' ';')"
check "every stop of all 4 threads: the unmap's borrows no lone thread" \
	all_four "$T/r.json"
r=$(report crowd "$CP")
check "reverted: spin_f0 is the library's again (f0=0)" \
	[ "$(field "$r" f0)" = 0 ]
check "no patch mapping left" \
	sh -c "! grep -q '/memfd:kpl:' /proc/$CP/maps"

# Two spinners on two CPUs are not crowded: a lone thread is borrowed.
start_spin pair --threads 1 --spinners 2 || exit 1
PP=$SPIN_PID
taskset -a -p 3 "$PP" >/dev/null
"$KPL" apply --json --keys "$TRUSTED" -p "$PP" "$IT_DIR/spin1.kpl" \
	>"$T/p.json" 2>&1
check "apply SPIN-1 to two spinners on two CPUs" grep -q '"ok":true' "$T/p.json"
check "its map borrowed one thread: not crowded" \
	[ "$(stops "$T/p.json" | head -1)" = "1 false" ]
expect_rc 0 "revert SPIN-1" "$KPL" revert -p "$PP" SPIN-1
kill "$PP"

if ! KPL_FAULT_COUNT=1 "$KPL" --help 2>&1 | grep -q 'kpl-fault'; then
	echo "# not the ASan build: no kills"
	exit 0
fi

# One crowded kpl-spin per round (kill_loop in lib.sh).
kl_start() { start_crowd kill && KL_PID=$CP && KL_OUT=$T/kill.out; }
kl_apply() { kpl_at "${1:-}" apply --keys "$TRUSTED" -p "$CP" "$IT_DIR/spin1.kpl"; }
kl_revert() { kpl_at "${1:-}" revert -p "$CP" SPIN-1; }
kl_applied() {
	_f0=$(field "$(report kill "$CP")" f0)
	[ "$_f0" = 1000 ] || { echo "# $1: not patched after the next apply (f0=$_f0)"; return 1; }
}
kl_reverted() {
	_f0=$(field "$(report kill "$CP")" f0)
	[ "$_f0" = 0 ] || { echo "# $1: not reverted (f0=$_f0)"; return 1; }
}
kl_done() { alive "$CP" && kill "$CP"; }
kl_after() {
	kl_fds "$1" "$CP"
	_bad=$?
	alive "$CP" || { echo "# $1: target died"; _bad=1; }
	kill "$CP" 2>/dev/null
	return $_bad
}

for op in apply revert; do
	kill_loop $op 300
	check "$op on a crowded target: killed at each of its $KL_KILLED fault points in turn, target alive and working ($KL_FAILS failures)" \
		[ "$KL_KILLED" -gt 5 -a "$KL_FAILS" -eq 0 ]
	echo "# $op: $KL_KILLED kills, $KL_FAILS failures, $KL_WINDOWS in the kernel's windows"
done
