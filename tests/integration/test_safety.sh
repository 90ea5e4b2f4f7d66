#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The activeness check: a function busy on a stack is not patched unless
# --force; local symbols resolve by file; a fix may call libc.
. "$(dirname "$0")/lib.sh"

start_spin h --threads 4 --hold || exit 1
P=$SPIN_PID
maps "$P" >"$T/maps.0"
expect_rc 5 "function busy on a stack refused" \
	"$KPL" apply --keys "$TRUSTED" --timeout 300 -p "$P" "$IT_DIR/spin_hold.kpl"
check "refusal names the busy function" grep -q 'busy in spin_hold' "$T/cmd.err"
maps "$P" >"$T/maps.1"
check "busy refusal left mappings unchanged" cmp -s "$T/maps.0" "$T/maps.1"
expect_rc 0 "--force skips the activeness check" \
	"$KPL" apply --keys "$TRUSTED" --force -p "$P" "$IT_DIR/spin_hold.kpl"
kill -USR2 "$P"
sleep 0.1
r=$(report h "$P")
check "new spin_hold runs once released: hold=101" [ "$(field "$r" hold)" = 101 ]
expect_rc 0 "revert the forced patch" "$KPL" revert -p "$P" SPIN-HOLD

r=$(report h "$P")
check "before: scaled=8 other=13" \
	[ "$(field "$r" scaled)/$(field "$r" other)" = 8/13 ]
expect_rc 0 "apply patch of a static function named by file, calling libc" \
	"$KPL" apply --keys "$TRUSTED" -p "$P" "$IT_DIR/spin_local.kpl"
r=$(report h "$P")
check "static scale() of libspin.c replaced: scaled=508" \
	[ "$(field "$r" scaled)" = 508 ]
check "other file's scale() resolved, libc strlen called: other=513" \
	[ "$(field "$r" other)" = 513 ]
expect_rc 0 "revert it" "$KPL" revert -p "$P" SPIN-LOCAL
r=$(report h "$P")
check "after revert: scaled=8 other=13" \
	[ "$(field "$r" scaled)/$(field "$r" other)" = 8/13 ]
check "target alive" alive "$P"
