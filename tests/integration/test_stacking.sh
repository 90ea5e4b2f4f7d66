#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Two patches of one function chain; revert is last-in-first-out; a
# replace patch takes every earlier one out in one stop.
. "$(dirname "$0")/lib.sh"

start_spin s --threads 4 || exit 1
P=$SPIN_PID
maps "$P" >"$T/maps.0"

expect_rc 0 "apply SPIN-10" "$KPL" apply --keys "$TRUSTED" -p "$P" "$IT_DIR/spin10.kpl"
expect_rc 0 "apply SPIN-F0B on top" "$KPL" apply --keys "$TRUSTED" -p "$P" "$IT_DIR/spin_fix2.kpl"
r=$(report s "$P")
check "top patch wins: f0=2000" [ "$(field "$r" f0)" = 2000 ]
check "lower patch still serves f1=1003" [ "$(field "$r" f1)" = 1003 ]
expect_rc 6 "revert out of order refused" "$KPL" revert -p "$P" SPIN-10
check "refusal names the patch on top" grep -q 'SPIN-F0B' "$T/cmd.err"
r=$(report s "$P")
check "refused revert changed nothing: f0=2000" [ "$(field "$r" f0)" = 2000 ]
expect_rc 0 "revert top patch" "$KPL" revert -p "$P" SPIN-F0B
r=$(report s "$P")
check "lower patch back in charge: f0=1000" [ "$(field "$r" f0)" = 1000 ]
expect_rc 0 "revert lower patch" "$KPL" revert -p "$P" SPIN-10
r=$(report s "$P")
check "original again: f0=0" [ "$(field "$r" f0)" = 0 ]

expect_rc 0 "apply SPIN-10 again" "$KPL" apply --keys "$TRUSTED" -p "$P" "$IT_DIR/spin10.kpl"
expect_rc 0 "apply replace patch SPIN-R" "$KPL" apply --keys "$TRUSTED" -p "$P" "$IT_DIR/spin_replace.kpl"
r=$(report s "$P")
check "replace patch serves f0=2000" [ "$(field "$r" f0)" = 2000 ]
check "functions only the old patch had are original: f1=3" \
	[ "$(field "$r" f1)" = 3 ]
"$KPL" status -p "$P" >"$T/st.txt"
check "status lists only the replace patch" \
	sh -c "grep -q SPIN-R '$T/st.txt' && ! grep -q SPIN-10 '$T/st.txt'"
check "replaced patch is unmapped" \
	sh -c "! grep -q 'kpl:SPIN-10' /proc/$P/maps"
expect_rc 0 "revert replace patch" "$KPL" revert -p "$P" SPIN-R
r=$(report s "$P")
check "original after reverting replace patch: f0=0" [ "$(field "$r" f0)" = 0 ]
maps "$P" >"$T/maps.1"
check "mappings back to the pre-patch set" cmp -s "$T/maps.0" "$T/maps.1"
