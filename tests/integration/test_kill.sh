#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Do no harm when killed: kpl is SIGKILLed before each of its ptrace
# requests and writes to the target in turn (KPL_FAULT_KILL_AT=N, the
# ASan build's fault points), during an apply and during a revert.
# After every kill the target must be alive, with its own registers
# (kpl-victim checks them all, xmm included) and every SIGTRAP it raised
# itself; the next kpl command must complete the job; nothing may leak.
#
# Two windows are the kernel's, documented in docs/engine.md ("Stops"),
# and counted apart rather than failed: a kill while memfd_create is in
# flight leaves its one close-on-exec descriptor, and a kill while a
# signal sits in a signal-delivery-stop (only a thread seized and not yet
# interrupted can enter one) makes the kernel drop that signal.
. "$(dirname "$0")/lib.sh"

if ! KPL_FAULT_COUNT=1 "$KPL" --help 2>&1 | grep -q 'kpl-fault'; then
	notok "kpl has no fault points (not the ASan build?)"
	exit 1
fi


# One victim per round (kill_loop in lib.sh).
kl_start() { start_victim kill && KL_PID=$VPID && KL_OUT=$T/kill.out; }
kl_apply() { kpl_at "${1:-}" apply --keys "$TRUSTED" -p "$VPID" "$IT_DIR/spin1.kpl"; }
kl_revert() { kpl_at "${1:-}" revert -p "$VPID" SPIN-1; }
kl_applied() { :; }
kl_reverted() { :; }
kl_done() { end_victim kill "$VPID"; }
kl_after() {
	kl_fds "$1" "$VPID"
	_bad=$?
	if ! end_victim kill "$VPID"; then
		if [ "$VICTIM_TRAPS_LOST" = 1 ] &&
			echo "$VICTIM_REPORT" | grep -q 'regs=ok' &&
			echo "$1" | grep -Eq 'INTERRUPT|signal\)'; then
			echo "# $1: one SIGTRAP dropped by the kernel (known window)"
			[ $_bad -eq 1 ] || _bad=2
		else
			echo "# $1: target harmed"
			_bad=1
		fi
	fi
	return $_bad
}

for op in apply revert; do
	kill_loop $op 500
	check "$op: killed at each of its $KL_KILLED fault points in turn, target alive with its own registers and signals ($KL_FAILS failures)" \
		[ "$KL_KILLED" -gt 5 -a "$KL_FAILS" -eq 0 ]
	echo "# $op: $KL_KILLED kills, $KL_FAILS failures, $KL_WINDOWS in the kernel's windows"
done
