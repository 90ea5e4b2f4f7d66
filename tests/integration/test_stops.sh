#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# What kpl does inside its stops (docs/engine.md "Stops"), seen by
# strace: while the thread borrowed for the injected syscalls is held,
# kpl reads nothing from /proc (the gadget search and its maps read
# happen before the stop), and in the all-thread stop of a revert, which
# asks both whether the patch's code is busy and whether its mapping
# may go, each thread's stack is read once.
. "$(dirname "$0")/lib.sh"

if ! command -v strace >/dev/null; then
	notok "strace is installed (make deps installs it)"
	exit 1
fi

# stops FILE: one line per stop in an strace -f log: "borrowed" or
# "all", then each pread64 of the stop as FD:LEN:OFFSET, each openat
# as "open" and each process_vm_readv as "vm".  A stop runs from the first PTRACE_INTERRUPT to the
# PTRACE_DETACH of the last thread it held; the borrowed one is the stop
# with PTRACE_SETREGSET (the injected syscalls: only they set registers).
stops() {
	awk '
	/PTRACE_INTERRUPT/ {
		if (!held) { kind = "all"; line = "" }
		held++
		next
	}
	held && /PTRACE_SETREGSET/ { kind = "borrowed" }
	held && /pread64\(/ && match($0, /pread64\([0-9]+, .*, [0-9]+, [0-9]+\) =/) {
		s = substr($0, RSTART, RLENGTH)
		sub(/^pread64\(/, "", s); sub(/\) =$/, "", s)
		n = split(s, a, ", ")
		line = line " " a[1] ":" a[n - 1] ":" a[n]
	}
	held && /openat\(/ { line = line " open" }
	held && /process_vm_readv\(/ { line = line " vm" }
	held && /PTRACE_DETACH/ {
		if (--held == 0) print kind line
	}' "$1"
}

# injected FILE: "R I C S" for each borrowed stop: its PTRACE_SYSCALL
# resumes (two per injected syscall: to its entry and to its exit), its
# PTRACE_GET_SYSCALL_INFO reads (only the exit is read), its PTRACE_CONT
# resumes and PTRACE_GETSIGINFO reads (one each for a chain of syscalls
# run at once, ended by its own signal's stop).
injected() {
	awk '
	/PTRACE_INTERRUPT/ { if (!held) { b = 0; r = 0; i = 0; c = 0; s = 0 } held++; next }
	held && /PTRACE_SETREGSET/ { b = 1 }
	held && /ptrace\(PTRACE_SYSCALL,/ { r++ }
	held && /PTRACE_GET_SYSCALL_INFO/ { i++ }
	held && /ptrace\(PTRACE_CONT,/ { c++ }
	held && /PTRACE_GETSIGINFO/ { s++ }
	held && /PTRACE_DETACH/ { if (--held == 0 && b) print r, i, c, s }' "$1"
}

start_spin a --threads 1 || exit 1
P=$SPIN_PID
# LeakSanitizer cannot run under a tracer: an ASan kpl would fail at exit.
ST="env ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0
	strace -f -s 0 -e trace=ptrace,openat,pread64,pwrite64,pidfd_open,close,process_vm_readv"

expect_rc 0 "apply under strace" $ST -o "$T/apply.st" \
	"$KPL" apply --keys "$TRUSTED" -p "$P" "$IT_DIR/spin1.kpl"
expect_rc 0 "revert under strace" $ST -o "$T/revert.st" \
	"$KPL" revert -p "$P" SPIN-1
stops "$T/apply.st" >"$T/apply.stops"
stops "$T/revert.st" >"$T/revert.stops"
sed 's/^/#   apply stop: /' "$T/apply.stops"
sed 's/^/#   revert stop: /' "$T/revert.stops"

# A busy stack (the spinning thread inside spin_f0) makes an all-thread
# stop retry: count borrowed stops exactly, all-thread ones at least.
check "apply: one borrowed stop and an all-thread stop" \
	[ "$(grep -c '^borrowed' "$T/apply.stops")" = 1 -a \
	  "$(grep -c '^all' "$T/apply.stops")" -ge 1 ]
check "revert: an all-thread stop and one borrowed stop" \
	[ "$(grep -c '^borrowed' "$T/revert.stops")" = 1 -a \
	  "$(grep -c '^all' "$T/revert.stops")" -ge 1 ]
# Once its threads are stopped, the all-thread stop reads the thread
# count in /proc/PID/stat (open since before the stop) rather than list
# /proc/PID/task again: it opens nothing.
check "apply's all-thread stops open nothing (no /proc/PID/task listing)" \
	[ -z "$(grep '^all.* open' "$T/apply.stops")" ]
check "revert's all-thread stops open nothing (no /proc/PID/task listing)" \
	[ -z "$(grep '^all.* open' "$T/revert.stops")" ]
check "apply's borrowed stop reads nothing (no maps, no libc scan)" \
	[ "$(grep '^borrowed' "$T/apply.stops")" = borrowed ]
check "revert's borrowed stop reads nothing (no maps, no libc scan)" \
	[ "$(grep '^borrowed' "$T/revert.stops")" = borrowed ]
# memfd_create, a syscall entry and exit, only the exit read (kpl sizes
# the memfd itself); then, in one chain, the region's mmaps (one per
# run of one protection), the image page's below it (for eu-stack) and
# close, run at once and ended by the thread's own SIGURG, whose stop is
# read once (docs/engine.md, "Stops").  The revert's borrowed stop is
# one munmap, the page with the region, as a chain of one.
inj=$(injected "$T/apply.st")
echo "#   apply's injected syscalls: $inj (syscall resumes, reads; chain resumes, reads)"
check "apply's borrowed stop: memfd_create injected, the rest one chain" \
	[ "$inj" = "2 1 1 1" ]
# Before its first injected syscall the borrowed stop writes the
# insurance frame and, below it, the close-on-death step frame in one
# write; the target's pidfd (for sizing the memfd from here) is opened
# before the stop and closed after it.
prep=$(awk '
	/PTRACE_INTERRUPT/ { if (!held) { w = 0; pfd = 0; inj = 0 } held++; next }
	held && /PTRACE_SETREGSET/ { inj = 1 }
	held && !inj && /pwrite64\(/ { w++ }
	held && /pidfd_open\(/ { pfd++ }
	held && /PTRACE_DETACH/ { if (--held == 0 && inj) print w, pfd }' \
	"$T/apply.st")
echo "#   apply's borrowed stop: writes before the first syscall, pidfd_opens: $prep"
check "apply's borrowed stop: one write before its syscalls, no pidfd_open" \
	[ "$prep" = "1 0" ]
inj=$(injected "$T/revert.st")
check "revert's borrowed stop: its munmap, a chain of one" \
	[ "$inj" = "0 0 1 1" ]
# A chain's step frames reset the FPU, and its last one takes the
# thread's own state back from the insurance frame: kpl never sets it.
check "apply and revert set no FPU state (the chain's last frame does)" \
	[ "$(grep -c 'PTRACE_SETREGSET.*NT_X86_XSTATE' "$T/apply.st" \
	     "$T/revert.st" | grep -vc ':0$')" = 0 ]
# /proc/PID/maps is read before the apply and once after its chain; the
# all-thread stop's stack walk takes the second read, not a third.
nmaps=$(grep -c "openat(.*\"/proc/$P/maps\"" "$T/apply.st")
echo "#   apply reads /proc/$P/maps $nmaps times"
check "apply reads the target's maps twice: before, and after its chain" \
	[ "$nmaps" = 2 ]
# The last all-thread stop is the one that wrote: nothing on a stack.
# Its threads' stacks are read with one process_vm_readv for them all
# (stacks.c), and nothing is read twice (the verify's read of the
# entries' span is a pread).  A stop that finds a frame in the patch
# asks again to tell busy from keep-out; that one retries.
last=$(grep '^all' "$T/revert.stops" | tail -1)
echo "$last" | tr ' ' '\n' | grep : >"$T/reads"
check "revert's all-thread stop reads the stacks at once, nothing twice" \
	[ "$(echo "$last" | tr ' ' '\n' | grep -c '^vm$')" = 1 -a \
	  -s "$T/reads" -a -z "$(sort "$T/reads" | uniq -d)" ]
r=$(report a "$P")
check "target alive, original code back: f0=0" [ "$(field "$r" f0)" = 0 ]

# A 10-function patch's entries lie close together: apply and revert
# read them in one read of their span (before the stop, and again in the
# all-thread stop to verify), never one short read per entry.  Counted:
# reads starting inside one of spin_f0..f9, shorter than it (an entry
# alone) or longer (a span).
base=$(awk '$6 ~ /libspin/ && $3 == "00000000" {
	split($1, a, "-"); print a[1]; exit }' "/proc/$P/maps")
readelf -Ws --dyn-syms "$IT_DIR/libspin.so.1" |
	awk '$8 ~ /^spin_f[0-9]$/ { print $2, $3 }' | sort -u |
	while read -r v sz; do echo $((0x$base + 0x$v)) "$sz"; done >"$T/funcs"
entry_reads() {
	awk -v funcs="$T/funcs" '
	BEGIN {
		while ((getline l < funcs) > 0) {
			split(l, a, " "); lo[++nf] = a[1] + 0; sz[nf] = a[2] + 0
		}
	}
	/pread64\(/ && match($0, /, [0-9]+, [0-9]+\) =/) {
		s = substr($0, RSTART + 2, RLENGTH - 5)
		split(s, a, ", "); len = a[1] + 0; off = a[2] + 0
		for (i = 1; i <= nf; i++)
			if (off >= lo[i] && off < lo[i] + sz[i]) {
				if (len < sz[i]) alone++; else span++
			}
	}
	END { print alone + 0, span + 0 }' "$1"
}
expect_rc 0 "apply 10 functions under strace" $ST -o "$T/apply10.st" \
	"$KPL" apply --keys "$TRUSTED" -p "$P" "$IT_DIR/spin10.kpl"
expect_rc 0 "revert 10 functions under strace" $ST -o "$T/revert10.st" \
	"$KPL" revert -p "$P" SPIN-10
a=$(entry_reads "$T/apply10.st")
r=$(entry_reads "$T/revert10.st")
echo "#   entry reads alone, span reads: apply $a, revert $r"
check "apply and revert read the 10 entries as spans, none alone" \
	[ "$(wc -l <"$T/funcs")" = 10 -a "${a% *}" = 0 -a "${r% *}" = 0 \
	  -a "${a#* }" -ge 2 -a "${r#* }" -ge 2 ]
r=$(report a "$P")
check "target alive after the 10-function cycle: f0=0" [ "$(field "$r" f0)" = 0 ]

# Threads that come and go during the stops: each all-thread stop must
# hold them all (the thread count in /proc/PID/stat says when one
# appeared after the listing, and /proc/PID/task is read again), and no
# thread may stay traced or stopped afterwards.
start_spin churn --threads 2 --churn 2 || exit 1
C=$SPIN_PID
rounds=0
for i in $(seq 1 20); do
	"$KPL" apply --keys "$TRUSTED" -p "$C" "$IT_DIR/spin1.kpl" \
		>>"$T/churn.log" 2>&1 &&
		"$KPL" revert -p "$C" SPIN-1 >>"$T/churn.log" 2>&1 &&
		rounds=$((rounds + 1))
done
echo "#   churn: $(ls /proc/$C/task | wc -l) threads now, $rounds rounds passed"
check "20 apply/revert rounds on a process churning threads" \
	[ "$rounds" = 20 ]
traced=$(grep -l '^TracerPid:[[:space:]]*[1-9]' /proc/$C/task/*/status \
	2>/dev/null | wc -l)
check "no thread of it left traced" [ "$traced" = 0 ]
r=$(report churn "$C")
check "churning target alive, original code: f0=0" [ "$(field "$r" f0)" = 0 ]
