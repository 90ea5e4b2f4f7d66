#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The apply's borrowed stop runs its mmaps and close as one chain
# (docs/engine.md, "Stops"): step frames lead the borrowed thread from
# one syscall to the next with no stop between them, and its own SIGURG
# (or SIGWINCH), sent last, stops it for kpl, which drops the signal.
# A signal the process catches is never used: with both caught, or with
# a seccomp filter, the syscalls go one by one as before.  No handler runs, no syscall of the
# thread's sees EINTR, and what the chain maps is checked afterwards:
# when a piece could not take its place, the rest is unmapped and the
# region placed again.
. "$(dirname "$0")/lib.sh"

if ! command -v strace >/dev/null; then
	notok "strace is installed (make deps installs it)"
	exit 1
fi

# LeakSanitizer cannot run under ptrace: the ASan kpl under strace
# without it.
ST="env ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0
	strace -f -e trace=ptrace"

# chain_sig LOG: the signal of the chain's stop kpl read (GETSIGINFO)
chain_sig() {
	sed -n 's/.*PTRACE_GETSIGINFO.*si_signo=\(SIG[A-Z]*\).*/\1/p' "$1" |
		head -1
}
# resumes LOG: the borrowed stop's PTRACE_SYSCALL resumes (two per
# syscall injected alone) and PTRACE_CONT resumes (one per chain)
resumes() {
	echo "$(grep -c 'ptrace(PTRACE_SYSCALL,' "$1")" \
		"$(grep -c 'ptrace(PTRACE_CONT,' "$1")"
}

# round NAME SIG RESUMES REVERT-RESUMES KPL-SPIN-ARGS: apply and revert
# SPIN-1 on a kpl-spin with one spinner (its main thread, in sigwait, is
# borrowed)
round() {
	name=$1 want=$2 res=$3 rres=$4
	shift 4
	start_spin "$name" --threads 1 "$@" || return 1
	P=$SPIN_PID
	$ST -o "$T/$name.st" "$KPL" apply --keys "$TRUSTED" -p "$P" \
		"$IT_DIR/spin1.kpl" >"$T/$name.a" 2>&1
	check "$name: apply SPIN-1" grep -q "applied to pid $P" "$T/$name.a"
	s=$(chain_sig "$T/$name.st")
	r=$(resumes "$T/$name.st")
	echo "# $name: chain signal '${s:-none}', resumes (syscall, cont): $r"
	check "$name: the chain's signal is ${want:-none (one by one)}" \
		[ "$s" = "$want" ]
	check "$name: the borrowed stop resumed as '$res' (syscall, cont)" \
		[ "$r" = "$res" ]
	rp=$(report "$name" "$P")
	check "$name: patched, f0=1000" [ "$(field "$rp" f0)" = 1000 ]
	$ST -o "$T/$name.rst" "$KPL" revert -p "$P" SPIN-1 >"$T/$name.r" 2>&1
	check "$name: revert SPIN-1" grep -q "reverted in pid $P" "$T/$name.r"
	r=$(resumes "$T/$name.rst")
	echo "# $name: revert's resumes (syscall, cont): $r"
	check "$name: the revert's munmap resumed as '$rres' (syscall, cont)" \
		[ "$r" = "$rres" ]
	rp=$(report "$name" "$P")
	echo "# $rp"
	check "$name: reverted, f0=0" [ "$(field "$rp" f0)" = 0 ]
	check "$name: no handler ran (caught=0), no EINTR (eintr=0)" \
		[ "$(field "$rp" caught)" = 0 -a "$(field "$rp" eintr)" = 0 ]
	check "$name: no patch mapping nor descriptor left" \
		sh -c "! grep -q 'memfd:kpl:' /proc/$P/maps &&
		       ! ls -l /proc/$P/fd | grep -q 'memfd:kpl:'"
	check "$name: target alive" alive "$P"
}

# memfd_create alone (2 resumes), the rest one chain (1), the revert's
# munmap a chain of one; with both signals caught: memfd_create, the
# mmaps of the whole, the image page and the text, close, each alone
# (10), and the munmap (2).
round plain SIGURG "2 1" "0 1"
round urg SIGWINCH "2 1" "0 1" --catch 23
round both "" "10 0" "2 0" --catch 23 --catch 28
# A process with a seccomp filter (this one allows all): a filter might
# refuse or punish the chain's tgkill, which injection one by one never
# makes, so none is run.
round seccomp "" "10 0" "2 0" --seccomp

# A chain whose second mmap cannot take its place (the ASan build aims
# it at the first's): kpl finds the region incomplete in the maps,
# unmaps what the chain mapped of it, and places it again.
if KPL_FAULT_COUNT=1 "$KPL" --help 2>&1 | grep -q 'kpl-fault'; then
	start_spin clash --threads 1 || exit 1
	P=$SPIN_PID
	KPL_FAULT_CHAIN_CLASH=1 "$KPL" apply -v --keys "$TRUSTED" -p "$P" \
		"$IT_DIR/spin1.kpl" >"$T/clash.a" 2>&1
	sed 's/^/# /' "$T/clash.a" | grep -i 'place\|applied'
	check "clash: the incomplete region was seen and undone" \
		grep -q "did not all take their place: undone" "$T/clash.a"
	check "clash: and the apply succeeded elsewhere" \
		grep -q "applied to pid $P" "$T/clash.a"
	check "clash: one region mapped, of three mappings and the page" \
		[ "$(grep -c 'memfd:kpl:' "/proc/$P/maps")" -ge 2 ]
	rp=$(report clash "$P")
	check "clash: patched, f0=1000" [ "$(field "$rp" f0)" = 1000 ]
	expect_rc 0 "clash: revert SPIN-1" "$KPL" revert -p "$P" SPIN-1
	check "clash: nothing of either region left" \
		sh -c "! grep -q 'memfd:kpl:' /proc/$P/maps &&
		       ! ls -l /proc/$P/fd | grep -q 'memfd:kpl:'"
	check "clash: target alive" alive "$P"
fi

# A target in a pid namespace of its own (a container): the chain's
# tgkill() runs in the target and must name it by the numbers of its
# namespace, not kpl's; with kpl's it found no such thread, the thread
# ran on and the apply failed after the chain's 5 s.
if unshare --pid --fork "$IT_DIR/kpl-spin" --threads 1 >"$T/ns.out" 2>&1 & then
	U=$!
	PIDS="$PIDS $U"
	if wait_ready "$T/ns.out" "kpl-spin in a pid namespace"; then
		P=$(pgrep -P "$U" | head -1)
		PIDS="$PIDS $P"
		s0=$(date +%s)
		$ST -o "$T/ns.st" timeout 20 "$KPL" apply --keys "$TRUSTED" \
			-p "$P" "$IT_DIR/spin1.kpl" >"$T/ns.a" 2>&1
		s1=$(date +%s)
		sed 's/^/# /' "$T/ns.a"
		check "pidns: apply SPIN-1" grep -q "applied to pid $P" "$T/ns.a"
		check "pidns: in under 3 s ($((s1 - s0)) s)" [ $((s1 - s0)) -lt 3 ]
		check "pidns: the chain's signal is SIGURG" \
			[ "$(chain_sig "$T/ns.st")" = SIGURG ]
		rp=$(report ns "$P")
		check "pidns: patched, f0=1000" [ "$(field "$rp" f0)" = 1000 ]
		expect_rc 0 "pidns: revert SPIN-1" "$KPL" revert -p "$P" SPIN-1
		rp=$(report ns "$P")
		check "pidns: reverted, no handler ran, no EINTR" \
			[ "$(field "$rp" f0)" = 0 -a "$(field "$rp" caught)" = 0 \
			  -a "$(field "$rp" eintr)" = 0 ]
		check "pidns: no patch mapping nor descriptor left" \
			sh -c "! grep -q 'memfd:kpl:' /proc/$P/maps &&
			       ! ls -l /proc/$P/fd | grep -q 'memfd:kpl:'"
		check "pidns: target alive" alive "$P"
	fi
else
	ok "pidns # SKIP unshare --pid failed here"
fi

# A chain whose stop never comes (the ASan build's tgkill() sends no
# signal): the thread runs the chain, returns through the insurance
# frame and runs on; kpl gives up after 5 s and must take back what the
# chain mapped, as the one-by-one path does on an error.
if KPL_FAULT_COUNT=1 "$KPL" --help 2>&1 | grep -q 'kpl-fault'; then
	start_spin lost --threads 1 || exit 1
	P=$SPIN_PID
	KPL_FAULT_CHAIN_LOST=1 "$KPL" apply --keys "$TRUSTED" -p "$P" \
		"$IT_DIR/spin1.kpl" >"$T/lost.a" 2>&1
	sed 's/^/# /' "$T/lost.a"
	check "lost: the apply failed" sh -c "! grep -q 'applied to pid $P' $T/lost.a"
	check "lost: no patch mapping nor descriptor left" \
		sh -c "! grep -q 'memfd:kpl:' /proc/$P/maps &&
		       ! ls -l /proc/$P/fd | grep -q 'memfd:kpl:'"
	rp=$(report lost "$P")
	check "lost: unpatched, no handler ran, no EINTR" \
		[ "$(field "$rp" f0)" = 0 -a "$(field "$rp" caught)" = 0 \
		  -a "$(field "$rp" eintr)" = 0 ]
	check "lost: target alive" alive "$P"
fi
