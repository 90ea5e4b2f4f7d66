#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# kpl apply/revert --all with no filter, on a terminal, lists what it is
# about to touch and asks first (issue 15.5); "n" changes nothing, "y"
# goes on, --yes and a non-terminal never ask.  script(1) gives kpl a
# terminal.
. "$(dirname "$0")/lib.sh"
PATCH=$IT_DIR/spin1.kpl
ID=SPIN-1

# on_tty ANSWER CMD...: run CMD on a pseudo-terminal, ANSWER typed in
on_tty() {
	_a=$1
	shift
	printf '%s\n' "$_a" | script -qec "$*" /dev/null
}
applied() { "$KPL" status -p "$1" 2>/dev/null | grep -q "$ID .*applied"; }

start_spin spin || exit 1
P=$SPIN_PID

on_tty n "$KPL" apply --all --keys "$TRUSTED" "$PATCH" >"$T/no.out" 2>&1
check "on a terminal, apply --all lists the process first" \
	grep -Eq "^ +$P kpl-spin" "$T/no.out"
check "and asks" grep -q 'proceed?.*\[y/N\]' "$T/no.out"
check "'n' changes nothing" sh -c "grep -q 'nothing done' '$T/no.out' && ! $KPL status -p $P | grep -q '$ID .*applied'"

on_tty y "$KPL" apply --all --keys "$TRUSTED" "$PATCH" >"$T/yes.out" 2>&1
check "'y' applies" applied "$P"

on_tty n "$KPL" revert --all --yes "$ID" >"$T/flag.out" 2>&1
check "revert --all --yes does not ask" sh -c "! grep -q 'proceed?' '$T/flag.out'"
check "and reverts" sh -c "! $KPL status -p $P | grep -q '$ID .*applied'"

"$KPL" apply --all --keys "$TRUSTED" "$PATCH" </dev/null >"$T/pipe.out" 2>&1
check "off a terminal it does not ask" sh -c "! grep -q 'proceed?' '$T/pipe.out'"
check "and applies" applied "$P"
on_tty n "$KPL" revert --all --exe "$(readlink -f "$IT_DIR/kpl-spin")" "$ID" >"$T/filt.out" 2>&1
check "with a filter it does not ask" sh -c "! grep -q 'proceed?' '$T/filt.out'"
check "and reverts" sh -c "! $KPL status -p $P | grep -q '$ID .*applied'"

"$KPL" revert -p "$P" --yes "$ID" >"$T/bad.out" 2>&1
rc=$?
check "--yes without --all is refused (exit $rc)" \
	sh -c "[ $rc -eq 2 ] && grep -q 'give --all too' '$T/bad.out'"
