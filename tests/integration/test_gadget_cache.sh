#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Where the ptrace backend found its gadgets in libc is kept across
# commands in /run/kpatch-lite/gadgets (backend/ptrace_gadget.c), keyed
# by the file's device, inode, size and mtime, so a single-process apply
# does not search libc's text every time.  The file is a hint: an entry
# is used only where the process's own bytes hold that gadget, so a
# forged one costs a search, never a wrong gadget; a file that is not
# root's alone is not read at all.
. "$(dirname "$0")/lib.sh"

if ! command -v strace >/dev/null; then
	notok "strace is installed (make deps installs it)"
	exit 1
fi
if [ "$(id -u)" != 0 ]; then
	echo "1..0 # SKIP the cache is root's (kpl runs as root here only)"
	exit 0
fi
C=/run/kpatch-lite/gadgets
rm -f "$C"

# apply_counted NAME PID: apply spin1.kpl under strace; the number of
# 64 KiB reads of the target's text (the search's windows) in $T/NAME.w
apply_counted() {
	# LeakSanitizer cannot run under a tracer.
	expect_rc 0 "$1: apply" \
		env ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
		strace -o "$T/$1.st" -e trace=pread64 \
		"$KPL" apply -p "$2" --keys "$TRUSTED" "$IT_DIR/spin1.kpl"
	grep -c ', 65536, [0-9]*) = ' "$T/$1.st" >"$T/$1.w"
	echo "# $1: $(cat "$T/$1.w") windows read"
}
# patched_then_reverted NAME PID: SPIN-1 in its maps, then reverted
patched_then_reverted() {
	check "  $1 has SPIN-1" grep -q 'kpl:SPIN-1' "/proc/$2/maps"
	expect_rc 0 "  $1: revert" "$KPL" revert -p "$2" SPIN-1
	check "  $1 alive, SPIN-1 gone" \
		sh -c "kill -0 $2 && ! grep -q kpl:SPIN-1 /proc/$2/maps"
}
# offsets: the first entry's two offsets (file layout in ptrace_gadget.c)
offsets() {
	python3 - "$C" <<'PY'
import struct, sys
b = open(sys.argv[1], 'rb').read()
print(*struct.unpack_from('<QQ', b, 16 + 40))
PY
}

start_spin a --threads 2 --idle || exit 1
PA=$SPIN_PID
apply_counted a "$PA"
check "  with no cache, libc is searched" [ "$(cat "$T/a.w")" -gt 0 ]
check "  and the cache is written, root's, mode 0644" \
	sh -c "[ \"\$(stat -c '%u %a %s' $C)\" = '0 644 464' ]"
patched_then_reverted a "$PA"
good=$(offsets)
echo "# kept offsets: $good"

start_spin b --threads 2 --idle || exit 1
PB=$SPIN_PID
apply_counted b "$PB"
check "  another process reuses the cache: no window read" \
	[ "$(cat "$T/b.w")" = 0 ]
patched_then_reverted b "$PB"

# Forged: both offsets one byte on, the key unchanged.  Used unchecked,
# the injected syscall would run from the middle of an instruction.
python3 - "$C" <<'PY'
import struct, sys
b = bytearray(open(sys.argv[1], 'rb').read())
s, r = struct.unpack_from('<QQ', b, 16 + 40)
struct.pack_into('<QQ', b, 16 + 40, s + 1, r + 1)
open(sys.argv[1], 'wb').write(b)
PY
check "the entry is forged" [ "$(offsets)" != "$good" ]
start_spin c --threads 2 --idle || exit 1
PC=$SPIN_PID
apply_counted c "$PC"
check "  a forged entry is not believed: libc is searched" \
	[ "$(cat "$T/c.w")" -gt 0 ]
patched_then_reverted c "$PC"
check "  and the entry is the true one again" [ "$(offsets)" = "$good" ]

# A true entry in a file someone else may write is not read.
chown nobody "$C"
start_spin d --threads 2 --idle || exit 1
PD=$SPIN_PID
apply_counted d "$PD"
check "  a cache not owned by root is ignored: libc is searched" \
	[ "$(cat "$T/d.w")" -gt 0 ]
check "  and replaced by root's" \
	sh -c "[ \"\$(stat -c '%u %a' $C)\" = '0 644' ]"
patched_then_reverted d "$PD"
chmod 666 "$C"
start_spin e --threads 2 --idle || exit 1
PE=$SPIN_PID
apply_counted e "$PE"
check "  nor is one that others may write" [ "$(cat "$T/e.w")" -gt 0 ]
patched_then_reverted e "$PE"
rm -f "$C"
