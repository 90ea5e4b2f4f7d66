#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The C++ target (libmwcss, issue 13): its two fixes, built by
# `kpl-build build` from their diffs (tests/targets/patches/patches.mk),
# applied live to miniweb-server under load.  Each exploit works before,
# is rejected after, and the body that runs is the one the diff wrote (its
# debug counter is BODY_FIXED), the virtual StringValue::serialize
# included, reached through its unchanged vtable.  C++ exceptions thrown
# and caught inside the library (every rejected sheet) keep working while
# the fixes are in.  Reverted, the exploits work again and the server's
# file mappings are what they were.
. "$(dirname "$0")/lib.sh"
MW_BIN=${MW_BIN:?}
MW_SRC=tests/targets
PATCHES=${MW_PATCHES:?}
. "$(dirname "$0")/mw.sh"

# calls ID original|fixed: how often the vulnerable function ran that body
calls() {
	curl -s "$MW_URL/stats" |
		awk -v id="$1" -v w="$2=" '$1 == "calls:" && $3 == id {
			for (i = 4; i <= NF; i++) if (index($i, w) == 1)
				print substr($i, length(w) + 1) }'
}

for id in $CSS_IDS; do
	"$KPL" info --keys "$TRUSTED" "$PATCHES/$id.kpl" >"$T/$id.info" 2>&1
	fn=$(sed -n 's/^# Function: [^:]*:\(.*\)$/\1/p' "$MW_SRC/fixes/$id.diff")
	check "$id built from its diff: signed, verified, replaces exactly $fn" \
		sh -c "grep -q 'verified with' '$T/$id.info' &&
		       [ \"\$(sed -n 's/^functions: *//p' '$T/$id.info')\" = 1 ] &&
		       grep -q '^  $fn ' '$T/$id.info'"
	check "$id targets libmwcss.so.1" grep -q '^target: *libmwcss.so.1$' "$T/$id.info"
done

mw_start 8 || exit 1
P=$MW_PID
file_maps "$P" >"$T/maps.0"
wrk_start 8
sleep 1
for id in $CSS_IDS; do
	mw_exploit "$id"
	check "$id exploit works on the running library ($MW_CODE)" \
		[ "$MW_VERDICT" = exploited ]
	expect_rc 0 "$id applied under load" \
		"$KPL" apply --keys "$TRUSTED" -p "$P" "$PATCHES/$id.kpl"
	o0=$(calls "$id" original)
	f0=$(calls "$id" fixed)
	mw_exploit "$id"
	check "$id exploit rejected after apply ($MW_CODE: $(head -1 "$T/$id.out"))" \
		[ "$MW_VERDICT" = rejected ]
	o1=$(calls "$id" original)
	f1=$(calls "$id" fixed)
	check "$id: the diff's body ran (fixed $f0 -> $f1), the old one did not ($o0 = $o1)" \
		[ -n "$f1" ] && [ "$f1" -gt "$f0" ] && [ "$o0" = "$o1" ]
done
# A sheet the parser rejects is a ParseError thrown and caught inside
# libmwcss: still a clean 400 with both C++ fixes in.
code=$(curl -s -o "$T/err.out" -w '%{http_code}' --data-binary 'a { color: "x' "$MW_URL/css")
check "exception thrown and caught in the patched library: 400 ($(head -1 "$T/err.out"))" \
	[ "$code" = 400 ] && grep -q '^error: unterminated string$' "$T/err.out"
code=$(curl -s -o "$T/ok.out" -w '%{http_code}' \
	--data-binary '/**/@palette #abc, 2px; p { color: palette(0); content: "a\"" }' "$MW_URL/css")
check "a good sheet still renders with the fixes in" \
	[ "$code" = 200 ] && grep -qF 'p { color: #aabbcc; content: "a\x5c""; }' "$T/ok.out"
"$KPL" status -p "$P" >"$T/status" 2>&1
check "status lists both C++ patches" \
	sh -c "grep -q CSS-2026-0001 '$T/status' && grep -q CSS-2026-0002 '$T/status'"
for id in CSS-2026-0002 CSS-2026-0001; do
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
