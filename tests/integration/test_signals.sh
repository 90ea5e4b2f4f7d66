#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Signals are the target's: while kpl applies and reverts over and over,
# a storm of queued SIGRTMIN (each with its sequence number) and SIGUSR1
# hits a single-threaded target (so the thread kpl borrows is the one
# receiving them).  Every RT signal must arrive exactly once, in order,
# with its siginfo; every SIGUSR1 must come from the sender, never from
# kpl; the target's own SIGTRAPs must all reach its handler; no kpl
# command may fail.
. "$(dirname "$0")/lib.sh"

N=${KPL_STORM:-20000}
"$IT_DIR/kpl-sigstorm" "$T/victim.pid" "$N" >"$T/sender.out" 2>&1 &
STORM=$!
PIDS="$PIDS $STORM"
start_victim storm "$STORM" || exit 1
echo "$VPID" >"$T/victim.pid"

cycles=0
fails=0
while kill -0 "$STORM" 2>/dev/null; do
	"$KPL" apply --keys "$TRUSTED" -p "$VPID" "$IT_DIR/spin1.kpl" \
		>/dev/null 2>>"$T/err" || fails=$((fails + 1))
	"$KPL" revert -p "$VPID" SPIN-1 >/dev/null 2>>"$T/err" ||
		fails=$((fails + 1))
	cycles=$((cycles + 1))
done
wait "$STORM"
check "the storm was sent in full" grep -q "sent rt=$N" "$T/sender.out"
check "$cycles apply/revert cycles during the storm, none failed" \
	[ "$fails" -eq 0 -a "$cycles" -gt 0 ]
[ "$fails" -eq 0 ] || sed 's/^/#   /' "$T/err" | head
# Let the last signals land before asking for the counts.
sleep 0.2
check "target alive, own registers, every SIGTRAP it raised seen" \
	end_victim storm "$VPID"
echo "# $VICTIM_REPORT"; sed "s/^/#   victim: /" "$T/sender.out" | tail -3
check "every queued RT signal arrived once, in order ($N)" \
	[ "$(victim_field rt)" = "$N" -a "$(victim_field rt_bad)" = 0 ]
check "every SIGUSR1 came from the sender with SI_USER" \
	[ "$(victim_field usr1_bad)" = 0 -a "$(victim_field usr1)" -gt 0 ]
