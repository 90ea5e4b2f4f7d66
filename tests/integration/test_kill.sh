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

# kpl_maps PID: how many patch mappings the process has
kpl_maps() { grep -c '/memfd:kpl:' "/proc/$1/maps"; }
# kpl_fds PID: how many descriptors of patch memfds it holds
kpl_fds() { ls -l "/proc/$1/fd" 2>/dev/null | grep -c 'memfd:kpl:'; }

for op in apply revert; do
	N=1
	killed=0
	fails=0
	windows=0
	while [ $N -le 500 ]; do
		start_victim kill || break
		if [ $op = revert ]; then
			"$KPL" apply --keys "$TRUSTED" -p "$VPID" \
				"$IT_DIR/spin1.kpl" >/dev/null 2>&1 ||
				{ echo "# setup apply failed"; fails=$((fails + 1)); }
			cmd="revert -p $VPID SPIN-1"
		else
			cmd="apply --keys $TRUSTED -p $VPID $IT_DIR/spin1.kpl"
		fi
		# shellcheck disable=SC2086
		KPL_FAULT_KILL_AT=$N "$KPL" $cmd >"$T/kpl.log" 2>&1
		rc=$?
		if [ $rc -ne 137 ]; then
			# Ran to the end: every point was tried.
			[ $rc -eq 0 ] || { echo "# $op: exit $rc"; cat "$T/kpl.log"; fails=$((fails + 1)); }
			end_victim kill "$VPID" || fails=$((fails + 1))
			break
		fi
		killed=$((killed + 1))
		where=$(grep -o 'killed at point.*' "$T/kpl.log")
		if ! kill -0 "$VPID" 2>/dev/null; then
			echo "# $op: target died after kpl was $where"
			fails=$((fails + 1))
			N=$((N + 1))
			continue
		fi
		# The next commands finish the job: apply (or find it
		# applied), then revert; the process ends as it began.
		"$KPL" apply --keys "$TRUSTED" -p "$VPID" "$IT_DIR/spin1.kpl" \
			>"$T/next.log" 2>&1
		rc=$?
		[ $rc -eq 0 ] || [ $rc -eq 6 ] ||
			{ echo "# $op, $where: next apply exit $rc"; cat "$T/next.log"; fails=$((fails + 1)); }
		"$KPL" revert -p "$VPID" SPIN-1 >"$T/next.log" 2>&1 ||
			{ echo "# $op, $where: revert after it failed"; cat "$T/next.log"; fails=$((fails + 1)); }
		fds=$(kpl_fds "$VPID")
		if [ "$fds" -eq 1 ] && echo "$where" | grep -q 'memfd in flight'; then
			windows=$((windows + 1))
			echo "# $op, $where: 1 descriptor left (known window)"
		elif [ "$fds" -ne 0 ]; then
			echo "# $op, $where: $fds patch descriptors left"
			fails=$((fails + 1))
		fi
		left=$(kpl_maps "$VPID")
		[ "$left" -eq 0 ] ||
			{ echo "# $op, $where: $left patch mappings left"; grep kpl "/proc/$VPID/maps"; fails=$((fails + 1)); }
		if ! end_victim kill "$VPID"; then
			if [ "$VICTIM_TRAPS_LOST" = 1 ] &&
				echo "$VICTIM_REPORT" | grep -q 'regs=ok' &&
				echo "$where" | grep -Eq 'INTERRUPT|signal\)'; then
				windows=$((windows + 1))
				echo "# $op, $where: one SIGTRAP dropped by the kernel (known window)"
			else
				echo "# $op: target harmed after kpl was $where"
				fails=$((fails + 1))
			fi
		fi
		N=$((N + 1))
	done
	check "$op: killed at each of its $killed fault points in turn, target alive with its own registers and signals ($fails failures)" \
		[ "$killed" -gt 5 -a "$fails" -eq 0 ]
	echo "# $op: $killed kills, $fails failures, $windows in the kernel's windows"
done
