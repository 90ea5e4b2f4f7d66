#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# kpld's only/never filters: with "never = user=nobody" an
# installed patch reaches root's processes, those running then and those
# started later, and never nobody's; the store counts only the processes
# in scope.  A filter line kpld cannot read stops it from starting.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/kpld.sh"
PATCH=$IT_DIR/spin1.kpl
ID=$("$KPL" info "$PATCH" | sed -n 's/^patch: *\([^ ]*\).*/\1/p')
mkdir -p "$T/store"

# A copy of kpl-spin that nobody may run.
C=$(mktemp -d /tmp/kpl-kflt.XXXXXX)
chmod 755 "$C"
cp "$IT_DIR/kpl-spin" "$IT_DIR/libspin.so.1" "$C/"
trap 'rm -rf "$C"; cleanup' EXIT INT TERM

# nobody_spin NAME: kpl-spin as nobody, its pid in $NP
nobody_spin() {
	setpriv --reuid=nobody --regid=nogroup --clear-groups \
		"$C/kpl-spin" >"$T/$1.out" 2>&1 &
	NP=$!
	PIDS="$PIDS $NP"
	wait_ready "$T/$1.out" "nobody's kpl-spin"
}

# A line kpld cannot read: it says so and does not start.
printf 'only = colour=red\n' >"$T/kpld.conf"
"$KPLD" --store "$T/store" --state "$T/state0" --socket "$T/bad.sock" \
	--keys "$TRUSTED" -c "$T/kpld.conf" >"$T/bad.log" 2>&1 &
BADPID=$!
PIDS="$PIDS $BADPID"
wait "$BADPID"
rc=$?
check "kpld refuses an unknown filter key (exit $rc)" [ "$rc" -ne 0 ]
check "and names the line" grep -q 'kpld.conf:1' "$T/bad.log"

printf 'never = user=nobody\nrescan_ms = 200\n' >"$T/kpld.conf"
start_spin root1 || exit 1
R1=$SPIN_PID
nobody_spin n1 || exit 1
N1=$NP
start_kpld
expect_rc 0 "auto install on" "$KPL" auto on
cp "$PATCH" "$T/store/"
wait_store '"state":"installed"'
check "installed" grep -q '"state":"installed"' "$T/store.json"
k=0
until has_patch "$R1" "$ID" || [ $k -gt 50 ]; do k=$((k + 1)); sleep 0.1; done
check "root's process has the patch" has_patch "$R1" "$ID"
check "nobody's process does not" no_patch "$N1" "$ID"
check "the store counts only the processes in scope (active 1 of 1)" \
	sh -c "'$KPL' store | grep -q '\"active\":1,\"mapping\":1'"

# Processes started afterwards: the rescan follows the same filter.
start_spin root2 || exit 1
R2=$SPIN_PID
nobody_spin n2 || exit 1
N2=$NP
k=0
until has_patch "$R2" "$ID" || [ $k -gt 100 ]; do k=$((k + 1)); sleep 0.1; done
check "a root process started later is patched" has_patch "$R2" "$ID"
sleep 1
check "a nobody process started later is not" no_patch "$N2" "$ID"
for p in $R1 $R2 $N1 $N2; do
	check "pid $p still runs" alive "$p"
done
stop_kpld
