#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The module when things go wrong at once, run as root inside the VM by
# tools/vm/vm-run: targets that exit or are killed while kpl applies a
# patch, a 64-thread target whose threads come and go, many processes
# issuing requests at once.  The dmesg scan (here and in vm-run) is the
# kernel's verdict.  TAP-like output, then "kmod-stress: N passed, M
# failed"; exit status 1 if anything failed.
#
# Needs: KPL_VM_MODULE (set by vm-run); kpl_kmod_stress and kpl on PATH;
# /root/spin10.kpl and its trusted key in /root/keys.

MOD=${KPL_VM_MODULE:?KPL_VM_MODULE is not set: run me through tools/vm/vm-run}
NAME=kpatch_lite
export KPL_SPIN_PATCH=/root/spin10.kpl
[ -d /root/keys ] && export KPL_KEYS_DIR=/root/keys

. /root/tap.sh

check "insmod $(basename "$MOD")" insmod "$MOD"
check "targets exit or are killed mid-apply" kpl_kmod_stress exit
check "a 64-thread target creating and ending threads, patched" \
	kpl_kmod_stress churn
check "several processes issuing requests at once" kpl_kmod_stress parallel

nothing_left()
{
	cat /sys/kernel/$NAME/stats
	[ "$(grep -c . /sys/kernel/$NAME/sessions)" = 1 ] &&
		grep -q '^guards 0$' /sys/kernel/$NAME/stats
}
check "no session or guard left" nothing_left

# Work items of stops still queued on threads that have not returned to
# user mode yet pin the module; every target is gone, so none should be.
unload()
{
	i=0
	while ! rmmod "$NAME" 2>/dev/null; do
		[ $i = 0 ] && echo "refcnt $(cat /sys/module/$NAME/refcnt)"
		i=$((i + 1))
		[ $i -gt 40 ] && return 1
		sleep 0.05
	done
	echo "unloaded after $i retries"
}
check "rmmod $NAME" unload

dmesg_clean()
{
	! dmesg | grep -E 'BUG:|WARNING:|Oops|general protection|Call Trace:'
}
check "dmesg has no BUG/WARNING/Oops/general protection" dmesg_clean

echo "1..$n"
echo "kmod-stress: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
