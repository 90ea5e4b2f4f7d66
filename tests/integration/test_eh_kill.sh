#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Do no harm when killed, with an unwind table to register: kpl is
# SIGKILLed before each of its ptrace requests and writes in turn
# (KPL_FAULT_KILL_AT=N) during an apply and a revert of THRU-1 to
# kpl-thru, whose threads throw C++ exceptions through thru_call() all
# the while.  The points include every step of the injected calls to
# __register_frame_info and __deregister_frame_info ("call in flight").
# After each kill the target must live and keep catching its exceptions;
# the next apply and revert must finish the job (registering,
# deregistering and unmapping what the killed kpl left), and leave no
# patch mapping: a registered table left behind after its unmap would
# make the next throw read freed memory.
. "$(dirname "$0")/lib.sh"

if ! KPL_FAULT_COUNT=1 "$KPL" --help 2>&1 | grep -q 'kpl-fault'; then
	notok "kpl has no fault points (not the ASan build?)"
	exit 1
fi

kpl_maps() { grep -c '/memfd:kpl:' "/proc/$1/maps"; }
thru() { report "$1" "$2" thru; }
# throws_caught NAME PID: the caught count grows by 10 or more
throws_caught() {
	_c0=$(field "$(thru "$1" "$2")" caught)
	_w=0
	while :; do
		_c=$(field "$(thru "$1" "$2")" caught)
		[ -n "$_c" ] && [ -n "$_c0" ] && [ "$_c" -ge $((_c0 + 10)) ] &&
			return 0
		_w=$((_w + 1))
		[ $_w -gt 60 ] && return 1
		sleep 0.02
	done
}

"$IT_DIR/kpl-thru" --threads 2 >"$T/t.out" 2>&1 &
P=$!
PIDS="$PIDS $P"
wait_ready "$T/t.out" kpl-thru || exit 1

for op in apply revert; do
	N=1
	killed=0
	fails=0
	in_call=0
	while [ $N -le 400 ]; do
		if [ $op = revert ]; then
			"$KPL" apply --keys "$TRUSTED" -p "$P" "$IT_DIR/thru.kpl" \
				>/dev/null 2>&1 ||
				{ echo "# setup apply failed"; fails=$((fails + 1)); }
			cmd="revert -p $P THRU-1"
		else
			cmd="apply --keys $TRUSTED -p $P $IT_DIR/thru.kpl"
		fi
		# shellcheck disable=SC2086
		KPL_FAULT_KILL_AT=$N "$KPL" $cmd >"$T/kpl.log" 2>&1
		rc=$?
		if [ $rc -ne 137 ]; then
			[ $rc -eq 0 ] || { echo "# $op: exit $rc"; cat "$T/kpl.log"; fails=$((fails + 1)); }
			"$KPL" revert -p "$P" THRU-1 >/dev/null 2>&1
			break
		fi
		killed=$((killed + 1))
		where=$(grep -o 'killed at point.*' "$T/kpl.log")
		echo "$where" | grep -q 'call in flight' && in_call=$((in_call + 1))
		if ! alive "$P"; then
			echo "# $op: target died after kpl was $where"
			fails=$((fails + 1))
			break
		fi
		"$KPL" apply --keys "$TRUSTED" -p "$P" "$IT_DIR/thru.kpl" \
			>"$T/next.log" 2>&1
		rc=$?
		[ $rc -eq 0 ] || [ $rc -eq 6 ] ||
			{ echo "# $op, $where: next apply exit $rc"; cat "$T/next.log"; fails=$((fails + 1)); }
		throws_caught t "$P" ||
			{ echo "# $op, $where: throws not caught once applied"; fails=$((fails + 1)); }
		"$KPL" revert -p "$P" THRU-1 >"$T/next.log" 2>&1 ||
			{ echo "# $op, $where: revert after it failed"; cat "$T/next.log"; fails=$((fails + 1)); }
		left=$(kpl_maps "$P")
		[ "$left" -eq 0 ] ||
			{ echo "# $op, $where: $left patch mappings left"; fails=$((fails + 1)); }
		throws_caught t "$P" ||
			{ echo "# $op, $where: throws not caught after the revert"; fails=$((fails + 1)); }
		alive "$P" || { echo "# $op, $where: target died"; fails=$((fails + 1)); break; }
		N=$((N + 1))
	done
	check "$op: killed at each of its $killed fault points in turn ($in_call during the call into libgcc), target alive and catching ($fails failures)" \
		[ "$killed" -gt 5 -a "$in_call" -gt 0 -a "$fails" -eq 0 ]
done
check "target alive at the end" alive "$P"
