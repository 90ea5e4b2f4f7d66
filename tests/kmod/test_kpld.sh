#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# kpld without the module, then with it.  Without: kpld says it runs
# hold=bpf watchdog=on (Debian's 6.1 verifier accepts both BPF
# programs), a process started later is held at DT_INIT, and a crash is
# journaled by the watchdog.  With: a process started after the install
# is held by the module's guard (not kpld's BPF DT_INIT hold) at
# spin_guard's entry, patched by kpld, and never runs the old function;
# kpld says hold=module watchdog=on.  Run as root inside the VM by tools/vm/vm-run.  TAP-like
# output, then "kmod-kpld: N passed, M failed"; exit status 1 if
# anything failed.
#
# Needs: KPL_VM_MODULE (set by vm-run); kpld and kpl_kmod_guard (its
# "target" mode: threads calling spin_guard, counters in a shared file)
# on PATH; /root/spin_guard.kpl and, when the build signs, its trusted
# key in /root/keys.

MOD=${KPL_VM_MODULE:?KPL_VM_MODULE is not set: run me through tools/vm/vm-run}
NAME=kpatch_lite
SYS=/sys/kernel/$NAME
KEYS=--allow-unsigned
[ -d /root/keys ] && KEYS="--keys /root/keys"
T=/tmp/kmod-kpld
J=$T/state/journal
mkdir -p "$T/store" "$T/state"

. /root/tap.sh

# until CMD...: run CMD every 0.1 s until it succeeds (20 s at most).
until_ok()
{
	i=0
	while ! "$@" >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -gt 200 ] && return 1
		sleep 0.1
	done
}

# A target: one thread calling spin_guard(1) in a loop.  Its counters
# (struct ks_shared in kmod_spin.h) are in $T/NAME.shm: started (int at
# 0), then calls, old_calls, new_calls and runs (u64 at 16..47; runs is
# libspin's count of the old body's runs).
target_start()
{
	dd if=/dev/zero of="$T/$1.shm" bs=4096 count=1 2>/dev/null
	kpl_kmod_guard target "$T/$1.shm" 1 0 0 0 &
	TPID=$!
}

started()
{
	[ "$(od -An -t u4 -N 4 "$T/$1.shm" | tr -d ' ')" -ge 1 ]
}

# counters NAME: "calls old new runs"
counters()
{
	od -v -An -t u8 -j 16 -N 32 "$T/$1.shm" | tr -s ' \n' ' ' |
		sed 's/^ //; s/ $//'
}

# Before the module: kpld on Debian's 6.1 runs both of its BPF
# programs.  The DT_INIT hold holds a process started later, and the
# watchdog journals a patched process killed by SIGSEGV.  Done before
# insmod so as not to depend on the rmmod below: in some runs (3 of 14
# here, on a loaded machine) rmmod right after the targets were reaped
# still saw a module reference, gone a second later; why is not known.
J=$T/state0/journal
mkdir -p "$T/store0"
cp /root/spin_guard.kpl "$T/store0/"
echo "rescan_ms = 60000" >"$T/kpld0.conf"
target_start c
C=$TPID
check "target C (pid $C) calls spin_guard before kpld starts" \
	until_ok started c
kpld --store "$T/store0" --state "$T/state0" --socket "$T/kpld0.sock" \
	$KEYS -c "$T/kpld0.conf" --auto-install >"$T/kpld0.log" 2>&1 &
KPLD=$!
bpf_ok()
{
	until_ok grep -q "SPIN-GUARD	apply	1 of 1 processes" "$J" ||
		{ cat "$T/kpld0.log"; return 1; }
	line=$(grep '^kpld: protections:' "$T/kpld0.log")
	echo "$line"
	[ "$line" = "kpld: protections: hold=bpf watchdog=on" ]
}
check "without the module: kpld runs the BPF hold and the watchdog" bpf_ok

target_start d
D=$TPID
held_ok()
{
	until_ok started d || return 1
	until_ok grep -q "SPIN-GUARD	hold	pid $D held at .*DT_INIT: patched" "$J" ||
		{ cat "$T/kpld0.log"; return 1; }
	grep "SPIN-GUARD	hold" "$J"
	set -- $(counters d)
	echo "D (pid $D): calls $1 old $2 new $3 runs $4"
	[ "$2" = 0 ] && [ "$4" = 0 ]
}
check "D, started later, is held at DT_INIT and never runs the old code" held_ok

crash_ok()
{
	kill -SEGV "$C"
	wait "$C" 2>/dev/null
	until_ok grep -q "SPIN-GUARD	crash	pid $C ([^)]*) thread [0-9]*: signal 11 code 0, fault address 0x0," "$J" ||
		{ cat "$T/kpld0.log"; return 1; }
	grep "SPIN-GUARD	crash" "$J"
}
check "the watchdog journals a patched process killed by SIGSEGV" crash_ok
kill -TERM "$KPLD" "$D"
wait "$KPLD" "$D" 2>/dev/null
J=$T/state/journal

check "insmod $(basename "$MOD")" insmod "$MOD"

target_start a
A=$TPID
check "target A (pid $A) calls spin_guard before kpld starts" \
	until_ok started a

# The rescan (the backstop) once a minute: the guard is what patches B.
cp /root/spin_guard.kpl "$T/store/"
echo "rescan_ms = 60000" >"$T/kpld.conf"
kpld --store "$T/store" --state "$T/state" --socket "$T/kpld.sock" \
	$KEYS -c "$T/kpld.conf" --auto-install >"$T/kpld.log" 2>&1 &
KPLD=$!

installed()
{
	grep -q "SPIN-GUARD	apply	1 of 1 processes" "$J" &&
		grep -q "SPIN-GUARD	guard	guard [0-9]* on " "$J"
}
# patched NAME: its spin_guard answers with the patch's body, and more.
patched()
{
	t=$1
	set -- $(counters "$t")
	c=$3
	sleep 0.2
	set -- $(counters "$t")
	[ "$3" -gt "$c" ]
}
install_ok()
{
	until_ok installed || { cat "$T/kpld.log"; return 1; }
	grep "SPIN-GUARD	guard" "$J"
	grep "^guard .* patch SPIN-GUARD policy hold" $SYS/guards || return 1
	until_ok patched a || return 1
	echo "A: calls old new runs = $(counters a)"
}
check "kpld auto-installs SPIN-GUARD in A and guards spin_guard" install_ok

# No BPF DT_INIT hold with the module there.
check "kpld holds with the module's guard, not BPF" \
	sh -c "! grep -q DT_INIT '$T/kpld.log'"

# Debian's 6.1 verifier accepts the watchdog (watch.bpf.c reads the
# tracepoint's arguments with CO-RE reads) and the BPF hold, the
# fallback for a library the module will not guard.
protections_ok()
{
	line=$(grep '^kpld: protections:' "$T/kpld.log")
	echo "$line"
	[ "$line" = "kpld: protections: hold=module watchdog=on" ]
}
check "kpld runs the module's hold and the BPF watchdog" protections_ok

target_start b
B=$TPID
new_ok()
{
	until_ok started b || return 1
	until_ok patched b || { cat "$T/kpld.log"; return 1; }
	set -- $(counters b)
	echo "B (pid $B): calls $1 old $2 new $3 runs $4"
	[ "$2" = 0 ] && [ "$4" = 0 ]
}
check "B, started after the install, never ran the old spin_guard" new_ok

hold_ok()
{
	grep "SPIN-GUARD	hold	pid $B held by guard [0-9]* at spin_guard's entry.*: patched in" "$J"
}
check "the journal has B's hold, patched" hold_ok

stop_ok()
{
	kill -TERM "$KPLD"
	wait "$KPLD"
	cat "$T/kpld.log"
	! grep -q "patch SPIN-GUARD" $SYS/guards
}
check "kpld stops and deletes its guard" stop_ok

kill "$A" "$B"
wait "$A" "$B" 2>/dev/null
check "rmmod $NAME" rmmod "$NAME"

dmesg_clean()
{
	! dmesg | grep -E 'BUG:|WARNING:|Oops|general protection|Call Trace:'
}
check "dmesg has no BUG/WARNING/Oops/general protection" dmesg_clean

echo "1..$n"
echo "kmod-kpld: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
