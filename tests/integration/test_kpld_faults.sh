#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# kpld killed with SIGKILL after each journal record of an install and
# of an uninstall, in turn (KPLD_FAULT_KILL_AFTER_JOURNAL is test
# only): the targets stay alive, and a restarted kpld makes the
# processes agree with the store: `kpl status` of each process is what
# the store says.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/kpld.sh"

mkdir -p "$T/store"
cp "$IT_DIR/spin10.kpl" "$T/store/"
printf 'rescan_ms = 200\n' >"$T/kpld.conf"
start_spin a --threads 2 || exit 1
A=$SPIN_PID
start_spin b || exit 1
B=$SPIN_PID

both_patched() { has_patch "$A" SPIN-10 && has_patch "$B" SPIN-10; }
none_patched() { no_patch "$A" SPIN-10 && no_patch "$B" SPIN-10; }
# settle CMD...: until CMD holds (20 s at most)
settle() {
	_k=0
	until "$@" || [ $_k -gt 200 ]; do sleep 0.1; _k=$((_k + 1)); done
	"$@"
}

# After each journal record of an install, then of an uninstall.
for verb in install uninstall; do
	k=1
	while [ $k -le 4 ]; do
		start_kpld KPLD_FAULT_KILL_AFTER_JOURNAL=$k
		"$KPL" "$verb" SPIN-10 >/dev/null 2>&1
		sleep 0.2
		if alive "$KPLD_PID"; then
			stop_kpld
			# Record 1 is the transition itself: always written.
			check "$verb: kpld outlived record $k: all steps done" \
				[ "$k" -gt 1 ]
			break
		fi
		wait_kpld_exit
		check "$verb: kpld killed after journal record $k (SIGKILL)" \
			[ "$KPLD_RC" -eq 137 ]
		start_kpld
		if [ "$verb" = install ]; then
			check "$verb, killed after record $k: restarted kpld has both processes patched" \
				settle both_patched
			check "and the store says installed, active 2" \
				wait_store '"state":"installed".*"active":2'
		else
			check "$verb, killed after record $k: restarted kpld has both processes unpatched" \
				settle none_patched
			check "and the store says reverted, active 0" \
				wait_store '"state":"reverted".*"active":0'
		fi
		check "targets alive" sh -c "kill -0 $A && kill -0 $B"
		# Back to where this verb starts.
		if [ "$verb" = install ]; then
			"$KPL" uninstall SPIN-10 >/dev/null
		else
			"$KPL" install SPIN-10 >/dev/null
		fi
		stop_kpld
		k=$((k + 1))
	done
	# The next verb starts from the state this one leaves.
	start_kpld
	"$KPL" "$verb" SPIN-10 >/dev/null
	stop_kpld
done

check "targets alive at the end" sh -c "kill -0 $A && kill -0 $B"
