#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Exceptions through patch code (issue 13): a patch's unwind table is
# registered with the target's libgcc before its entries jump there, and
# taken back before it is unmapped.  kpl-thru's threads call libthru's
# thru_call() with a callback that throws for odd arguments, through
# thru_call()'s frame, and catch it; THRU-1 replaces thru_call().  Without
# the registration the first throw after the apply meets a frame libgcc
# has no table for and the process dies in std::terminate().
. "$(dirname "$0")/lib.sh"

# shellcheck source=tests/integration/thru.sh
. "$(dirname "$0")/thru.sh"
kpl_maps() { grep -c '/memfd:kpl:' "/proc/$1/maps"; }

start_thru --threads 3 || exit 1
r=$(thru t "$P")
check "before the patch thru_call adds 1" [ "$(field "$r" delta)" = 1 ]

expect_rc 0 "apply THRU-1 to a C++ process" \
	"$KPL" apply --keys "$TRUSTED" -p "$P" "$IT_DIR/thru.kpl"
check "exceptions thrown through the patched thru_call are caught by its caller" \
	caught_grows t "$P"
r=$(thru t "$P")
check "the patch runs (adds 2), no wrong result" \
	[ "$(field "$r" delta)" = 2 -a "$(field "$r" bad)" = 0 ]
check "no std::terminate: target alive" alive "$P"
expect_rc 0 "revert THRU-1" "$KPL" revert -p "$P" THRU-1
check "after the revert, throws are still caught" caught_grows t "$P"
r=$(thru t "$P")
check "the library's thru_call is back (adds 1)" [ "$(field "$r" delta)" = 1 ]
check "no patch mapping left" [ "$(kpl_maps "$P")" -eq 0 ]

# Registered and taken back 50 times: libgcc's list must stay sound (a
# table left registered after its unmap would be read at the next throw).
fails=0
i=0
while [ $i -lt 50 ]; do
	"$KPL" apply --keys "$TRUSTED" -p "$P" "$IT_DIR/thru.kpl" \
		>"$T/c.log" 2>&1 || { fails=$((fails + 1)); cat "$T/c.log"; }
	"$KPL" revert -p "$P" THRU-1 >"$T/c.log" 2>&1 ||
		{ fails=$((fails + 1)); cat "$T/c.log"; }
	i=$((i + 1))
done
check "50 apply/revert cycles under throwing threads ($fails failures)" \
	[ $fails -eq 0 ]
check "after them throws are still caught" caught_grows t "$P"
check "target alive, no patch mapping left" \
	sh -c "kill -0 $P && [ \$(grep -c memfd:kpl: /proc/$P/maps) -eq 0 ]"

# Never deadlock: the thread kpl borrows waits inside libgcc's unwinder
# (an _Unwind_Backtrace callback blocked in read()).  The apply retries,
# says so, gives up with nothing changed, and works once it has left.
mkfifo "$T/in"
exec 3<>"$T/in"
"$IT_DIR/kpl-thru" --threads 1 --hold <"$T/in" >"$T/h.out" 2>&1 &
H=$!
PIDS="$PIDS $H"
wait_ready "$T/h.out" kpl-thru || exit 1
wait_line "$T/h.out" '^holding' 100
expect_rc 5 "apply while the borrowed thread is inside the unwinder: refused" \
	"$KPL" apply --keys "$TRUSTED" -p "$H" "$IT_DIR/thru.kpl"
check "it said it retried" \
	grep -q "target thread $H is inside the unwinder (libgcc_s); retrying" "$T/cmd.err"
grep 'unwinder\|deadlock' "$T/cmd.err" | tail -2 | sed 's/^/# /'
check "nothing changed: no patch mapping, target alive" \
	sh -c "kill -0 $H && [ \$(grep -c memfd:kpl: /proc/$H/maps) -eq 0 ]"
printf x >&3
wait_line "$T/h.out" '^released' 100
expect_rc 0 "once it has left the unwinder, the apply works" \
	"$KPL" apply --keys "$TRUSTED" -p "$H" "$IT_DIR/thru.kpl"
check "and its throws are caught" caught_grows h "$H"
expect_rc 0 "revert" "$KPL" revert -p "$H" THRU-1
exec 3>&-
