#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Run integration test scripts; each prints "ok N - ..." / "not ok N - ..."
# lines.  One summary line over all of them; each script's wall time
# (where make check's minutes go).
set -u
pass=0
fail=0
for t in "$@"; do
	echo "# $t"
	t0=$(date +%s)
	out=$(sh "$t" 2>&1)
	rc=$?
	printf '%s\n' "$out"
	echo "# $t: $(($(date +%s) - t0)) s"
	p=$(printf '%s\n' "$out" | grep -c '^ok ')
	f=$(printf '%s\n' "$out" | grep -c '^not ok ')
	pass=$((pass + p))
	fail=$((fail + f))
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "not ok - $t exited with status $rc"
		fail=$((fail + 1))
	fi
done
echo "integration: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
