#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# 200 apply/revert cycles of the MW fixes on miniweb-server under load:
# no crash, no failed request, mappings back to their original set.
. "$(dirname "$0")/lib.sh"
MW_BIN=${MW_BIN:?}
MW_SRC=tests/targets
PATCHES=${MW_PATCHES:?}
. "$(dirname "$0")/mw.sh"

mw_start 8 || exit 1
P=$MW_PID
file_maps "$P" >"$T/maps.0"
wrk_start 600
fails=0
i=0
while [ $i -lt 200 ]; do
	set -- $MW_IDS
	shift $((i % 3))
	id=$1
	"$KPL" apply --keys "$TRUSTED" -p "$P" "$PATCHES/$id.kpl" >/dev/null 2>>"$T/err" ||
		fails=$((fails + 1))
	"$KPL" revert -p "$P" "$id" >/dev/null 2>>"$T/err" ||
		fails=$((fails + 1))
	i=$((i + 1))
done
kill -INT "$WRK_PID" 2>/dev/null
wait "$WRK_PID"
check "200 apply/revert cycles under load without a failure" [ "$fails" -eq 0 ]
[ "$fails" -eq 0 ] || sed 's/^/#   /' "$T/err" | head -20
set -- $(wrk_result)
check "load generator: $1 requests, $2 failed" [ "$1" -gt 0 ] && [ "$2" = 0 ]
check "server alive" alive "$P"
file_maps "$P" >"$T/maps.1"
check "file mappings back to the pre-patch set, no patch mapping left" \
	sh -c "cmp -s '$T/maps.0' '$T/maps.1' && ! grep -q memfd:kpl '$T/maps.1'"
for id in $MW_IDS; do
	mw_exploit "$id"
	check "$id: original code after the cycles" [ "$MW_VERDICT" = exploited ]
done
