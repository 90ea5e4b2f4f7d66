#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# 200 apply/revert cycles on a 16-thread process that never stops
# calling the patched functions: no crash, mappings back where they were.
# Then 200 cycles of the C++ fixes (libmwcss, virtual method included) on
# miniweb-server under wrk: no failed request or command, no death.
. "$(dirname "$0")/lib.sh"
MW_BIN=${MW_BIN:?}
MW_SRC=tests/targets
PATCHES=${MW_PATCHES:?}
. "$(dirname "$0")/mw.sh"

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

# The C++ patches, alternately, under load.
mw_start 8 || exit 1
P=$MW_PID
file_maps "$P" >"$T/mw.0"
wrk_start 900
: >"$T/err"
t0=$(date +%s)
fails=0
i=0
while [ $i -lt 200 ]; do
	set -- $CSS_IDS
	shift $((i % $#))
	"$KPL" apply --keys "$TRUSTED" -p "$P" "$PATCHES/$1.kpl" >/dev/null 2>>"$T/err" ||
		fails=$((fails + 1))
	"$KPL" revert -p "$P" "$1" >/dev/null 2>>"$T/err" ||
		fails=$((fails + 1))
	i=$((i + 1))
done
kill -INT "$WRK_PID" 2>/dev/null
wait "$WRK_PID"
echo "# 200 C++ cycles under load in $(($(date +%s) - t0)) s"
check "200 apply/revert cycles of the C++ patches under load, none failed" [ "$fails" -eq 0 ]
[ "$fails" -eq 0 ] || sed 's/^/#   /' "$T/err" | head -20
set -- $(wrk_result)
check "load generator: $1 requests, $2 failed" [ "$1" -gt 0 ] && [ "$2" = 0 ]
check "server alive" alive "$P"
for id in $CSS_IDS; do
	mw_exploit "$id"
	check "$id: original code after the cycles ($MW_CODE)" [ "$MW_VERDICT" = exploited ]
done
file_maps "$P" >"$T/mw.1"
check "server's file mappings back to the pre-patch set" cmp -s "$T/mw.0" "$T/mw.1"
check "no patch mapping left in the server" \
	[ "$(grep -c '/memfd:kpl:' "/proc/$P/maps")" = 0 ]
