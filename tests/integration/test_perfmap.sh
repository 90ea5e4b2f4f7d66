#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# perf names patch code (issue 13): `kpl apply --perf-map` maps the
# patch's code anonymously and appends "START SIZE kpl:ID:NAME" lines to
# /tmp/perf-PID.map, perf's file for code no file backs; revert takes
# them out.  The file is the target user's to plant: a symbolic link, a
# file of another user or a hard link is never written.  perf itself,
# if it works here, names the patched function the process spins in.
. "$(dirname "$0")/lib.sh"

start_spin p --threads 2 || exit 1
P=$SPIN_PID
PM=/tmp/perf-$P.map
rm -f "$PM"
maps "$P" >"$T/maps.0"

expect_rc 0 "apply without --perf-map" \
	"$KPL" apply --keys "$TRUSTED" -p "$P" "$IT_DIR/spin_perf.kpl"
check "without --perf-map no perf map is written" [ ! -e "$PM" ]
check "without --perf-map the code is the memfd's" \
	sh -c "grep 'r-xp.*/memfd:kpl:SPIN-PERF' /proc/$P/maps | grep -q ."
expect_rc 0 "revert" "$KPL" revert -p "$P" SPIN-PERF

# Planted files: each apply succeeds, and the file is left as it was.
echo precious >"$T/victim"
ln -s "$T/victim" "$PM"
expect_rc 0 "apply --perf-map with a symlink planted there" \
	"$KPL" apply --perf-map --keys "$TRUSTED" -p "$P" "$IT_DIR/spin_perf.kpl"
check "the symlink is not followed, and said so" \
	grep -q "perf-$P.map.*symbolic link" "$T/cmd.err"
check "the symlink's target is untouched" \
	[ "$(cat "$T/victim")" = precious ]
expect_rc 0 "revert" "$KPL" revert -p "$P" SPIN-PERF
check "revert leaves the symlink's target untouched too" \
	[ "$(cat "$T/victim")" = precious ]
rm -f "$PM"
echo precious >"$PM"
chown 12345:12345 "$PM"
expect_rc 0 "apply --perf-map with another user's file there" \
	"$KPL" apply --perf-map --keys "$TRUSTED" -p "$P" "$IT_DIR/spin_perf.kpl"
check "another user's file is refused, and said so" \
	grep -q "perf-$P.map is not a regular file of one link owned by uid 0" \
	"$T/cmd.err"
check "another user's file is untouched" [ "$(cat "$PM")" = precious ]
expect_rc 0 "revert" "$KPL" revert -p "$P" SPIN-PERF
rm -f "$PM"
echo precious >"$PM"
ln "$PM" "$T/hardlink"
expect_rc 0 "apply --perf-map with a hard-linked file there" \
	"$KPL" apply --perf-map --keys "$TRUSTED" -p "$P" "$IT_DIR/spin_perf.kpl"
check "a hard-linked file is refused, and untouched" sh -c \
	"grep -q 'perf-$P.map is not a regular file of one link' '$T/cmd.err' &&
	 [ \"\$(cat '$T/hardlink')\" = precious ]"
expect_rc 0 "revert" "$KPL" revert -p "$P" SPIN-PERF
rm -f "$PM" "$T/hardlink"

# A JIT's own line stays through apply and revert.
echo "1000 10 jit_fn" >"$PM"
expect_rc 0 "apply --perf-map" \
	"$KPL" apply --perf-map --keys "$TRUSTED" -p "$P" "$IT_DIR/spin_perf.kpl"
r=$(report p "$P")
check "patched code runs: f0=1000" [ "$(field "$r" f0)" = 1000 ]
check "one line per patch function" \
	[ "$(grep -c ' kpl:SPIN-PERF:spin_f[0-9]$' "$PM")" = 10 ]
check "the JIT's line is kept" grep -qx "1000 10 jit_fn" "$PM"
# The line of spin_f0 lies in the one anonymous executable mapping,
# between the record's memfd and the rest of the patch.
set -- $(grep ' kpl:SPIN-PERF:spin_f0$' "$PM")
f0=$1
anon=$(while read -r range perms _o _d inode name; do
	lo=$((0x${range%-*}))
	hi=$((0x${range#*-}))
	[ $lo -le $((0x$f0)) ] && [ $((0x$f0)) -lt $hi ] &&
		echo "$perms $inode${name:+ $name}"
done <"/proc/$P/maps")
check "spin_f0's line lies in an anonymous r-x mapping (got: $anon)" \
	[ "$anon" = "r-xp 0" ]
check "the record is still the memfd's" \
	grep -q "r--p 00000000 .*/memfd:kpl:SPIN-PERF" "/proc/$P/maps"
"$KPL" status -p "$P" >"$T/st.txt" 2>&1
check "status lists the patch as applied" grep -q 'SPIN-PERF .*applied' \
	"$T/st.txt"

if ! command -v perf >/dev/null; then
	ok "perf report names the patch function # SKIP perf not installed"
elif ! perf record -q -o "$T/true.data" -- true >/dev/null 2>&1; then
	ok "perf report names the patch function # SKIP perf record fails here"
else
	perf record -q -o "$T/p.data" -p "$P" -- sleep 2 >/dev/null 2>&1
	perf report -i "$T/p.data" --stdio --sort sym 2>/dev/null |
		grep -v '^#' >"$T/report.txt"
	sed -n '1,3s/^/# /p' "$T/report.txt"
	grep kpl: "$T/report.txt" | sed -n '1,3s/^/# /p'
	check "perf report names the patch function" \
		grep -q 'kpl:SPIN-PERF:spin_f' "$T/report.txt"
fi

expect_rc 0 "revert" "$KPL" revert -p "$P" SPIN-PERF
check "revert takes the patch's lines out" \
	sh -c "! grep -q kpl:SPIN-PERF '$PM'"
check "revert keeps the JIT's line" grep -qx "1000 10 jit_fn" "$PM"
maps "$P" >"$T/maps.1"
check "mappings after revert are those before apply" \
	cmp -s "$T/maps.0" "$T/maps.1"
rm -f "$PM"

# A file kpl makes belongs to the target's user, for their own perf.
setpriv --reuid 65534 --regid 65534 --clear-groups \
	"$IT_DIR/kpl-spin" --threads 1 >"$T/u.out" 2>&1 &
U=$!
PIDS="$PIDS $U"
wait_ready "$T/u.out" kpl-spin || exit 1
expect_rc 0 "apply --perf-map to a process of uid 65534" \
	"$KPL" apply --perf-map --keys "$TRUSTED" -p "$U" "$IT_DIR/spin_perf.kpl"
check "the file made is owned by uid 65534" \
	[ "$(stat -c %u "/tmp/perf-$U.map")" = 65534 ]
expect_rc 0 "revert" "$KPL" revert -p "$U" SPIN-PERF
check "the file is left without the patch's lines" \
	[ ! -s "/tmp/perf-$U.map" ]
rm -f "/tmp/perf-$U.map"
check "target alive" alive "$P"

# kpl's own unwinder steps through anonymous patch code as through the
# memfd's (test_unwind.sh, with --perf-map): a thread waiting in read()
# two frames deep in SPIN-UNW keeps spin_scaled, below them, busy.
start_in_patch --perf-map || exit 1
W=$P
check "SPIN-UNW's code is anonymous" \
	sh -c "! grep -q 'r-xp.*/memfd:kpl:SPIN-UNW' /proc/$W/maps"
expect_rc 5 "spin_scaled, below anonymous patch frames, is busy" \
	"$KPL" apply --keys "$TRUSTED" --timeout 300 -p "$W" \
	"$IT_DIR/spin_scaled.kpl"
check "the refusal names spin_scaled" grep -q 'busy in spin_scaled' \
	"$T/cmd.err"
end_in_patch
exec 3>&-
expect_rc 0 "revert SPIN-UNW" "$KPL" revert -p "$W" SPIN-UNW
check "no SPIN-UNW line is left" \
	sh -c "! grep -qs kpl:SPIN-UNW /tmp/perf-$W.map"
rm -f "/tmp/perf-$W.map"
check "targets alive" alive "$W"
