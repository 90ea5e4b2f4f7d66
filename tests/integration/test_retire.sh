#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# No option unmaps code a frame will return into:
# a thread blocked in read() called from the patch's new function keeps
# the patch's code on its stack.  revert --force restores the entry but
# retires the mapping instead of unmapping it; the target survives the
# read's return, and a later kpl collects the mapping once the thread
# has left it.
. "$(dirname "$0")/lib.sh"

mkfifo "$T/in"
# Opened read-write, so neither end blocks and no EOF comes early.
exec 3<>"$T/in"
"$IT_DIR/kpl-spin" --threads 2 --idle --hold <"$T/in" >"$T/r.out" 2>&1 &
P=$!
PIDS="$PIDS $P"
wait_ready "$T/r.out" kpl-spin || exit 1
maps "$P" >"$T/maps.0"
# The holder sits in the old spin_hold: forced in, then released into
# the new one, which blocks in read().
expect_rc 0 "apply SPIN-READ with --force" \
	"$KPL" apply --keys "$TRUSTED" --force -p "$P" "$IT_DIR/spin_read.kpl"
kill -USR2 "$P"
wait_reader "$P"
TID=$(reader "$P")
check "a thread is blocked in read() from the new spin_hold" [ -n "$TID" ]

expect_rc 5 "revert without --force: busy" \
	"$KPL" revert --timeout 200 -p "$P" SPIN-READ
check "busy refusal names the patch" grep -q 'busy in SPIN-READ' "$T/cmd.err"

expect_rc 0 "revert --force returns" "$KPL" revert --force -p "$P" SPIN-READ
check "it says the mapping stays, retired" grep -q 'retired' "$T/cmd.err"
check "the patch mapping is still mapped" grep -q '/memfd:kpl:SPIN-READ' \
	"/proc/$P/maps"
"$KPL" status -p "$P" >"$T/st.out" 2>"$T/st.err"
check "status shows the mapping retired" grep -q 'SPIN-READ.*retired' \
	"$T/st.out"
check "status leaves it while the thread is still in read()" \
	grep -q '/memfd:kpl:SPIN-READ' "/proc/$P/maps"
expect_rc 6 "a retired patch is not applied: no second revert" \
	"$KPL" revert --force -p "$P" SPIN-READ

# read() returns into the patch's code, which must still be there.
printf x >&3
_w=0
while [ "$(cat "/proc/$P/task/$TID/syscall" 2>/dev/null | cut -d' ' -f1-2)" = "0 0x0" ]; do
	_w=$((_w + 1))
	[ $_w -gt 200 ] && break
	sleep 0.05
done
r=$(report r "$P")
check "target survives read() returning into the retired code" alive "$P"
check "the old spin_hold runs again: hold=2" [ "$(field "$r" hold)" = 2 ]

"$KPL" status -p "$P" >"$T/st.out" 2>"$T/st.err"
check "status no longer lists it" sh -c "! grep -q SPIN-READ '$T/st.out'"
maps "$P" >"$T/maps.1"
check "the next command collected it: maps as before the patch" \
	cmp -s "$T/maps.0" "$T/maps.1" || diff "$T/maps.0" "$T/maps.1" | sed 's/^/# /'
check "target alive" alive "$P"
exec 3>&-
