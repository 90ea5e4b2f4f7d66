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

mkfifo "$T/in"
# Opened read-write, so neither end blocks and no EOF comes early.
exec 3<>"$T/in"
"$IT_DIR/kpl-spin" --threads 2 --idle <"$T/in" >"$T/u.out" 2>&1 &
P=$!
PIDS="$PIDS $P"
wait_ready "$T/u.out" kpl-spin || exit 1

check "the patch file carries .eh_frame" sh -c \
	"readelf -SW '$IT_DIR/spin_unw.kpl' | grep -q ' \.eh_frame '"
expect_rc 0 "apply SPIN-UNW" \
	"$KPL" apply --keys "$TRUSTED" -p "$P" "$IT_DIR/spin_unw.kpl"
kill -USR1 "$P"
wait_reader "$P"
check "the main thread waits in read() inside patch code" \
	[ -n "$(reader "$P")" ]

expect_rc 5 "spin_scaled, below the patch's frames, is busy" \
	"$KPL" apply --keys "$TRUSTED" --timeout 300 -p "$P" \
	"$IT_DIR/spin_scaled.kpl"
check "the refusal names spin_scaled, not a stack it cannot unwind" \
	grep -q 'busy in spin_scaled' "$T/cmd.err"
grep -i 'busy\|unwind' "$T/cmd.err" | sed 's/^/# /'

# Let read() return through the patch's frames into spin_scaled().
printf x >&3
_w=0
while ! grep -q '^gap_ns' "$T/u.out"; do
	_w=$((_w + 1))
	[ $_w -gt 200 ] && break
	sleep 0.05
done
r=$(grep '^gap_ns' "$T/u.out" | tail -1)
check "read() returned into patch code: scaled=908" \
	[ "$(field "$r" scaled)" = 908 ]
expect_rc 0 "once the thread has left, spin_scaled is replaced" \
	"$KPL" apply --keys "$TRUSTED" -p "$P" "$IT_DIR/spin_scaled.kpl"
r=$(report u "$P")
check "new spin_scaled runs: scaled=1008" [ "$(field "$r" scaled)" = 1008 ]
expect_rc 0 "revert SPIN-SCALED" "$KPL" revert -p "$P" SPIN-SCALED
expect_rc 0 "revert SPIN-UNW" "$KPL" revert -p "$P" SPIN-UNW
check "target alive" alive "$P"
exec 3>&-
