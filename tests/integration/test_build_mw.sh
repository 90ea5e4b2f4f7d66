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

# calls ID original|fixed: how often the vulnerable function ran that body
calls() {
	curl -s "$MW_URL/stats" |
		awk -v id="$1" -v w="$2=" '$1 == "calls:" && $3 == id {
			for (i = 4; i <= NF; i++) if (index($i, w) == 1)
				print substr($i, length(w) + 1) }'
}

for id in $MW_IDS; do
	"$KPL" info --keys "$TRUSTED" "$BUILT/$id.kpl" >"$T/$id.info" 2>&1
	fn=$(sed -n 's/^# Function: [^:]*:\(.*\)$/\1/p' "$MW_SRC/fixes/$id.diff")
	check "$id built from its diff: signed, verified, replaces exactly $fn" \
		sh -c "grep -q 'verified with' '$T/$id.info' &&
		       [ \"\$(sed -n 's/^functions: *//p' '$T/$id.info')\" = 1 ] &&
		       grep -q '^  $fn ' '$T/$id.info'"
done

mw_start 8 || exit 1
P=$MW_PID
file_maps "$P" >"$T/maps.0"
wrk_start 8
sleep 1
for id in $MW_IDS; do
	mw_exploit "$id"
	check "$id exploit works on the running library ($MW_CODE)" \
		[ "$MW_VERDICT" = exploited ]
	expect_rc 0 "$id (built) applied under load" \
		"$KPL" apply --keys "$TRUSTED" -p "$P" "$BUILT/$id.kpl"
	o0=$(calls "$id" original)
	f0=$(calls "$id" fixed)
	mw_exploit "$id"
	check "$id exploit rejected after apply ($MW_CODE)" \
		[ "$MW_VERDICT" = rejected ]
	o1=$(calls "$id" original)
	f1=$(calls "$id" fixed)
	check "$id: the diff's body ran (fixed $f0 -> $f1), the old one did not ($o0 = $o1)" \
		[ -n "$f1" ] && [ "$f1" -gt "$f0" ] && [ "$o0" = "$o1" ]
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
