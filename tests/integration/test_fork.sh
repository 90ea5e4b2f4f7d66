#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Fork during apply and revert: a child copies the
# parent's patch mappings in whatever phase they were.  The next command
# on a child repairs what it inherited mid-transaction, and revert --all
# counts every process right: none is left holding an orphaned mapping.
# The patch id is this test's own: revert --all is machine-wide.
. "$(dirname "$0")/lib.sh"

NCHILD=40
"$IT_DIR/kpl-forker" $NCHILD >"$T/f.out" 2>&1 &
P=$!
PIDS="$PIDS $P"
wait_ready "$T/f.out" kpl-forker || exit 1
cycles=0
bad=0
while ! grep -q '^forked' "$T/f.out"; do
	"$KPL" apply --keys "$TRUSTED" -p "$P" "$IT_DIR/spin_fork.kpl" \
		>"$T/a.log" 2>&1 || { bad=$((bad + 1)); cat "$T/a.log"; }
	"$KPL" revert -p "$P" SPIN-FORK >"$T/r.log" 2>&1 ||
		{ bad=$((bad + 1)); cat "$T/r.log"; }
	cycles=$((cycles + 1))
	alive "$P" || break
done
echo "# $cycles apply/revert cycles while forking"
check "every apply and revert of the parent succeeded" [ "$bad" -eq 0 ]
CHILDREN=$(cat "/proc/$P/task/$P/children")
PIDS="$PIDS $CHILDREN"
check "all $NCHILD children alive" \
	[ "$(echo "$CHILDREN" | wc -w)" -eq $NCHILD ]

# Children holding SPIN-FORK, applied or inherited mid-transaction.
holders=0
for c in $CHILDREN; do
	grep -q '/memfd:kpl:SPIN-FORK' "/proc/$c/maps" && holders=$((holders + 1))
done
echo "# $holders children hold a SPIN-FORK mapping"
"$KPL" revert --all SPIN-FORK >"$T/all.out" 2>"$T/all.err"
rc=$?
sed 's/^/# /' "$T/all.out"
check "revert --all succeeds (exit $rc)" [ "$rc" -eq 0 ]
check "revert --all counts each holder: $holders of $holders" \
	grep -q "reverted in $holders of $holders process" "$T/all.out"

left=0
for c in $CHILDREN; do
	"$KPL" status -p "$c" >"$T/s.out" 2>"$T/s.err" ||
		{ left=$((left + 1)); cat "$T/s.err"; continue; }
	# A mapping caught before its record was written has no record:
	# garbage, for the rule on invalid records, not this test.
	grep -q 'unreadable patch record' "$T/s.err" && continue
	if grep -q '/memfd:kpl:' "/proc/$c/maps" ||
	    ! grep -q ': 0 patches' "$T/s.out"; then
		left=$((left + 1))
		sed 's/^/# /' "$T/s.out" "$T/s.err"
	fi
done
check "no child is left with a patch mapping or record" [ "$left" -eq 0 ]
"$KPL" status -p "$P" >"$T/s.out" 2>&1
check "later commands warn no more" sh -c "! grep -q 'interrupted' '$T/s.out'"
alive_all=0
for c in $P $CHILDREN; do alive "$c" || alive_all=$((alive_all + 1)); done
check "parent and children alive" [ "$alive_all" -eq 0 ]
for c in $CHILDREN; do kill -KILL "$c" 2>/dev/null; done
