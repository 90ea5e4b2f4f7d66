#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Hardened services (issue 15.6): a process that forbids itself
# writable-and-executable memory, as systemd's MemoryDenyWriteExecute=yes
# does, through PR_SET_MDWE (what systemd uses on Linux 6.3+) or
# systemd's seccomp filter (older kernels).  The fixture proves the
# protection holds in it (mprotect(PROT_EXEC) refused) before it says
# ready.  kpl must still apply and revert: the patch region is mapped
# with its final protections from the start (read+exec text from a
# memfd, never writable, never mprotect'ed), and written through
# FOLL_FORCE, which neither protection restricts.
. "$(dirname "$0")/lib.sh"
PATCH=$IT_DIR/spin1.kpl
ID=SPIN-1

# f0 NAME PID: the value spin_f0(1) returns in the process now
f0() {
	_b=$(grep -c '^f0=' "$T/$1.out")
	kill -USR1 "$2" || return 1
	_w=0
	while [ "$(grep -c '^f0=' "$T/$1.out")" -le "$_b" ] && [ $_w -lt 100 ]; do
		sleep 0.05
		_w=$((_w + 1))
	done
	grep '^f0=' "$T/$1.out" | tail -n 1 | cut -d= -f2
}

for mode in prctl seccomp; do
	"$IT_DIR/kpl-mdwe" $mode >"$T/$mode.out" 2>&1 &
	P=$!
	PIDS="$PIDS $P"
	_w=0
	while ! grep -q '^ready\|^unsupported\|^not protected' "$T/$mode.out" &&
		[ $_w -lt 100 ]; do
		sleep 0.05
		_w=$((_w + 1))
	done
	if grep -q '^unsupported' "$T/$mode.out"; then
		ok "$mode: apply and revert under W^X # SKIP $(head -n 1 "$T/$mode.out")"
		continue
	fi
	check "$mode: the target forbids itself W+X memory" grep -q '^ready' "$T/$mode.out"
	check "$mode: the original code runs" [ "$(f0 $mode $P)" = 3 ]
	"$KPL" apply --keys "$TRUSTED" -p "$P" "$PATCH" >"$T/apply.out" 2>&1
	rc=$?
	sed 's/^/# /' "$T/apply.out"
	check "$mode: kpl apply succeeds (exit $rc)" [ $rc -eq 0 ]
	check "$mode: the fixed code runs" [ "$(f0 $mode $P)" = 1003 ]
	check "$mode: no patch page is writable and executable" \
		sh -c "! grep 'kpl:$ID' /proc/$P/maps | grep -q 'rwx'"
	"$KPL" revert -p "$P" "$ID" >"$T/revert.out" 2>&1
	rc=$?
	sed 's/^/# /' "$T/revert.out"
	check "$mode: kpl revert succeeds (exit $rc)" [ $rc -eq 0 ]
	check "$mode: the original code runs again" [ "$(f0 $mode $P)" = 3 ]
	check "$mode: the process is alive" kill -0 "$P"
	kill "$P"
done
