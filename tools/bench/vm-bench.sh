#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# make bench-kmod, inside the VM (tools/vm/vm-run): kpl-bench with the
# ptrace backend, then with the kmod backend, on the same targets and
# patches, in one guest.  Each JSON goes to the console between
# "KPL-BENCH-JSON-BEGIN NAME" and "KPL-BENCH-JSON-END NAME" lines, for
# the host to cut out of the serial log.
#
# Needs: KPL_VM_MODULE; kpl-bench, kpl and kpl-spin on PATH;
# /root/spin1.kpl, /root/spin10.kpl and their key in /root/keys;
# BENCH_RUNS, BENCH_THREADS, BENCH_REV in the environment.

MOD=${KPL_VM_MODULE:?KPL_VM_MODULE is not set: run me through tools/vm/vm-run}
KEYS=
[ -d /root/keys ] && KEYS=--apply-arg=--keys=/root/keys

insmod "$MOD" || exit 1
# Kernel messages on the console would cut into the JSON lines.
dmesg -n 1
rc=0
for be in ptrace kmod; do
	kpl-bench --backend "$be" --kpl /bin/kpl --spin /bin/kpl-spin \
		--patch /root/spin1.kpl --patch /root/spin10.kpl $KEYS \
		--threads "${BENCH_THREADS:-1,4,16,64}" \
		--runs "${BENCH_RUNS:-7}" --procs 1 --nice -10 \
		--rev "${BENCH_REV:-}" --out "/tmp/$be.json" || {
		rc=1
		continue
	}
	echo "KPL-BENCH-JSON-BEGIN $be"
	cat "/tmp/$be.json"
	echo "KPL-BENCH-JSON-END $be"
done
exit $rc
