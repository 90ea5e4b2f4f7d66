#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The MW fixes built by `kpl-build build` straight from their diffs
# (tests/targets/fixes/*.diff, see tests/build/build.mk), applied live to
# miniweb-server under load: each exploit works before, is rejected after,
# and the body that runs is the one the diff wrote (its debug counter is
# MW_BODY_FIXED); reverted, the exploits work again.
. "$(dirname "$0")/lib.sh"
MW_BIN=${MW_BIN:?}
MW_SRC=tests/targets
BUILT=${MW_BUILT:?}
. "$(dirname "$0")/mw.sh"

for id in $MW_IDS; do
	check_built "$id" "$BUILT/$id.kpl"
done

mw_start 8 || exit 1
P=$MW_PID
file_maps "$P" >"$T/maps.0"
wrk_start 8
sleep 1
for id in $MW_IDS; do
	check_live_fix "$id" "$BUILT/$id.kpl"
done
for id in MW-2026-0003 MW-2026-0002 MW-2026-0001; do
	expect_rc 0 "$id reverted" "$KPL" revert -p "$P" "$id"
	mw_exploit "$id"
	check "$id exploit works again after revert ($MW_CODE)" \
		[ "$MW_VERDICT" = exploited ]
done
file_maps "$P" >"$T/maps.1"
check "file mappings back to the pre-patch set" cmp -s "$T/maps.0" "$T/maps.1"
wait "$WRK_PID"
set -- $(wrk_result)
check "load generator: $1 requests, $2 failed" [ "$1" -gt 0 ] && [ "$2" = 0 ]
check "server alive" alive "$P"
