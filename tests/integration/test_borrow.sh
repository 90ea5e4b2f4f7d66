#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Which thread the ptrace backend borrows for its injected syscalls
# (docs/engine.md, "Stops"): one asleep in a system call the kernel
# restarts by itself (nanosleep, futex, poll...), so that no running
# thread loses the borrowed stop and no thread sees an EINTR it would not
# have seen; else the first (the main thread).  Seen by strace: the
# borrowed thread is the one whose registers kpl sets.
. "$(dirname "$0")/lib.sh"

if ! command -v strace >/dev/null; then
	notok "strace is installed (make deps installs it)"
	exit 1
fi

# LeakSanitizer cannot run under ptrace: the ASan kpl under strace
# without it.
ST="env ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0
	strace -f -e trace=ptrace,openat"

# borrowed LOG: the thread kpl borrowed, in an strace log: the one
# whose registers it set (the injected syscalls' are the only registers
# kpl sets)
borrowed() {
	sed -n 's/.*ptrace(PTRACE_SETREGSET, \([0-9]*\),.*/\1/p' "$1" | head -1
}

# syscall_of PID TID: the first word of the thread's syscall file
syscall_of() {
	cut -d' ' -f1 "/proc/$1/task/$2/syscall" 2>/dev/null
}

# kpl-spin --threads 4: the main thread in sigwait, one thread spinning,
# one asleep in read(), one in epoll_wait(), one in clock_nanosleep().
start_spin four --threads 4 || exit 1
P=$SPIN_PID
for t in /proc/$P/task/*; do
	echo "# thread $(basename "$t"): $(syscall_of "$P" "$(basename "$t")")"
done
$ST -o "$T/a.st" "$KPL" apply --keys "$TRUSTED" -p "$P" \
	"$IT_DIR/spin1.kpl" >"$T/a.out" 2>&1
check "apply SPIN-1 to a kpl-spin with sleeping threads" \
	grep -q "applied to pid $P" "$T/a.out"
b=$(borrowed "$T/a.st")
s=$(syscall_of "$P" "$b")
echo "# borrowed thread $b, now in: $s"
check "the borrowed thread is not the main thread (sigwait) ($b)" \
	[ -n "$b" -a "$b" != "$P" ]
# clock_nanosleep is 230 on x86-64, restart_syscall 219 (the same sleep
# once a stop has interrupted it); the spinner says "running", read 0
# (not taken: on a socket with a receive timeout it ends in EINTR),
# epoll_wait 232
check "it sleeps in clock_nanosleep(), not the spinner, read() nor epoll_wait ($s)" \
	sh -c "[ '$s' = 230 ] || [ '$s' = 219 ]"
$ST -o "$T/r.st" "$KPL" revert -p "$P" SPIN-1 >"$T/r.out" 2>&1
check "revert SPIN-1" grep -q "reverted in pid $P" "$T/r.out"
b2=$(borrowed "$T/r.st")
check "the revert borrows a sleeping thread too ($b2)" \
	sh -c "[ '$(syscall_of "$P" "$b2")' = 230 ] || [ '$(syscall_of "$P" "$b2")' = 219 ]"
r=$(report four "$P")
echo "# $r"
check "patched and reverted: spin_f0 is the library's again (f0=0)" \
	[ "$(field "$r" f0)" = 0 ]
check "the borrowed sleeper saw no EINTR: only epoll_wait's two (eintr=2)" \
	[ "$(field "$r" eintr)" = 2 ]
check "target alive" alive "$P"

# kpl-spin --threads 1: the main thread in sigwait and one spinner: no
# thread sleeps where the kernel restarts it, so the main thread.
start_spin one --threads 1 || exit 1
P1=$SPIN_PID
$ST -o "$T/o.st" "$KPL" apply --keys "$TRUSTED" -p "$P1" \
	"$IT_DIR/spin1.kpl" >"$T/o.out" 2>&1
check "apply SPIN-1 to a kpl-spin with one spinner" \
	grep -q "applied to pid $P1" "$T/o.out"
check "no sleeper to take: the main thread is borrowed" \
	[ "$(borrowed "$T/o.st")" = "$P1" ]
expect_rc 0 "revert SPIN-1" "$KPL" revert -p "$P1" SPIN-1

# A single-threaded process: its one thread, with no look at it.
start_victim v || exit 1
V=$VPID
$ST -o "$T/v.st" "$KPL" apply --keys "$TRUSTED" -p "$V" \
	"$IT_DIR/spin1.kpl" >"$T/va.out" 2>&1
check "apply SPIN-1 to kpl-victim" grep -q "applied to pid $V" "$T/va.out"
check "its one thread is borrowed" [ "$(borrowed "$T/v.st")" = "$V" ]
check "and kpl read no thread's syscall file" \
	sh -c "! grep -q '/task/[0-9]*/syscall' '$T/v.st'"
expect_rc 0 "revert SPIN-1" "$KPL" revert -p "$V" SPIN-1
check "kpl-victim ends well: its registers and signals its own" \
	end_victim v "$V"

# kpl-spin --brief 4: the threads asleep in nanosleep each exit 100 us
# later.  The one chosen may exit before its stop: the process is still
# there, so kpl borrows another thread, and no apply or revert fails
# with "no such process".
start_spin brief --threads 1 --idle --brief 4 || exit 1
PB=$SPIN_PID
fails=0
i=0
while [ $i -lt 100 ]; do
	i=$((i + 1))
	"$KPL" apply --keys "$TRUSTED" -p "$PB" "$IT_DIR/spin1.kpl" \
		>"$T/b.out" 2>&1 || { fails=$((fails + 1)); sed 's/^/# /' "$T/b.out"; }
	"$KPL" revert -p "$PB" SPIN-1 >"$T/b.out" 2>&1 ||
		{ fails=$((fails + 1)); sed 's/^/# /' "$T/b.out"; }
done
check "100 applies and reverts on threads that exit as they are borrowed: none fails ($fails)" \
	[ "$fails" = 0 ]
check "target alive" alive "$PB"
