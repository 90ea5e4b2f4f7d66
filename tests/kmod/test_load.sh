#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Module smoke test, run as root inside the VM by tools/vm/vm-run:
# load kpatch_lite.ko, check /dev/kpatch_lite and the version ioctl,
# unload, and repeat the load/unload cycle.  TAP-like output, then
# "kmod: N passed, M failed"; exit status 1 if anything failed.
#
# Needs: KPL_VM_MODULE (set by vm-run), kpl_ioctl_version on PATH.

MOD=${KPL_VM_MODULE:?KPL_VM_MODULE is not set: run me through tools/vm/vm-run}
DEV=/dev/kpatch_lite
NAME=kpatch_lite

. /root/tap.sh

# Kernel messages logged since the last mark_dmesg.  The ring buffer is
# never cleared: vm-run inspects all of it at the end.
mark=0
mark_dmesg()
{
	mark=$((mark + 1))
	echo "kpl-test: mark $mark" >/dev/kmsg
}

dmesg_since_mark()
{
	dmesg | sed -n "/kpl-test: mark $mark\$/,\$p"
}

dmesg_has()
{
	dmesg_since_mark | grep -q "$1"
}

is_loaded()
{
	grep -q "^$NAME " /proc/modules
}

dev_is_0600_char()
{
	[ -c "$DEV" ] && [ "$(stat -c %a "$DEV")" = 600 ] &&
		[ "$(stat -c %u:%g "$DEV")" = 0:0 ]
}

mark_dmesg
check "insmod $(basename "$MOD")" insmod "$MOD"
check "module listed in /proc/modules" is_loaded
check "$DEV is a root-owned char device, mode 0600" dev_is_0600_char
check "load message in dmesg" dmesg_has "$NAME: loaded, abi "
check "KPL_IOC_VERSION returns the ABI version" kpl_ioctl_version
check "ioctl without CAP_SYS_ADMIN fails with EPERM" \
	kpl_ioctl_version --no-cap
check "unknown ioctl fails with ENOTTY" kpl_ioctl_version --bad-cmd
check "open as nobody fails with EACCES" kpl_ioctl_version --nobody

mark_dmesg
check "rmmod $NAME" rmmod "$NAME"
check "module gone from /proc/modules" sh -c "! grep -q '^$NAME ' /proc/modules"
check "$DEV removed" test ! -e "$DEV"
check "unload message in dmesg" dmesg_has "$NAME: unloaded"

# Registration and teardown must be repeatable: a leaked minor or a
# half-torn-down device shows up on the second round.
cycles_ok()
{
	i=0
	while [ $i -lt 3 ]; do
		insmod "$MOD" || return 1
		kpl_ioctl_version >/dev/null || return 1
		rmmod "$NAME" || return 1
		i=$((i + 1))
	done
	! [ -e "$DEV" ]
}
check "3 more load/ioctl/unload cycles" cycles_ok

# vm-run checks the whole dmesg too; this names the step that broke.
dmesg_clean()
{
	! dmesg | grep -E 'BUG:|WARNING:|Oops|general protection|Call Trace:'
}
check "dmesg has no BUG/WARNING/Oops/general protection" dmesg_clean

echo "1..$n"
echo "kmod: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
