#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Exceptions through patch code with the kmod backend (issue 13).  The
# module never runs code in the target, so a patch's unwind table cannot
# be registered with the process's libgcc, and an exception meeting patch
# code would end it in std::terminate().  THRU-1 (as in test_eh.sh) is C
# code that a C++ callback's exception passes through: in kpl-thru, a C++
# process, it was applied and the first throw killed the process.  Now a
# patch with unwind entries, in a process that maps libgcc_s, is refused
# before anything is touched, naming the cause and the backend that can
# apply it; which then does, in the same process.  The kmod backend only: make
# check-kmod-it runs it in the guest (tests/kmod/test_it.sh sets
# KPL_BACKEND=kmod); elsewhere it says so and checks nothing.
. "$(dirname "$0")/lib.sh"

if [ "${KPL_BACKEND:-}" != kmod ]; then
	echo "# the kmod backend only: make check-kmod-it runs it in the guest"
	exit 0
fi

# shellcheck source=tests/integration/thru.sh
. "$(dirname "$0")/thru.sh"

start_thru --threads 2 || exit 1
file_maps "$P" >"$T/maps.0"

expect_rc 3 "kmod: a patch whose code may throw is refused" \
	"$KPL" apply --keys "$TRUSTED" -p "$P" "$IT_DIR/thru.kpl"
sed 's/^/# /' "$T/cmd.err"
check "it names the cause: no unwind table can be registered" \
	grep -q "patch THRU-1 carries unwind entries and the process maps libgcc_s.so.1, so a callback's exception or a thread's cancellation may pass through its code, but the kmod backend cannot run code in the target to register its unwind table with libgcc: an exception there would end the process" "$T/cmd.err"
check "it says which backend can apply it" \
	grep -q "apply it with --backend ptrace, which registers it" "$T/cmd.err"
expect_rc 3 "kpl check (a dry run) refuses it too" \
	"$KPL" check --keys "$TRUSTED" -p "$P" "$IT_DIR/thru.kpl"
check "saying the same" \
	grep -q "apply it with --backend ptrace, which registers it" "$T/cmd.err"
file_maps "$P" >"$T/maps.1"
check "nothing changed: no patch mapping, the same file mappings" \
	sh -c "[ \$(grep -c memfd:kpl: /proc/$P/maps) -eq 0 ] &&
		cmp -s '$T/maps.0' '$T/maps.1'"
r=$(thru t "$P")
check "the library's thru_call still runs (adds 1)" \
	[ "$(field "$r" delta)" = 1 ]
check "throws are still caught" caught_grows t "$P"

# As it says: the ptrace backend registers the table and applies it.
expect_rc 0 "with --backend ptrace the same patch applies" \
	"$_kpl_real" apply --backend ptrace --keys "$TRUSTED" -p "$P" \
	"$IT_DIR/thru.kpl"
check "exceptions thrown through the patched thru_call are caught" \
	caught_grows t "$P"
r=$(thru t "$P")
check "the patch runs (adds 2), no wrong result" \
	[ "$(field "$r" delta)" = 2 -a "$(field "$r" bad)" = 0 ]
expect_rc 0 "revert with --backend ptrace" \
	"$_kpl_real" revert --backend ptrace -p "$P" THRU-1
check "target alive, no patch mapping left" \
	sh -c "kill -0 $P && [ \$(grep -c memfd:kpl: /proc/$P/maps) -eq 0 ]"
