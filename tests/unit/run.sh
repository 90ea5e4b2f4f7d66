#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Run each CMocka binary and print one summary line over all of them.
# Unit tests may read real ELF files the build made; unit.mk passes their
# paths as KPL_TEST_LIBSPIN, KPL_TEST_SPIN_LOCAL and KPL_TEST_IT_DIR,
# inherited from here.
set -u
pass=0
fail=0
for t in "$@"; do
	out=$("$t" 2>&1)
	rc=$?
	printf '%s\n' "$out"
	p=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p')
	f=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p')
	pass=$((pass + ${p:-0}))
	fail=$((fail + ${f:-0}))
	if [ "$rc" -ne 0 ] && [ -z "$f" ]; then
		echo "unit: $t exited with status $rc"
		fail=$((fail + 1))
	fi
done
echo "unit: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
