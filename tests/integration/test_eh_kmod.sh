#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Exceptions through patch code with the kmod backend (issue 13).  The
# module never runs code in the target, so once a patch's unwind table
# could not be registered with the process's libgcc: a patch with unwind
# entries was refused in a process that maps libgcc_s (before that, it
# was applied, and an exception meeting patch code ended the process in
# std::terminate()).  Now the kmod backend makes that one call by
# borrowing a thread through ptrace, as the ptrace backend does, and
# the stop and the writes stay the module's.  THRU-1 (as in test_eh.sh)
# is C code that a C++ callback's exception passes through, applied to
# kpl-thru, a C++ process.  The kmod backend only: make check-kmod-it
# runs it in the guest (tests/kmod/test_it.sh sets KPL_BACKEND=kmod);
# elsewhere it says so and checks nothing.
. "$(dirname "$0")/lib.sh"

if [ "${KPL_BACKEND:-}" != kmod ]; then
	echo "# the kmod backend only: make check-kmod-it runs it in the guest"
	exit 0
fi

# shellcheck source=tests/integration/thru.sh
. "$(dirname "$0")/thru.sh"

start_thru --threads 2 || exit 1
file_maps "$P" >"$T/maps.0"
r=$(thru t "$P")
check "before the patch thru_call adds 1" [ "$(field "$r" delta)" = 1 ]

expect_rc 0 "kmod: a patch with unwind entries applies to a C++ process" \
	"$KPL" apply -vv --keys "$TRUSTED" -p "$P" "$IT_DIR/thru.kpl"
sed 's/^/# /' "$T/cmd.err"
check "by the kmod backend" grep -q "backend kmod" "$T/cmd.out"
check "its unwind table registered with libgcc" \
	grep -q "unwind table registered with libgcc" "$T/cmd.err"
check "exceptions thrown through the patched thru_call are caught" \
	caught_grows t "$P"
r=$(thru t "$P")
check "the patch runs (adds 2), no wrong result" \
	[ "$(field "$r" delta)" = 2 -a "$(field "$r" bad)" = 0 ]
check "no std::terminate: target alive" alive "$P"
check "no thread left traced after the call" \
	sh -c "! grep -q '^TracerPid:[[:space:]]*[1-9]' /proc/$P/task/*/status"

expect_rc 0 "revert with the kmod backend" \
	"$KPL" revert -vv -p "$P" THRU-1
check "after the revert, throws are still caught" caught_grows t "$P"
r=$(thru t "$P")
check "the library's thru_call is back (adds 1)" [ "$(field "$r" delta)" = 1 ]
file_maps "$P" >"$T/maps.1"
check "target alive, no patch mapping left, file mappings as before" \
	sh -c "kill -0 $P && [ \$(grep -c memfd:kpl: /proc/$P/maps) -eq 0 ] &&
		cmp -s '$T/maps.0' '$T/maps.1'"

# Ten more cycles under throwing threads: each registers and
# deregisters, and every exception is still caught.
fails=0
for _i in 1 2 3 4 5 6 7 8 9 10; do
	"$KPL" apply --keys "$TRUSTED" -p "$P" "$IT_DIR/thru.kpl" \
		>/dev/null 2>&1 || fails=$((fails + 1))
	"$KPL" revert -p "$P" THRU-1 >/dev/null 2>&1 || fails=$((fails + 1))
done
check "10 kmod apply/revert cycles under throwing threads ($fails failures)" \
	[ "$fails" -eq 0 ]
check "after them throws are still caught, target alive" caught_grows t "$P"
