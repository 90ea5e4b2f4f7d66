#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The ptrace backend's gadgets (a 'syscall; ret' and the rt_sigreturn
# trampoline in the target's text) are searched once per libc file per
# command (backend/ptrace_gadget.c): the next process of a fleet reads
# only the bytes at the offsets the search found, rebased onto its own
# mapping, and searches its text in full when they differ there.
#
# Four idle kpl-spin, patched by one worker in pid order:
#   A searches libc and the command keeps where;
#   B's own copy of libc's text has that 'syscall; ret' turned into
#     'ud2; ret' (written through /proc/B/mem): the kept offset no longer
#     holds a gadget there, and B must be searched (used unchecked, the
#     injected syscall would raise SIGILL and kill B);
#   C reuses what was kept: not one window of its text is read;
#   D runs a copy of libc from another path (another file): searched.
. "$(dirname "$0")/lib.sh"

if ! command -v strace >/dev/null; then
	notok "strace is installed (make deps installs it)"
	exit 1
fi
D=$(cd "$IT_DIR" && pwd)
# What an earlier command kept across commands (test_gadget_cache.sh)
# would spare A its search.
rm -f /run/kpatch-lite/gadgets

start_spin a --threads 2 --idle || exit 1
PA=$SPIN_PID
start_spin b --threads 2 --idle || exit 1
PB=$SPIN_PID
start_spin c --threads 2 --idle || exit 1
PC=$SPIN_PID
LIBC=$(awk '$2 ~ /x/ && $6 ~ /\/libc\.so/ { print $6; exit }' "/proc/$PA/maps")
mkdir "$T/lib" && cp "$LIBC" "$T/lib/" || exit 1
LD_LIBRARY_PATH=$T/lib start_spin d --threads 2 --idle || exit 1
PD=$SPIN_PID
check "D maps the copy of libc" grep -q "$T/lib/libc" "/proc/$PD/maps"
check "the pids are in start order (the fleet's order)" \
	[ "$PA" -lt "$PB" -a "$PB" -lt "$PC" -a "$PC" -lt "$PD" ]

# The first 'syscall; ret' in B's libc text, which a search finds first.
check "B's first 'syscall; ret' in libc becomes 'ud2; ret'" python3 - "$PB" <<'PY'
import sys
pid = sys.argv[1]
for l in open('/proc/%s/maps' % pid):
    f = l.split()
    if len(f) >= 6 and 'x' in f[1] and '/libc.so' in f[5]:
        lo, hi = (int(x, 16) for x in f[0].split('-'))
        break
with open('/proc/%s/mem' % pid, 'r+b', buffering=0) as m:
    m.seek(lo)
    i = m.read(hi - lo).find(b'\x0f\x05\xc3')
    if i < 0:
        sys.exit(1)
    m.seek(lo + i)
    m.write(b'\x0f\x0b')
    print('# ud2 at %#x' % (lo + i))
PY

# LeakSanitizer cannot run under a tracer: an ASan kpl would fail at exit.
expect_rc 0 "apply --all, one worker" \
	env ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
	strace -f -y -s 64 -o "$T/st" -e trace=openat,pread64 \
	"$KPL" apply --all --jobs 1 --exe "$D/kpl-spin" --keys "$TRUSTED" \
	"$IT_DIR/spin1.kpl"
# windows PID: the 64 KiB reads of text (the search's windows) made
# while kpl worked on PID (from its open of /proc/PID/mem on).
awk '/openat\(.*"\/proc\/[0-9]+\/mem"/ {
	match($0, /\/proc\/[0-9]+\/mem/)
	cur = substr($0, RSTART + 6, RLENGTH - 10)
}
/pread64\(.*, 65536, [0-9]+\) = / { w[cur]++ }
END { for (p in w) print p, w[p] }' "$T/st" >"$T/windows"
windows() { awk -v p="$1" '$1 == p { print $2 }' "$T/windows"; }
echo "# windows read: A $(windows $PA), B $(windows $PB), C $(windows $PC), D $(windows $PD)"
check "A's libc was searched" [ "$(windows $PA)" -gt 0 ]
check "B, whose copy differs at the kept offset, was searched" \
	[ "$(windows $PB)" -gt 0 ]
check "C reused the kept offsets: no window read" [ -z "$(windows $PC)" ]
check "D, another libc file, was searched" [ "$(windows $PD)" -gt 0 ]
# The patched function's bytes come from the library file (share.c): one
# read for the command, not one per process (all four map the same
# libspin.so.1).
lib_reads=$(grep -c 'pread64([0-9]*<[^>]*/libspin\.so\.1>' "$T/st")
echo "# reads of libspin.so.1: $lib_reads"
check "the library file is read once for 4 processes" [ "$lib_reads" = 1 ]
for p in $PA $PB $PC $PD; do
	check "pid $p has SPIN-1" grep -q 'kpl:SPIN-1' "/proc/$p/maps"
done
expect_rc 0 "revert --all" \
	"$KPL" revert --all --jobs 1 --exe "$D/kpl-spin" SPIN-1
for p in $PA $PB $PC $PD; do
	check "pid $p alive, SPIN-1 gone" \
		sh -c "kill -0 $p && ! grep -q kpl:SPIN-1 /proc/$p/maps"
done
