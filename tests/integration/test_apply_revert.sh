#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Apply a 10-function patch to a live 8-thread process, check it, list
# it, refuse it twice, revert it: mappings return to their first set.
. "$(dirname "$0")/lib.sh"

start_spin a --threads 8 || exit 1
P=$SPIN_PID
maps "$P" >"$T/maps.0"
r=$(report a "$P")
check "original code runs before apply" [ "$(field "$r" f0)" = 0 ]

expect_rc 0 "check (dry run) accepts the patch" \
	"$KPL" check --keys "$TRUSTED" -p "$P" "$IT_DIR/spin10.kpl"
maps "$P" >"$T/maps.1"
check "check writes nothing: mappings unchanged" cmp -s "$T/maps.0" "$T/maps.1"

expect_rc 0 "apply 10 functions" "$KPL" apply --keys "$TRUSTED" -p "$P" "$IT_DIR/spin10.kpl"
r=$(report a "$P")
check "patched code runs: f0=1000" [ "$(field "$r" f0)" = 1000 ]
check "patched code runs: f9=1028" [ "$(field "$r" f9)" = 1028 ]
check "patch mapping is named in /proc/PID/maps" \
	grep -q '/memfd:kpl:SPIN-10' "/proc/$P/maps"
check "no page is both writable and executable" \
	sh -c "! grep -E ' (rwx|-wx)' /proc/$P/maps | grep -q kpl"

"$KPL" status -p "$P" >"$T/st.txt"
check "status lists the patch as applied" grep -q 'SPIN-10 .*applied' "$T/st.txt"
"$KPL" status --json >"$T/st.json"
check "status --json without pid finds the process" \
	grep -q "\"pid\":$P,\"patches\":\[{\"id\":\"SPIN-10\"" "$T/st.json"
check "status --json is valid JSON" python3 -m json.tool "$T/st.json" >/dev/null

expect_rc 6 "apply refuses a patch already applied" \
	"$KPL" apply --keys "$TRUSTED" -p "$P" "$IT_DIR/spin10.kpl"
check "refused apply left one patch mapping" \
	[ "$(grep -c '/memfd:kpl:' "/proc/$P/maps")" -ge 1 ]

"$KPL" apply --keys "$TRUSTED" --json -p "$P" "$IT_DIR/spin1.kpl" >"$T/apply.json" 2>/dev/null
check "apply --json reports failure as JSON (SPIN-1 stacks fine)" \
	python3 -c "import json,sys; d=json.load(open('$T/apply.json')); sys.exit(0 if d['ok'] and d['pause_us']>0 else 1)"
expect_rc 0 "revert the stacked patch" "$KPL" revert -p "$P" SPIN-1

expect_rc 0 "revert" "$KPL" revert -p "$P" SPIN-10
r=$(report a "$P")
check "original code runs after revert: f0=0" [ "$(field "$r" f0)" = 0 ]
check "original code runs after revert: f9=28" [ "$(field "$r" f9)" = 28 ]
maps "$P" >"$T/maps.2"
check "mappings back to the pre-patch set" cmp -s "$T/maps.0" "$T/maps.2"
expect_rc 6 "revert refuses a patch not applied" \
	"$KPL" revert -p "$P" SPIN-10
check "target still alive" alive "$P"
