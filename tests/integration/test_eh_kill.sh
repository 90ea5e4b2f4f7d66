#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Do no harm when killed, with an unwind table to register: kpl is
# SIGKILLed before each of its ptrace requests and writes in turn
# (KPL_FAULT_KILL_AT=N, kill_loop in lib.sh) during an apply and a revert
# of THRU-1 to kpl-thru, whose threads throw C++ exceptions through
# thru_call() all the while; then of CSS-EXC, a C++ patch whose code
# throws, catches and cleans up (test_cxx_exc.sh), to miniweb-server
# while a loop posts sheets its parser rejects.  The points include every step of the injected calls to
# __register_frame_info and __deregister_frame_info ("call in flight").
# After each kill the target must live and keep catching its exceptions;
# the next apply and revert must finish the job (registering,
# deregistering and unmapping what the killed kpl left), and leave no
# patch mapping: a registered table left behind after its unmap would
# make the next throw read freed memory.
. "$(dirname "$0")/lib.sh"
MW_BIN=${MW_BIN:?}
MW_SRC=tests/targets
. "$(dirname "$0")/mw.sh"

if ! KPL_FAULT_COUNT=1 "$KPL" --help 2>&1 | grep -q 'kpl-fault'; then
	notok "kpl has no fault points (not the ASan build?)"
	exit 1
fi

# shellcheck source=tests/integration/thru.sh
. "$(dirname "$0")/thru.sh"

start_thru --threads 2 || exit 1

# THRU-1 on kpl-thru: one process for every round.
kl_start() { KL_PID=$P; alive "$P"; }
kl_apply() { kpl_at "${1:-}" apply --keys "$TRUSTED" -p "$P" "$IT_DIR/thru.kpl"; }
kl_revert() { kpl_at "${1:-}" revert -p "$P" THRU-1; }
kl_applied() {
	caught_grows t "$P" 10 || { echo "# $1: throws not caught once applied"; return 1; }
}
kl_reverted() {
	caught_grows t "$P" 10 || { echo "# $1: throws not caught after the revert"; return 1; }
}
kl_done() { kl_revert >/dev/null 2>&1; :; }
kl_after() { alive "$P" || { echo "# $1: target died"; return 1; }; }

for op in apply revert; do
	kill_loop $op 400
	check "$op: killed at each of its $KL_KILLED fault points in turn ($KL_IN_CALL during the call into libgcc), target alive and catching ($KL_FAILS failures)" \
		[ "$KL_KILLED" -gt 5 -a "$KL_IN_CALL" -gt 0 -a "$KL_FAILS" -eq 0 ]
done
check "target alive at the end" alive "$P"

# CSS-EXC on miniweb-server: its code throws, catches and cleans up.
UNTERM='a { color: "x'
mw_start 4 || exit 1
M=$MW_PID
: >"$T/bad"
(
	while [ ! -e "$T/stop" ]; do
		r=$(curl -s -w '|%{http_code}' --data-binary "$UNTERM" "$MW_URL/css")
		case $r in
		"error: unterminated string"*"|400" | \
			"error: css: unterminated string"*"|400") ;;
		*) echo "$r" >>"$T/bad" ;;
		esac
	done
) &
PIDS="$PIDS $!"
kl_start() { KL_PID=$M; alive "$M"; }
kl_apply() { kpl_at "${1:-}" apply --keys "$TRUSTED" -p "$M" "$IT_DIR/css_exc.kpl"; }
kl_revert() { kpl_at "${1:-}" revert -p "$M" CSS-EXC; }
kl_applied() {
	_r=$(mw_css "$UNTERM")
	[ "$_r" = "400|error: css: unterminated string" ] ||
		{ echo "# $1: applied, the patch's handler did not answer: $_r"; return 1; }
}
kl_reverted() {
	_r=$(mw_css "$UNTERM")
	[ "$_r" = "400|error: unterminated string" ] ||
		{ echo "# $1: reverted, the library's handler did not answer: $_r"; return 1; }
}
kl_after() { alive "$M" || { echo "# $1: server died"; return 1; }; }

for op in apply revert; do
	kill_loop $op 600
	check "CSS-EXC $op: killed at each of its $KL_KILLED fault points in turn ($KL_IN_CALL during the call into libgcc), exceptions caught by the right handler ($KL_FAILS failures)" \
		[ "$KL_KILLED" -gt 5 -a "$KL_IN_CALL" -gt 0 -a "$KL_FAILS" -eq 0 ]
done
touch "$T/stop"
head -5 "$T/bad" | sed 's/^/# /'
check "every sheet rejected meanwhile got its 400" [ ! -s "$T/bad" ]
check "server alive, never terminated" \
	sh -c "kill -0 $M && ! grep -q 'terminate called' '$T/mw.log'"
