#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# kpl killed half way through an apply or a revert (SIGKILL injected
# after some entries are written): the journal in the target's patch
# mapping lets the next kpl roll the apply back and finish the revert.
. "$(dirname "$0")/lib.sh"

start_spin j --threads 8 || exit 1
P=$SPIN_PID
maps "$P" >"$T/maps.0"

KPL_FAULT_KILL_AFTER=4 "$KPL" apply --keys "$TRUSTED" -p "$P" "$IT_DIR/spin10.kpl" \
	>/dev/null 2>&1
check "kpl died mid-apply (SIGKILL)" [ $? -eq 137 ]
"$KPL" status -p "$P" >"$T/st.txt" 2>"$T/st.err"
check "status reports the interrupted apply" grep -q 'left applying' "$T/st.err"
check "status rolled it back: no patch listed" grep -q '0 patches' "$T/st.txt"
r=$(report j "$P")
check "every function original after roll back" \
	[ "$(field "$r" f0)/$(field "$r" f3)/$(field "$r" f9)" = 0/9/28 ]
maps "$P" >"$T/maps.1"
check "mappings back to the pre-patch set" cmp -s "$T/maps.0" "$T/maps.1"

expect_rc 0 "apply again after repair" "$KPL" apply --keys "$TRUSTED" -p "$P" "$IT_DIR/spin10.kpl"
KPL_FAULT_KILL_AFTER=3 "$KPL" revert -p "$P" SPIN-10 >/dev/null 2>&1
check "kpl died mid-revert (SIGKILL)" [ $? -eq 137 ]
expect_rc 6 "a later revert finishes the old one first, then finds nothing" \
	"$KPL" revert -p "$P" SPIN-10
check "it says the revert was finished" grep -q 'revert finished' "$T/cmd.err"
r=$(report j "$P")
check "every function original after roll forward" \
	[ "$(field "$r" f0)/$(field "$r" f3)/$(field "$r" f9)" = 0/9/28 ]
maps "$P" >"$T/maps.2"
check "mappings back to the pre-patch set" cmp -s "$T/maps.0" "$T/maps.2"
check "target alive" alive "$P"

# A write that fails half way (injected EIO) is rolled back in the same
# stop, for apply and for revert, and leaves the record as it was.
expect_rc 1 "apply with its 4th write failing fails" \
	env KPL_FAULT_FAIL_AFTER=3 "$KPL" apply --keys "$TRUSTED" -p "$P" "$IT_DIR/spin10.kpl"
r=$(report j "$P")
check "failed apply rolled back: f0=0 f3=9" \
	[ "$(field "$r" f0)/$(field "$r" f3)" = 0/9 ]
maps "$P" >"$T/maps.3"
check "failed apply unmapped its patch" cmp -s "$T/maps.0" "$T/maps.3"
expect_rc 0 "apply" "$KPL" apply --keys "$TRUSTED" -p "$P" "$IT_DIR/spin10.kpl"
expect_rc 1 "revert with its 4th write failing fails" \
	env KPL_FAULT_FAIL_AFTER=3 "$KPL" revert -p "$P" SPIN-10
r=$(report j "$P")
check "failed revert rolled back: still patched, f0=1000 f9=1028" \
	[ "$(field "$r" f0)/$(field "$r" f9)" = 1000/1028 ]
"$KPL" status -p "$P" >"$T/st2.txt" 2>&1
check "the record still says applied (nothing to repair)" \
	grep -q 'SPIN-10 .*applied' "$T/st2.txt"
check "target alive after the failed revert and the status" alive "$P"
expect_rc 0 "revert" "$KPL" revert -p "$P" SPIN-10
maps "$P" >"$T/maps.4"
check "mappings back to the pre-patch set" cmp -s "$T/maps.0" "$T/maps.4"
