#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# gdb sees patch code (issue 13): `kpl symfile` writes an ELF file of a
# patch's symbols and .eh_frame at its addresses in the process, and
# kpatch-lite's gdb extension (tools/gdb/kpl.py, installed in
# /etc/gdb/gdbinit.d, which gdb reads at start-up: sourced here with
# -iex, at the same point) loads it on attach.  The main thread of
# kpl-spin waits in read(), called from SPIN-UNW's helper, called from
# its new scale(), called from spin_scaled(), called from main(): `bt`
# must name scale and go on to spin_scaled and main.  Without the
# extension gdb names none of them, so the test can fail.  Nothing of
# the target changes: its maps and records are as before.
. "$(dirname "$0")/lib.sh"

if ! command -v gdb >/dev/null; then
	ok "gdb names patch frames # SKIP gdb not installed"
	exit 0
fi
EXT=$(pwd)/tools/gdb/kpl.py
KPL_ABS=$(readlink -f "$KPL")

start_in_patch || exit 1
maps "$P" >"$T/maps.0"

# The file itself.
expect_rc 0 "kpl symfile writes SPIN-UNW's file" \
	"$KPL" symfile -p "$P" -o "$T/unw.elf" SPIN-UNW
readelf -hsSW "$T/unw.elf" >"$T/unw.txt" 2>&1
check "it is an ELF shared object" grep -q 'Type: *DYN' "$T/unw.txt"
check "it names the replaced function, scale" \
	grep -q 'FUNC *GLOBAL *DEFAULT *[0-9]* scale$' "$T/unw.txt"
check "it names the patch's helper by patch and offset" \
	grep -q 'FUNC .* kpl:SPIN-UNW+0x' "$T/unw.txt"
check "it carries the patch's .eh_frame" grep -q ' \.eh_frame ' "$T/unw.txt"
scale=$(awk '$NF == "scale" { print $2 }' "$T/unw.txt")
in_code=$(while read -r range perms _o _d _i name; do
	[ $((0x${range%-*})) -le $((0x$scale)) ] &&
		[ $((0x$scale)) -lt $((0x${range#*-})) ] && echo "$perms $name"
done <"/proc/$P/maps")
check "scale lies in the patch's code (0x$scale: $in_code)" \
	[ "$in_code" = "r-xp /memfd:kpl:SPIN-UNW (deleted)" ]
check "kpl symfile --list names the patch" \
	sh -c "'$KPL' symfile -p $P --list | grep -q '^SPIN-UNW 0x[0-9a-f]* applied$'"

# Bad input: a clear message, a non-zero exit, no file.
expect_rc 6 "symfile of a patch that is not there" \
	"$KPL" symfile -p "$P" -o "$T/none.elf" NO-SUCH
check "says which patch is missing" \
	grep -q "no patch 'NO-SUCH' in pid $P" "$T/cmd.err"
check "and writes no file" [ ! -e "$T/none.elf" ]
expect_rc 2 "symfile without -o" "$KPL" symfile -p "$P" SPIN-UNW
expect_rc 2 "symfile without a pid" "$KPL" symfile -o "$T/x.elf" SPIN-UNW

# gdb, without and with the extension.
bt() { # bt OUT [gdb options...]: the main thread's backtrace
	_o=$1
	shift
	timeout 120 gdb -nx -batch "$@" -p "$P" -ex "thread 1" -ex bt \
		>"$_o" 2>&1
	sed -n '/^#/s/^/# /p' "$_o"
}
# The functions of the frames below read(), in order.
callers() { sed -n 's/^#[0-9]* *0x[0-9a-f]* in \([^ ]*\) (.*/\1/p' "$1" | xargs; }
WANT="kpl:SPIN-UNW+0x0 scale spin_scaled main"
bt "$T/plain.txt"
check "without the extension gdb names no patch frame" \
	sh -c "! grep -q ' scale (' '$T/plain.txt'"
check "and makes frames up below read(): '$(callers "$T/plain.txt")'" \
	[ "$(callers "$T/plain.txt")" != "$WANT" ]
bt "$T/ext.txt" -iex "source $EXT" -iex "set kpl-program $KPL_ABS"
check "with the extension: read() <- $WANT" \
	[ "$(callers "$T/ext.txt")" = "$WANT" ]
check "and no frame is ?? ()" sh -c "! grep -q '?? ()' '$T/ext.txt'"
check "the extension's command is there" \
	sh -c "timeout 60 gdb -nx -batch -iex 'source $EXT' \
		-ex 'help kpl-symbols' 2>&1 | grep -q 'live patches'"

maps "$P" >"$T/maps.1"
check "gdb and kpl symfile left the mappings as they were" \
	cmp -s "$T/maps.0" "$T/maps.1"
end_in_patch
r=$R
check "read() returned through the patch's frames: scaled=908" \
	[ "$(field "$r" scaled)" = 908 ]
expect_rc 0 "revert SPIN-UNW" "$KPL" revert -p "$P" SPIN-UNW
expect_rc 6 "no symfile once reverted" \
	"$KPL" symfile -p "$P" -o "$T/gone.elf" SPIN-UNW
# No patch left: the extension does not even run kpl (a kpl that does
# not exist would say so).
bt "$T/none.txt" -iex "source $EXT" -iex "set kpl-program $T/no-kpl"
check "with no patch mapped, the extension runs no kpl" \
	sh -c "! grep -q '^kpl: ' '$T/none.txt'"
check "and gdb still shows main" grep -q '^#[0-9]* .* main (' "$T/none.txt"
check "target alive" alive "$P"
exec 3>&-
