#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The unwinder reads each file's CFI once per command and shares it
# between the processes of a fleet (share.c), but only between processes
# that map the very same file.  Two kpl-cfiwait processes map
# libcfiwait.so.1 at the same path: the first the FRAME 8 build, the
# second, in its own mount namespace as in a container, the FRAME 24
# build bound over that path (another inode, another build-id).  Each
# waits in cfi_wait() with words pointing into spin_f0 on its stack, so
# the activeness check of SPIN-1 unwinds both.  Unwound with the first
# one's CFI, the second one's stack has spin_f0 as a return address and
# would be refused as busy; with its own, neither is busy.
. "$(dirname "$0")/lib.sh"

D=$(cd "$IT_DIR" && pwd)
LIB=$D/cfiwait/libcfiwait.so.1
"$D/kpl-cfiwait" >"$T/a.out" 2>&1 &
A=$!
PIDS="$PIDS $A"
wait_ready "$T/a.out" kpl-cfiwait || exit 1
unshare -m --propagation private sh -c "mount --bind \
	'$D/cfiwait24/libcfiwait.so.1' '$LIB' && exec '$D/kpl-cfiwait'" \
	>"$T/b.out" 2>&1 &
B=$!
PIDS="$PIDS $B"
wait_ready "$T/b.out" kpl-cfiwait || exit 1

# A third process maps the first one's file: its unwind reuses that Elf
# (libelf's reference count, released by each process's dwfl_end()).
"$D/kpl-cfiwait" >"$T/c.out" 2>&1 &
C=$!
PIDS="$PIDS $C"
wait_ready "$T/c.out" kpl-cfiwait || exit 1

# inode of libcfiwait in PID's maps, as the maps name its path
lib_inode() { awk -v p="$LIB" '$6 == p { print $5; exit }' "/proc/$1/maps"; }
IA=$(lib_inode "$A")
IB=$(lib_inode "$B")
check "both map libcfiwait.so.1 at the same path, different files" \
	[ -n "$IA" ] && [ -n "$IB" ] && [ "$IA" != "$IB" ]

# One worker: the first process (the FRAME 8 build) is unwound first, so
# a cache keyed by path would hand its CFI to the second.  No file is
# opened by name: every one comes from the cache, through map_files.
# (LeakSanitizer cannot run under strace; the revert below checks leaks.)
expect_rc 0 "apply --all: no process is busy" \
	env ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
	strace -f -o "$T/st" -e trace=openat "$KPL" apply --all --jobs 1 \
	--timeout 300 --exe "$D/kpl-cfiwait" --keys "$TRUSTED" \
	"$IT_DIR/spin1.kpl"
grep -i 'busy\|unwind\|applied' "$T/cmd.err" "$T/cmd.out" | sed 's/^/# /'
check "libcfiwait was never opened by its path" \
	sh -c "! grep -q 'openat(.*cfiwait/libcfiwait' '$T/st'"
check "the first process has SPIN-1" grep -q 'kpl:SPIN-1' "/proc/$A/maps"
check "the second process has SPIN-1" grep -q 'kpl:SPIN-1' "/proc/$B/maps"
check "the third process has SPIN-1" grep -q 'kpl:SPIN-1' "/proc/$C/maps"
expect_rc 0 "revert --all" \
	"$KPL" revert --all --exe "$D/kpl-cfiwait" SPIN-1
check "targets alive" alive "$A" && alive "$B" && alive "$C"
