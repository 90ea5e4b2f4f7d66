#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# 200 apply/revert cycles on a 16-thread process that never stops
# calling the patched functions: no crash, mappings back where they were.
. "$(dirname "$0")/lib.sh"

start_spin c --threads 16 || exit 1
P=$SPIN_PID
maps "$P" >"$T/maps.0"
fails=0
i=0
while [ $i -lt 200 ]; do
	"$KPL" apply --keys "$TRUSTED" -p "$P" "$IT_DIR/spin10.kpl" >/dev/null 2>>"$T/err" ||
		fails=$((fails + 1))
	"$KPL" revert -p "$P" SPIN-10 >/dev/null 2>>"$T/err" ||
		fails=$((fails + 1))
	i=$((i + 1))
done
check "200 apply/revert cycles without a failure" [ "$fails" -eq 0 ]
[ "$fails" -eq 0 ] || sed 's/^/#   /' "$T/err" | head -20
check "target survived" alive "$P"
r=$(report c "$P")
check "original code after the cycles" [ "$(field "$r" f0)/$(field "$r" f9)" = 0/28 ]
maps "$P" >"$T/maps.1"
check "mappings back to the pre-patch set" cmp -s "$T/maps.0" "$T/maps.1"
