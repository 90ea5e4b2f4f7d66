#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The target is hostile: a process running as nobody forges patch records
# (kpl-evil, fixtures/evil.c), and root's kpl reads them.  kpl must not
# crash (this runs the ASan build), must print nothing raw, must keep
# --json valid, must remove what is garbage and must leave the process
# alive.  Also: patch files that are not regular files, a library only
# mmap'ed to be read, a non-root user patching their own process.
. "$(dirname "$0")/lib.sh"

NOBODY="setpriv --reuid=65534 --regid=65534 --clear-groups"
touch "$T/stamp"
ESC=$(printf '\033')
BEL=$(printf '\007')
# nobody runs copies it can reach.
chmod 755 "$T"
mkdir -p "$T/pub/keys"
cp "$IT_DIR/kpl-evil" "$IT_DIR/kpl-spin" "$IT_DIR/libspin.so.1" "$T/pub/"
cp "$IT_DIR/spin10.kpl" "$TRUSTED"/*.pub "$T/pub/keys/"
kplbin=$(readlink -f "$KPL")
cp "$kplbin" "$T/pub/kpl-copy"
chmod -R a+rX "$T/pub"

# start_evil NAME MODE: kpl-evil as nobody; sets $EVIL
start_evil() {
	$NOBODY "$T/pub/kpl-evil" "$2" "$T/pub/libspin.so.1" \
		>"$T/$1.out" 2>&1 &
	EVIL=$!
	PIDS="$PIDS $EVIL"
	wait_ready "$T/$1.out" "kpl-evil $2"
}
no_raw() { ! grep -q "[$ESC$BEL]" "$@"; }
# json_ok FILE: a JSON parser accepts it (python3, else jq)
json_ok() {
	if command -v python3 >/dev/null; then
		python3 -m json.tool "$1" >/dev/null
	else
		jq . "$1" >/dev/null
	fi
}
has_memfd() { grep -q "/memfd:kpl:$2" "/proc/$1/maps"; }

# 1. A forged APPLIED record with len 4096: a replace patch used to read
# 4096 bytes into a 16-byte buffer.  Now the record is garbage.
start_evil ov overflow || exit 1
P=$EVIL
expect_rc 0 "replace patch applies over a forged record with len 4096" \
	"$KPL" apply --keys "$TRUSTED" -p "$P" "$IT_DIR/spin_replace.kpl"
check "  no sanitizer report" sh -c "! grep -q 'Sanitizer' '$T/cmd.err'"
check "  the forged mapping was removed and said so" \
	grep -q 'removed /memfd:kpl:EVIL.*no valid patch record.*length 4096' \
	"$T/cmd.err"
check "  and is gone from the process" sh -c "! grep -q memfd:kpl:EVIL /proc/$P/maps"
expect_rc 0 "  the replace patch reverts" "$KPL" revert -p "$P" SPIN-R
check "  target alive" alive "$P"

# 2. Huge counts.
start_evil cn counts || exit 1
P=$EVIL
expect_rc 0 "status of a record with nr_funcs 0xffffffff" "$KPL" status -p "$P"
check "  reports the garbage it removed" grep -q 'function count 4294967295' "$T/cmd.err"
check "  mapping removed" sh -c "! grep -q memfd:kpl:EVIL /proc/$P/maps"
check "  target alive" alive "$P"

# 3. Terminal escapes in the memfd name, id, description and soname.
start_evil es escapes || exit 1
P=$EVIL
expect_rc 0 "status of a record full of escapes" "$KPL" status -p "$P"
check "  nothing raw on stdout or stderr" no_raw "$T/cmd.out" "$T/cmd.err"
check "  the name is shown escaped" grep -q 'kpl:EV\\x1b\]0;owned-by-nobody\\x07' "$T/cmd.err"
check "  mapping removed" sh -c "! grep -q memfd:kpl:EV /proc/$P/maps"
check "  target alive" alive "$P"

# 4. A record that passes every check, with a description that is not
# UTF-8: text escaped, JSON valid.
start_evil va valid || exit 1
P=$EVIL
expect_rc 0 "status --json of a valid forged record" "$KPL" status -p "$P" --json
check "  JSON valid" json_ok "$T/cmd.out"
check "  bytes that are not UTF-8 become U+FFFD" grep -q 'not utf-8: \\ufffd\\ufffd \\ufffd end \\"q\\" \\\\' "$T/cmd.out"
expect_rc 0 "status (all processes) --json" "$KPL" status --json
check "  JSON valid" json_ok "$T/cmd.out"
expect_rc 0 "status (all processes) as text" "$KPL" status
check "  nothing raw" no_raw "$T/cmd.out" "$T/cmd.err"
expect_rc 4 "revert of the forged patch refused: its jump is not there" \
	"$KPL" revert -p "$P" EVIL
check "  target alive" alive "$P"

# 5. A mapping named like a patch with no record is garbage: the next
# command that opens the process removes it, and says so.
start_evil gb garbage || exit 1
P=$EVIL
expect_rc 0 "status of a patch mapping with no record" "$KPL" status -p "$P"
check "  says it removed it" grep -q 'removed /memfd:kpl:junk.*no valid patch record' "$T/cmd.err"
check "  mapping removed" sh -c "! grep -q memfd:kpl:junk /proc/$P/maps"
check "  target alive" alive "$P"

# 6. A record rewritten while kpl reads it.
start_evil fl flip || exit 1
P=$EVIL
bad=0
i=0
while [ $i -lt 15 ]; do
	i=$((i + 1))
	"$KPL" status -p "$P" --json >"$T/fl.json" 2>"$T/fl.err" || bad=$((bad + 1))
	json_ok "$T/fl.json" || bad=$((bad + 1))
	"$KPL" apply --keys "$TRUSTED" -p "$P" "$IT_DIR/spin_replace.kpl" \
		>/dev/null 2>>"$T/fl.err" || bad=$((bad + 1))
	"$KPL" revert -p "$P" SPIN-R >/dev/null 2>>"$T/fl.err" || bad=$((bad + 1))
done
check "15 status/apply/revert rounds on a flipping record all succeed" [ $bad -eq 0 ]
check "  no sanitizer report" sh -c "! grep -q Sanitizer '$T/fl.err'"
check "  target alive" alive "$P"

# 6b. Forged unwind trailers and tables (issue 13): the activeness
# check reads them back from every patch mapping when it loads the
# process's modules, validates record, trailer and table, and then
# hands libdw only what passed.  An apply goes on whatever they say.
for mode in unwind unwind-out unwind-table; do
	start_evil uw $mode || exit 1
	U=$EVIL
	expect_rc 0 "apply beside a forged unwind table ($mode)" \
		"$KPL" apply -vv --keys "$TRUSTED" -p "$U" "$IT_DIR/spin1.kpl"
	case $mode in
	unwind-out) check "  the trailer is refused" \
		grep -q 'unwind table .* outside' "$T/cmd.err" ;;
	unwind-table) check "  the table is refused" \
		grep -q 'patch EVIL: unwind table refused: FDE whose CIE' \
		"$T/cmd.err" ;;
	esac
	check "  no sanitizer report" sh -c "! grep -q Sanitizer '$T/cmd.err'"
	# kpl symfile (for gdb) reads the same: the record's names always,
	# the table only when it passed.
	expect_rc 0 "  kpl symfile of the forged patch" \
		"$KPL" symfile -p "$U" -o "$T/evil.elf" EVIL
	check "  no sanitizer report" sh -c "! grep -q Sanitizer '$T/cmd.err'"
	check "  names its function" \
		sh -c "readelf -sW '$T/evil.elf' | grep -q ' spin_f5$'"
	ehsize=$(readelf -SW "$T/evil.elf" | sed -n \
		's/.* \.eh_frame  *PROGBITS  *[0-9a-f]*  *[0-9a-f]*  *\([0-9a-f]*\) .*/\1/p')
	case $mode in
	unwind) want=000044 ;; # 64 bytes and the terminator
	*) want=000000 ;;
	esac
	check "  with the table only if it passed ($ehsize)" [ "$ehsize" = $want ]
	expect_rc 0 "  and reverted" "$KPL" revert -p "$U" SPIN-1
	check "  target alive" alive "$U"
	kill "$U"
done

# 7. Patch files that are not regular files never block and exit 3.
mkfifo "$T/fifo.kpl"
for cmd in info check apply; do
	case $cmd in
	info) set -- "$KPL" info "$T/fifo.kpl" ;;
	*) set -- "$KPL" "$cmd" --keys "$TRUSTED" -p "$P" "$T/fifo.kpl" ;;
	esac
	# timeout only stops a hang: the assertion is the exit code.
	expect_rc 3 "kpl $cmd of a FIFO does not block" timeout 60 "$@"
done
check "  the error says what is wrong" grep -q 'not a regular file (a FIFO)' "$T/cmd.err"
mkdir "$T/dir.kpl"
expect_rc 3 "a directory as patch" "$KPL" info "$T/dir.kpl"
ln -s loop2.kpl "$T/loop1.kpl" && ln -s loop1.kpl "$T/loop2.kpl"
expect_rc 3 "a symlink loop as patch" "$KPL" apply --keys "$TRUSTED" -p "$P" "$T/loop1.kpl"
truncate -s 65M "$T/big.kpl"
expect_rc 3 "an oversized patch" "$KPL" check --keys "$TRUSTED" -p "$P" "$T/big.kpl"

# 8. A library only mmap'ed read-only is not a target, alone or in a
# fleet.
start_evil ro romap || exit 1
R=$EVIL
expect_rc 4 "a process that only mmaps the library is not patched" \
	"$KPL" apply --keys "$TRUSTED" -p "$R" "$IT_DIR/spin10.kpl"
check "  and not touched" sh -c "! grep -q memfd:kpl /proc/$R/maps"
start_spin fleet --threads 2 || exit 1
S=$SPIN_PID
expect_rc 0 "apply --all" "$KPL" apply --all --json --keys "$TRUSTED" "$IT_DIR/spin10.kpl"
check "  JSON valid" json_ok "$T/cmd.out"
check "  covers the real target" grep -q "\"pid\":$S," "$T/cmd.out"
check "  not the read-only mapper" sh -c "! grep -q '\"pid\":$R,' '$T/cmd.out'"
"$KPL" revert --all SPIN-10 >/dev/null 2>&1
nt=$(ls "/proc/$S/task" | wc -l)
expect_rc 0 "apply -vv" "$KPL" apply -vv --keys "$TRUSTED" -p "$S" "$IT_DIR/spin10.kpl"
check "  prints the real thread count ($nt threads)" grep -q "($nt threads)" "$T/cmd.err"
"$KPL" revert -p "$S" SPIN-10 >/dev/null 2>&1

# 9. kpl and kpld are never patched (they map libraries too).
mkdir -p "$T/pub/bin" && cp "$T/pub/kpl-evil" "$T/pub/bin/kpl" && chmod -R a+rX "$T/pub/bin"
$NOBODY "$T/pub/bin/kpl" valid "$T/pub/libspin.so.1" >"$T/k.out" 2>&1 &
K=$!
PIDS="$PIDS $K"
wait_ready "$T/k.out" "kpl-spin run as kpl"
expect_rc 7 "a process running kpl is refused" \
	"$KPL" apply --keys "$TRUSTED" -p "$K" "$IT_DIR/spin10.kpl"

# 10. A tampered file: kpl info describes it and exits 3.
cp "$IT_DIR/spin10.kpl" "$T/tampered.kpl"
sz=$(stat -c %s "$T/tampered.kpl")
printf 'X' | dd of="$T/tampered.kpl" bs=1 seek=$((sz / 2)) conv=notrunc 2>/dev/null
expect_rc 3 "kpl info --keys of a tampered patch" "$KPL" info --keys "$TRUSTED" "$T/tampered.kpl"
check "  says NOT verified" grep -q 'NOT verified' "$T/cmd.out"

# 11. A target that dies mid-command: exit 7, whatever the command was
# doing (reading its memory, stopping it, writing).  Apply and revert run
# in a loop; the target is killed once a few rounds are done.
start_spin die --threads 4 || exit 1
D=$SPIN_PID
(
	i=0
	while [ $i -lt 40 ]; do
		i=$((i + 1))
		"$KPL" apply --keys "$TRUSTED" -p "$D" "$IT_DIR/spin10.kpl" \
			>/dev/null 2>>"$T/die.err"
		echo "$?" >>"$T/die.rc"
		"$KPL" revert -p "$D" SPIN-10 >/dev/null 2>>"$T/die.err"
		echo "$?" >>"$T/die.rc"
	done
) &
L=$!
_w=0
while [ "$(cat "$T/die.rc" 2>/dev/null | wc -l)" -lt 6 ] && [ $_w -lt 600 ]; do
	_w=$((_w + 1))
	sleep 0.05
done
kill -KILL "$D"
wait "$L"
check "every command exits 0 or, once the target is dead, 7" \
	sh -c "! grep -qv '^[07]\$' '$T/die.rc'"
sort "$T/die.rc" | uniq -c | awk '{print "#   exit " $2 ": " $1 " commands"}'
grep -v "exited during\|No such process" "$T/die.err" | sed 's/^/#   /' | head -8
check "  the commands after the death exit 7" [ "$(tail -1 "$T/die.rc")" = 7 ]
check "  no sanitizer report" sh -c "! grep -q Sanitizer '$T/die.err'"

# 12. Lock files are removed after use, and a non-root user patches
# their own process.
# no_lock PID...: no lock file this run left for them, where this kpl
# keeps them or where earlier ones did
no_lock() {
	for _p; do
		[ -z "$(find /run/kpatch-lite /tmp/kpatch-lite-* -name "$_p.lock" \
			-newer "$T/stamp" 2>/dev/null)" ] || return 1
	done
}
check "no lock file left for the processes above" no_lock "$P" "$S" "$R"
$NOBODY "$T/pub/kpl-spin" --threads 2 >"$T/own.out" 2>&1 &
O=$!
PIDS="$PIDS $O"
wait_ready "$T/own.out" "nobody's kpl-spin"
expect_rc 0 "nobody applies a patch to its own process" \
	$NOBODY "$T/pub/kpl-copy" apply --keys "$T/pub/keys" -p "$O" "$T/pub/keys/spin10.kpl"
expect_rc 0 "  and reverts it" $NOBODY "$T/pub/kpl-copy" revert -p "$O" SPIN-10
check "  no lock file left" no_lock "$O"
