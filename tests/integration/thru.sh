# shellcheck shell=sh
# SPDX-License-Identifier: GPL-2.0
# Shared by the tests of exceptions through patch code (test_eh.sh,
# test_eh_kill.sh, test_eh_kmod.sh), sourced after lib.sh: kpl-thru's
# threads call libthru's thru_call() with a callback that throws for odd
# arguments, and catch it.

# start_thru ARGS...: a kpl-thru run with ARGS, its output in $T/t.out;
# its pid in P, killed at the end; fails when it never gets ready
start_thru() {
	"$IT_DIR/kpl-thru" "$@" >"$T/t.out" 2>&1 &
	P=$!
	PIDS="$PIDS $P"
	wait_ready "$T/t.out" kpl-thru
}

# thru NAME PID: kpl-thru's report line (its output in $T/NAME.out)
thru() { report "$1" "$2" thru; }

# caught_grows NAME PID [N]: exceptions are still thrown through
# thru_call() and caught by its caller: the count grows by N (50) or
# more, within 100 reports
caught_grows() {
	_c0=$(field "$(thru "$1" "$2")" caught)
	_w=0
	while :; do
		_c=$(field "$(thru "$1" "$2")" caught)
		[ -n "$_c" ] && [ -n "$_c0" ] &&
			[ "$_c" -ge $((_c0 + ${3:-50})) ] && return 0
		_w=$((_w + 1))
		[ $_w -gt 100 ] && { echo "# caught stuck at $_c"; return 1; }
		sleep 0.05
	done
}
