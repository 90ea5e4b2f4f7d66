#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Unwinding through patch code (issue 13): a patch carries its .eh_frame,
# the loader maps it and the record says where, and the activeness check
# unwinds past frames in patch code with it.  The main thread of kpl-spin
# waits in read(), called two frames deep in SPIN-UNW's new scale(),
# called from spin_scaled(): replacing spin_scaled must be refused as
# busy in spin_scaled, which only an unwinder that reads the patch's
# table reaches (without it, the unwind stops in the patch's frames).
. "$(dirname "$0")/lib.sh"

check "the patch file carries .eh_frame" sh -c \
	"readelf -SW '$IT_DIR/spin_unw.kpl' | grep -q ' \.eh_frame '"
start_in_patch || exit 1

expect_rc 5 "spin_scaled, below the patch's frames, is busy" \
	"$KPL" apply --keys "$TRUSTED" --timeout 300 -p "$P" \
	"$IT_DIR/spin_scaled.kpl"
check "the refusal names spin_scaled, not a stack it cannot unwind" \
	grep -q 'busy in spin_scaled' "$T/cmd.err"
grep -i 'busy\|unwind' "$T/cmd.err" | sed 's/^/# /'

# Let read() return through the patch's frames into spin_scaled().
end_in_patch
r=$R
check "read() returned into patch code: scaled=908" \
	[ "$(field "$r" scaled)" = 908 ]
expect_rc 0 "once the thread has left, spin_scaled is replaced" \
	"$KPL" apply --keys "$TRUSTED" -p "$P" "$IT_DIR/spin_scaled.kpl"
r=$(report g "$P")
check "new spin_scaled runs: scaled=1008" [ "$(field "$r" scaled)" = 1008 ]
expect_rc 0 "revert SPIN-SCALED" "$KPL" revert -p "$P" SPIN-SCALED
expect_rc 0 "revert SPIN-UNW" "$KPL" revert -p "$P" SPIN-UNW
check "target alive" alive "$P"
exec 3>&-
