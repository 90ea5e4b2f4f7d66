#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The engine's integration suite (tests/integration, the spin-based
# tests) with the kmod backend, run as root inside the VM by
# tools/vm/vm-run: the module loaded, KPL_BACKEND=kmod, so lib.sh gives
# every apply, revert and check --backend kmod.  The same scripts run on
# the host with ptrace (make check-integration).  TAP-like output from
# each script, then "kmod-it: N passed, M failed"; exit status 1 if
# anything failed.
#
# Needs: KPL_VM_MODULE (set by vm-run); KPL, IT_DIR, KPL_KEYS and
# KPL_IT_TESTS (script names) in the environment; tests/integration in
# /root/tests/integration.

MOD=${KPL_VM_MODULE:?KPL_VM_MODULE is not set: run me through tools/vm/vm-run}
NAME=kpatch_lite
: "${KPL:?}" "${IT_DIR:?}" "${KPL_KEYS:?}" "${KPL_IT_TESTS:?}"
export KPL IT_DIR KPL_KEYS KPL_BACKEND=kmod

fail=0
insmod "$MOD" || {
	echo "not ok - insmod $MOD"
	exit 1
}
cd /root || exit 1
set --
for t in $KPL_IT_TESTS; do
	set -- "$@" "tests/integration/test_$t.sh"
done
sh tests/integration/run.sh "$@" | tee /tmp/it.out
summary=$(tail -n 1 /tmp/it.out)
case "$summary" in
"integration: "*" passed, 0 failed") ;;
*) fail=1 ;;
esac

# The module did the stops: the suite did not fall back on ptrace.
stops=$(sed -n 's/^stops //p' /sys/kernel/$NAME/stats)
echo "# module: $stops stops, $(sed -n 's/^writes //p' /sys/kernel/$NAME/stats) writes"
if [ "${stops:-0}" -gt 0 ]; then
	echo "ok - the suite's stops went through the module"
else
	echo "not ok - no stop went through the module"
	fail=1
fi

i=0
while ! rmmod "$NAME" 2>/dev/null; do
	i=$((i + 1))
	if [ $i -gt 40 ]; then
		echo "not ok - rmmod: refcnt $(cat /sys/module/$NAME/refcnt)"
		fail=1
		break
	fi
	sleep 0.05
done
if dmesg | grep -E 'BUG:|WARNING:|Oops|general protection|Call Trace:'; then
	echo "not ok - dmesg"
	fail=1
fi
echo "kmod-it: $summary"
[ "$fail" -eq 0 ]
