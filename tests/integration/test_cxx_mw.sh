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

for id in $CSS_IDS; do
	check_built "$id" "$PATCHES/$id.kpl"
	check "$id targets libmwcss.so.1" grep -q '^target: *libmwcss.so.1$' "$T/$id.info"
done

mw_start 8 || exit 1
P=$MW_PID
file_maps "$P" >"$T/maps.0"
wrk_start 8
sleep 1
for id in $CSS_IDS; do
	check_live_fix "$id" "$PATCHES/$id.kpl"
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
