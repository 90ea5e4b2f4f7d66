#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Do no harm when kpld is killed: kpld (the ASan build, with libkpl's
# fault points) is SIGKILLed before each ptrace request and each write
# to a target in turn (KPL_FAULT_KILL_AT=N) while it installs a patch
# into kpl-victim, which checks its own registers and signals.  After
# every kill the target must be alive and unharmed, and a restarted kpld
# must bring it to what the store says: installed, patched; then
# uninstalled, unpatched, with no mapping left.  test_kill.sh does the
# same to kpl; the kernel's two windows it describes are counted apart.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/kpld.sh"

mkdir -p "$T/store"
cp "$IT_DIR/spin1.kpl" "$T/store/"
printf 'rescan_ms = 200\n' >"$T/kpld.conf"

settle() { # settle CMD...: until CMD holds (20 s at most)
	_k=0
	until "$@" || [ $_k -gt 200 ]; do sleep 0.1; _k=$((_k + 1)); done
	"$@"
}
unpatched() { no_patch "$1" SPIN-1 && ! grep -q '/memfd:kpl:' "/proc/$1/maps"; }

N=1
killed=0
fails=0
windows=0
while [ $N -le 300 ]; do
	start_victim kk || break
	start_kpld KPL_FAULT_KILL_AT=$N
	"$KPL" install SPIN-1 >/dev/null 2>&1
	# kpld installs (or dies trying) within its rescan period.
	settle sh -c "! kill -0 $KPLD_PID 2>/dev/null || $KPL status -p $VPID 2>/dev/null | grep -q 'SPIN-1 .*applied'"
	if kill -0 "$KPLD_PID" 2>/dev/null; then
		# Every point passed: the install completed.
		has_patch "$VPID" SPIN-1 || { echo "# no kill, yet not patched"; fails=$((fails + 1)); }
		# Its next fault point would fall in the uninstall.
		stop_kpld
		start_kpld
		"$KPL" uninstall SPIN-1 >/dev/null 2>&1
		settle unpatched "$VPID" ||
			{ echo "# no kill: not unpatched after uninstall"; "$KPL" status -p "$VPID"; grep kpl "/proc/$VPID/maps"; fails=$((fails + 1)); }
		stop_kpld
		end_victim kk "$VPID" || fails=$((fails + 1))
		break
	fi
	wait_kpld_exit
	killed=$((killed + 1))
	where=$(grep -o 'killed at point.*' "$T/kpld.log" | tail -1)
	if ! kill -0 "$VPID" 2>/dev/null; then
		echo "# target died after kpld was $where"
		fails=$((fails + 1))
		N=$((N + 1))
		continue
	fi
	start_kpld
	"$KPL" install SPIN-1 >/dev/null 2>&1
	settle has_patch "$VPID" SPIN-1 ||
		{ echo "# $where: a restarted kpld did not patch the target"; fails=$((fails + 1)); }
	"$KPL" uninstall SPIN-1 >/dev/null 2>&1
	settle unpatched "$VPID" ||
		{ echo "# $where: not unpatched after uninstall"; grep kpl "/proc/$VPID/maps"; fails=$((fails + 1)); }
	stop_kpld
	fds=$(ls -l "/proc/$VPID/fd" 2>/dev/null | grep -c 'memfd:kpl:')
	if [ "$fds" -eq 1 ] && echo "$where" | grep -q 'memfd in flight'; then
		windows=$((windows + 1))
	elif [ "$fds" -ne 0 ]; then
		echo "# $where: $fds patch descriptors left"
		fails=$((fails + 1))
	fi
	if ! end_victim kk "$VPID"; then
		if [ "$VICTIM_TRAPS_LOST" = 1 ] &&
			echo "$VICTIM_REPORT" | grep -q 'regs=ok' &&
			echo "$where" | grep -Eq 'INTERRUPT|signal\)'; then
			windows=$((windows + 1))
		else
			echo "# target harmed after kpld was $where"
			fails=$((fails + 1))
		fi
	fi
	: >"$T/kpld.log"
	N=$((N + 1))
done
check "kpld killed at each of its $killed fault points in turn during an install: target alive and unharmed, a restarted kpld repairs it ($fails failures)" \
	[ "$killed" -gt 5 -a "$fails" -eq 0 ]
echo "# kpld: $killed kills, $fails failures, $windows in the kernel's windows"
