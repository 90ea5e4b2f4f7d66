#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Guards (processes not patched yet), the status files, and unloading,
# run as root inside the VM by tools/vm/vm-run.  TAP-like output, then
# "kmod-guard: N passed, M failed"; exit status 1 if anything failed.
#
# Needs: KPL_VM_MODULE (set by vm-run); kpl_kmod_guard, kpl and kpl-spin
# on PATH; /root/spin_guard.kpl, /root/spin10.kpl and their trusted key
# in /root/keys.

MOD=${KPL_VM_MODULE:?KPL_VM_MODULE is not set: run me through tools/vm/vm-run}
NAME=kpatch_lite
SYS=/sys/kernel/$NAME
KEYS=
[ -d /root/keys ] && KEYS="--keys /root/keys"
export KPL_GUARD_PATCH=/root/spin_guard.kpl
[ -d /root/keys ] && export KPL_KEYS_DIR=/root/keys
T=/tmp/kmod-guard
mkdir -p "$T"

. /root/tap.sh

check "insmod $(basename "$MOD")" insmod "$MOD"

status_files()
{
	for f in abi stats sessions guards processes; do
		[ "$(stat -c %a "$SYS/$f")" = 400 ] || {
			echo "$SYS/$f: mode $(stat -c %a "$SYS/$f")"
			return 1
		}
	done
	[ "$(cat $SYS/abi)" = 2.3 ] || return 1
	grep -q '^guards 0$' $SYS/stats
}
check "$SYS: abi, stats, sessions, guards, processes (root only)" \
	status_files

for t in refuse hold allow kill timeout delete; do
	check "kpl_kmod_guard $t" kpl_kmod_guard $t
done

# A guard pins the module: rmmod fails until it is deleted.
guard_pins()
{
	id=$(kpl_kmod_guard add hold) || return 1
	echo "guard $id; refcnt $(cat /sys/module/$NAME/refcnt)"
	if rmmod "$NAME" 2>"$T/rmmod.err"; then
		echo "rmmod succeeded with a guard in place"
		return 1
	fi
	cat "$T/rmmod.err"
	grep "^guard $id " $SYS/guards || return 1
	kpl_kmod_guard del "$id" || return 1
	! grep -q "^guard $id " $SYS/guards
}
check "rmmod refused while a guard exists; fine once deleted" guard_pins

# kpl-spin with one spinner: its main thread sleeps in sigwait, woken by
# the report's SIGUSR1, so no work item of a stop stays queued on it.
spin_start()
{
	kpl-spin --threads 1 >"$T/spin.out" 2>&1 &
	SPIN=$!
	i=0
	while ! grep -q '^ready' "$T/spin.out"; do
		i=$((i + 1))
		[ $i -gt 100 ] && return 1
		sleep 0.05
	done
}

report()
{
	before=$(grep -c '^gap_ns' "$T/spin.out")
	kill -USR1 "$SPIN"
	i=0
	while [ "$(grep -c '^gap_ns' "$T/spin.out")" -le "$before" ]; do
		i=$((i + 1))
		[ $i -gt 200 ] && return 1
		sleep 0.02
	done
	grep '^gap_ns' "$T/spin.out" | tail -n 1 | tr ' ' '\n' | sed -n 's/^f0=//p'
}

# Patches are plain bytes in their processes: unloading leaves them.
unload_patched()
{
	spin_start || return 1
	kpl apply --backend kmod $KEYS -p "$SPIN" /root/spin10.kpl ||
		return 1
	[ "$(report)" = 1000 ] || return 1
	grep "^$SPIN kpl-spin patch SPIN-10 applied" $SYS/processes ||
		return 1
	i=0
	while ! rmmod "$NAME" 2>/dev/null; do
		i=$((i + 1))
		[ $i -gt 40 ] && {
			echo "rmmod: refcnt $(cat /sys/module/$NAME/refcnt)"
			return 1
		}
		sleep 0.05
	done
	echo "unloaded with SPIN-10 applied in pid $SPIN"
	[ "$(report)" = 1000 ] || return 1
	echo "still patched: f0=1000"
	kpl status -p "$SPIN" | grep "SPIN-10" || return 1
	insmod "$MOD" || return 1
	kpl revert --backend kmod -p "$SPIN" SPIN-10 || return 1
	[ "$(report)" = 0 ] || return 1
	echo "reverted through the reloaded module: f0=0"
	kill "$SPIN"
	wait "$SPIN" 2>/dev/null
	return 0
}
check "unloading leaves a patched process patched; revert after reload" \
	unload_patched

check "rmmod $NAME" rmmod "$NAME"

dmesg_clean()
{
	! dmesg | grep -E 'BUG:|WARNING:|Oops|general protection|Call Trace:'
}
check "dmesg has no BUG/WARNING/Oops/general protection" dmesg_clean

echo "1..$n"
echo "kmod-guard: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
