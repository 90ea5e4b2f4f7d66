#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Each MW fix applied live to miniweb-server under wrk load: its exploit
# works before, is rejected after apply, works again after revert, and
# the load generator sees no failed request.
. "$(dirname "$0")/lib.sh"
MW_BIN=${MW_BIN:?}
MW_SRC=tests/targets
PATCHES=${MW_PATCHES:?}
. "$(dirname "$0")/mw.sh"

mw_start 8 || exit 1
P=$MW_PID
file_maps "$P" >"$T/maps.0"
wrk_start 20
sleep 1
for id in $MW_IDS; do
	mw_exploit "$id"
	check "$id exploit works on the running library ($MW_CODE)" \
		[ "$MW_VERDICT" = exploited ]
	expect_rc 0 "$id applied under load" "$KPL" apply --keys "$TRUSTED" -p "$P" "$PATCHES/$id.kpl"
	mw_exploit "$id"
	check "$id exploit rejected after apply ($MW_CODE)" \
		[ "$MW_VERDICT" = rejected ]
	fn=$(sed -n 's/^func \([^ ]*\).*/\1/p' "$MW_SRC/patches/$id.manifest")
	before=$(curl -s "$MW_URL/stats" | awk -v f="$fn" '$2 == f { print $4 }')
	mw_exploit "$id"
	after=$(curl -s "$MW_URL/stats" | awk -v f="$fn" '$2 == f { print $4 }')
	check "$id: the vulnerable body no longer runs ($before = $after)" \
		[ -n "$before" ] && [ "$before" = "$after" ]
done
"$KPL" status -p "$P" >"$T/st.txt"
check "status lists the three fixes" [ "$(grep -c 'MW-2026-000[123] .*applied' "$T/st.txt")" = 3 ]
for id in MW-2026-0003 MW-2026-0002 MW-2026-0001; do
	expect_rc 0 "$id reverted under load" "$KPL" revert -p "$P" "$id"
	mw_exploit "$id"
	check "$id exploit works again after revert ($MW_CODE)" \
		[ "$MW_VERDICT" = exploited ]
done
file_maps "$P" >"$T/maps.1"
check "file mappings back to the pre-patch set, no patch mapping left" \
	sh -c "cmp -s '$T/maps.0' '$T/maps.1' && ! grep -q memfd:kpl '$T/maps.1'"
wait "$WRK_PID"
set -- $(wrk_result)
check "load generator: $1 requests, $2 failed" [ "$1" -gt 0 ] && [ "$2" = 0 ]
check "server alive" alive "$P"
