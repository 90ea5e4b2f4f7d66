#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The module's stop, memory and mapping requests, then the real kpl CLI
# with --backend kmod, run as root inside the VM by tools/vm/vm-run.
# TAP-like output, then "kmod-stop: N passed, M failed"; exit status 1 if
# anything failed.
#
# Needs: KPL_VM_MODULE (set by vm-run); kpl_kmod_test, kpl_kmod_refuse,
# kpl_kmod_batch, kpl_kmod_head, kpl_kmod_fuzz, kpl and kpl-spin on PATH;
# /root/spin10.kpl and its trusted key in /root/keys.  KPL_FUZZ_ITERS
# overrides the fuzz loop's length.

MOD=${KPL_VM_MODULE:?KPL_VM_MODULE is not set: run me through tools/vm/vm-run}
NAME=kpatch_lite
PATCH=/root/spin10.kpl
# The trusted key, when the build signs patches.
KEYS=
[ -d /root/keys ] && KEYS="--keys /root/keys"
T=/tmp/kmod-stop
mkdir -p "$T"

. /root/tap.sh

check "insmod $(basename "$MOD")" insmod "$MOD"

# --- the requests, from C ---------------------------------------------------

for t in stop sleepers clone refuse timeout sigstop hold kill; do
	# The refusals are kpl_kmod_refuse's.
	bin=kpl_kmod_test
	case $t in refuse | timeout) bin=kpl_kmod_refuse ;; esac
	check "$bin $t" $bin $t
done
check "what a stop costs" kpl_kmod_test bench
# ABI 2.2: the batched verify-and-write, maps with their protections;
# ABI 2.3: maps with a head below the region
for t in write map refuse; do
	check "kpl_kmod_batch $t" kpl_kmod_batch $t
done
check "kpl_kmod_head head" kpl_kmod_head head

# Work items still queued on sleeping threads pin the module.
linger()
{
	kpl_kmod_test linger >"$T/linger.out" 2>&1 &
	pid=$!
	i=0
	while ! grep -q '^ready' "$T/linger.out"; do
		i=$((i + 1))
		[ $i -gt 100 ] && return 1
		sleep 0.05
	done
	if rmmod "$NAME" 2>/dev/null; then
		echo "rmmod succeeded with work queued"
		insmod "$MOD"
		return 1
	fi
	wait $pid
}
check "rmmod refused while work items wait on sleeping threads" linger

# --- fuzz -----------------------------------------------------------------

check "fuzz ${KPL_FUZZ_ITERS:-20000} random requests" \
	kpl_kmod_fuzz "${KPL_FUZZ_ITERS:-20000}"

# --- the kpl CLI --------------------------------------------------------------

# spin_start NAME: start kpl-spin (8 threads), its pid in $SPIN
spin_start()
{
	kpl-spin --threads 8 >"$T/$1.out" 2>&1 &
	SPIN=$!
	i=0
	while ! grep -q '^ready' "$T/$1.out" 2>/dev/null; do
		i=$((i + 1))
		[ $i -gt 100 ] && return 1
		sleep 0.05
	done
}

# report NAME: kpl-spin's report line after SIGUSR1
report()
{
	before=$(grep -c '^gap_ns' "$T/$1.out")
	kill -USR1 "$SPIN"
	i=0
	while [ "$(grep -c '^gap_ns' "$T/$1.out")" -le "$before" ]; do
		i=$((i + 1))
		[ $i -gt 200 ] && return 1
		sleep 0.02
	done
	grep '^gap_ns' "$T/$1.out" | tail -n 1
}

field() { printf '%s\n' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
json() { sed -n "s/.*\"$2\":\([^,}]*\).*/\1/p" "$1"; }

# cli BACKEND: apply, check, revert against a fresh kpl-spin; the pauses
# (pause_us of apply and revert) go to $T/BACKEND.pause
cli()
{
	be=$1
	spin_start "$be" || { echo "kpl-spin did not start"; return 1; }
	awk '{ print $1, $2, $6 }' "/proc/$SPIN/maps" >"$T/$be.maps0"
	r=$(report "$be") || return 1
	[ "$(field "$r" f0)" = 0 ] || { echo "before: $r"; return 1; }
	kpl apply --backend "$be" $KEYS --json -p "$SPIN" "$PATCH" \
		>"$T/$be.apply" 2>&1 || { cat "$T/$be.apply"; return 1; }
	echo "apply: $(cat "$T/$be.apply")"
	r=$(report "$be") || return 1
	echo "patched: $r"
	[ "$(field "$r" f0)" = 1000 ] && [ "$(field "$r" f9)" = 1028 ] ||
		return 1
	grep -q '/memfd:kpl:SPIN-10 (deleted)' "/proc/$SPIN/maps" || {
		echo "no patch mapping named /memfd:kpl:SPIN-10"
		return 1
	}
	kpl status -p "$SPIN" | grep -q "SPIN-10 .*applied" || return 1
	kpl revert --backend "$be" --json -p "$SPIN" SPIN-10 \
		>"$T/$be.revert" 2>&1 || { cat "$T/$be.revert"; return 1; }
	echo "revert: $(cat "$T/$be.revert")"
	r=$(report "$be") || return 1
	echo "reverted: $r"
	[ "$(field "$r" f0)" = 0 ] || return 1
	awk '{ print $1, $2, $6 }' "/proc/$SPIN/maps" >"$T/$be.maps1"
	cmp -s "$T/$be.maps0" "$T/$be.maps1" || {
		echo "mappings differ after revert"
		diff "$T/$be.maps0" "$T/$be.maps1"
		return 1
	}
	echo "$(json "$T/$be.apply" pause_us) $(json "$T/$be.revert" pause_us)" \
		>"$T/$be.pause"
	field "$r" eintr >"$T/$be.eintr"
	kill "$SPIN"
	wait "$SPIN" 2>/dev/null
	return 0
}

check "kpl apply/revert --backend kmod: f0 1000, then 0, maps restored" \
	cli kmod
check "kmod: the sleeping threads saw no EINTR" \
	[ "$(cat "$T/kmod.eintr" 2>/dev/null)" = 0 ]
# One map request (a kworker), one stop of every thread per attempt (a
# spinning thread inside a patched function makes the attempt retry), no
# borrowed one.
one_stop()
{
	for op in apply revert; do
		[ "$(json "$T/kmod.$op" nr_stops)" = \
			"$(json "$T/kmod.$op" attempts)" ] &&
			! grep -q '"all":false' "$T/kmod.$op" || {
			echo "$op: $(cat "$T/kmod.$op")"
			return 1
		}
	done
}
check "kmod: apply and revert stop every thread once per attempt, none borrowed" \
	one_stop
check "kpl apply/revert --backend ptrace in the same guest" cli ptrace
echo "# pause_us apply/revert: kmod $(cat "$T/kmod.pause" 2>/dev/null)," \
	"ptrace $(cat "$T/ptrace.pause" 2>/dev/null);" \
	"eintr: kmod $(cat "$T/kmod.eintr" 2>/dev/null)," \
	"ptrace $(cat "$T/ptrace.eintr" 2>/dev/null)"

# kpl-spin's own measure, the longest gap its spinning thread saw, and
# kpl's pause_us, over $KPL_GAP_CYCLES applies and reverts per backend.
# For the record only: TCG timings are noisy, compare within one guest.
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

gaps()
{
	be=$1
	spin_start "gap-$be" || return 1
	report "gap-$be" >/dev/null
	: >"$T/gap-$be.pause"
	max=0
	i=0
	while [ $i -lt "${KPL_GAP_CYCLES:-3}" ]; do
		kpl apply --backend "$be" $KEYS --json -p "$SPIN" "$PATCH" \
			>"$T/gap.json" 2>&1 || return 1
		json "$T/gap.json" pause_us >>"$T/gap-$be.pause"
		g=$(field "$(report "gap-$be")" gap_ns)
		[ "$g" -gt "$max" ] && max=$g
		kpl revert --backend "$be" --json -p "$SPIN" SPIN-10 \
			>"$T/gap.json" 2>&1 || return 1
		json "$T/gap.json" pause_us >>"$T/gap-$be.pause"
		g=$(field "$(report "gap-$be")" gap_ns)
		[ "$g" -gt "$max" ] && max=$g
		i=$((i + 1))
	done
	echo "$be: median pause_us $(median <"$T/gap-$be.pause") over" \
		"$((2 * i)) applies and reverts; longest gap of the spinning" \
		"thread $((max / 1000)) us"
	kill "$SPIN"
	wait "$SPIN" 2>/dev/null
}
check "${KPL_GAP_CYCLES:-3} apply/revert cycles with kmod, pauses measured" \
	gaps kmod
check "${KPL_GAP_CYCLES:-3} apply/revert cycles with ptrace, pauses measured" \
	gaps ptrace

# --- unload ---------------------------------------------------------------

# Work items of earlier stops run when their threads return to user
# mode or exit.  Every test process is gone now, but PID 1 (stopped by
# "kpl_kmod_test refuse") may still sleep in wait() with its item queued
# (unless an orphan's exit woke it meanwhile): a signal it handles brings
# it back to user mode, through the item.  That work items pin the
# module is shown by "linger" above.
unload()
{
	kill -CHLD 1
	i=0
	while ! rmmod "$NAME" 2>/dev/null; do
		i=$((i + 1))
		if [ $i -gt 40 ]; then
			echo "module refcount $(cat /sys/module/$NAME/refcnt)"
			for p in /proc/[0-9]*; do
				echo "$p $(cat $p/comm) $(cat $p/wchan 2>/dev/null)"
			done
			return 1
		fi
		sleep 0.05
	done
}
check "rmmod $NAME once PID 1 ran its late work item" unload

dmesg_clean()
{
	! dmesg | grep -E 'BUG:|WARNING:|Oops|general protection|Call Trace:'
}
check "dmesg has no BUG/WARNING/Oops/general protection" dmesg_clean

echo "1..$n"
echo "kmod-stop: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
