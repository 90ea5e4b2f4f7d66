#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# kpld in a pid namespace of its own, as in a container or one of several
# "hosts" on a machine (tests/ansible): it numbers processes as its
# namespace does, but its BPF programs reported the initial namespace's
# pids.  So
#   - the crash watchdog could not find the process that crashed (its
#     /proc has no such pid) and never quarantined the broken patch;
#   - the hold stopped every process that loaded the library, those of
#     other namespaces too, then sent SIGCONT to a pid of its own
#     namespace: a process outside stayed stopped for good.
# kpld must patch and watch its own namespace's processes and leave the
# rest of the machine alone.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/kpld.sh"
ID=SPIN-CRASH

mkdir -p "$T/store"
printf 'rescan_ms = 60000\n' >"$T/kpld.conf"
rm -f "$KPLD_SOCKET"
# The namespace: its own /proc, kpld and one kpl-spin A in it.
unshare --fork --pid --mount --mount-proc --propagation private \
	--kill-child sh -c '
	"$1/kpl-spin" --idle --threads 2 >"$2/a.out" 2>&1 &
	"$3" --store "$2/store" --state "$2/state" --socket "$4" \
		--keys "$5" -c "$2/kpld.conf" >>"$2/kpld.log" 2>&1 &
	wait' sh "$IT_DIR" "$T" "$KPLD" "$KPLD_SOCKET" "$TRUSTED" &
NS=$!
PIDS="$PIDS $NS"
wait_ready "$T/a.out" "kpl-spin in the namespace" || exit 1
wait_store '"protections"' || { echo "# kpld did not start"; exit 1; }
# A's pid as this (the initial) namespace numbers it: a child of the
# namespace's first process, which is unshare's child.
init=$(tr -d " " <"/proc/$NS/task/$NS/children")
A=$(pgrep -P "$init" -x kpl-spin)
check "kpl-spin runs in kpld's namespace" [ -n "$A" ]
[ -n "$A" ] || exit 1
check "kpld runs the hold and the watchdog there" grep -q \
	'"protections":{"hold":"bpf","hold_reason":"","watchdog":"on"' \
	"$T/store.json"

# B maps the same library file outside kpld's namespace.
start_spin b --idle --threads 2 || exit 1
B=$SPIN_PID
cp "$IT_DIR/spin_crash.kpl" "$T/store/"
wait_store "\"id\":\"$ID\"" >/dev/null
expect_rc 0 "kpl install $ID" "$KPL" install "$ID"
check "the process in kpld's namespace is patched" has_patch "$A" "$ID"
check "one outside it is not kpld's to patch" no_patch "$B" "$ID"

# C starts outside after the install: kpld's hold is on the library's
# DT_INIT, and must let a process it cannot see run.
"$IT_DIR/kpl-spin" --idle --threads 2 >"$T/c.out" 2>&1 &
C=$!
PIDS="$PIDS $C"
check "a process started outside later is not held (it runs)" \
	wait_ready "$T/c.out" "kpl-spin outside kpld's namespace"
check "nor patched" no_patch "$C" "$ID"

# The broken patch crashes A as soon as A calls spin_other.
kill -USR1 "$A"
check "the watchdog quarantines $ID after A's crash" \
	wait_store "\"id\":\"$ID\",\"version\":1,\"state\":\"quarantined\"" 400
check "naming A by its pid in kpld's namespace" \
	grep -q "crash: pid [0-9]* (kpl-spin) .*signal 4 .*memfd:kpl:$ID" \
	"$T/kpld.log"
check "B, outside, was left running and unpatched" \
	sh -c "kill -0 $B && ! grep -q kpl: /proc/$B/maps"
# unshare ignores SIGTERM; killed, it takes the namespace with it.
kill -KILL "$NS"
wait "$NS" 2>/dev/null || true
