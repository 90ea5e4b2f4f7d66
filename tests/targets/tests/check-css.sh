#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Check what makes libmwcss.so the C++ target of issue 13: soname and
# build-id, linked against libstdc++, Debian's hardening (RELRO, stack
# protector, fortified calls), vtables and typeinfo (RTTI), exception
# tables, template instances in COMDAT groups in its objects.  The
# vulnerable functions are present under their own names (not inlined,
# not cloned), start with endbr64 and call nothing, so that their fixes
# are live patches kpl accepts.  Then, for each fix, that exactly the
# function named in its diff changed (fn-diff.py).
#
# usage: check-css.sh OUTDIR ID...   (OUTDIR: build/targets)
set -eu

out=$1
shift
lib=$out/libmwcss.so
here=$(dirname "$0")
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

bad() {
	echo "check-css: $*" >&2
	fail=1
}

readelf -d "$lib" >"$tmp/dyn"
grep -q 'SONAME.*\[libmwcss\.so\.1\]' "$tmp/dyn" || bad "soname is not libmwcss.so.1"
grep -q 'NEEDED.*\[libstdc++\.so' "$tmp/dyn" || bad "not linked against libstdc++"
readelf -n "$lib" | grep -q 'Build ID' || bad "no GNU build-id"
readelf -W -l "$lib" | grep -q GNU_RELRO || bad "no RELRO segment"
readelf -W -S "$lib" | grep -q '\.gcc_except_table' || bad "no exception tables"

readelf -W -s "$lib" | awk '$4 == "FUNC" || $4 == "OBJECT" { print $8, $3 }' |
	sort -u >"$tmp/syms"
for s in __stack_chk_fail __snprintf_chk __cxa_throw __dynamic_cast; do
	grep -q "^$s" "$tmp/syms" || bad "does not use $s"
done
for s in _ZTVN5mwcss11StringValueE _ZTVN5mwcss5ColorE \
	_ZTIN5mwcss10ParseErrorE _ZTIN5mwcss5ColorE _ZTIN5mwcss10PaletteRefE; do
	grep -q "^$s " "$tmp/syms" || bad "no vtable or typeinfo $s"
done

readelf -W -g "$out/obj/css/parser.o" >"$tmp/groups"
for g in _ZN5mwcss10parse_uintIjEEbRPKcS2_T_RS4_ \
	_ZN5mwcss10parse_uintImEEbRPKcS2_T_RS4_; do
	grep -q "COMDAT group.*\[$g\]" "$tmp/groups" ||
		bad "template instance $g is not in a COMDAT group"
done

objdump -d --no-show-raw-insn "$lib" >"$tmp/dis"
for fn in _ZNK5mwcss5Sheet10palette_atEm \
	_ZNK5mwcss11StringValue9serializeERNS_3OutE; do
	size=$(awk -v f="$fn" '$1 == f { print $2 }' "$tmp/syms")
	[ -n "$size" ] && [ "$size" -ge 16 ] ||
		bad "vulnerable $fn missing or shorter than 16 bytes"
	! grep -Eq "^$fn\.(isra|constprop|part|cold)" "$tmp/syms" ||
		bad "vulnerable $fn was cloned or split"
	awk -v f="<$fn>:" '$2 == f { on = 1; next } on && /^$/ { exit }
		on { print }' "$tmp/dis" >"$tmp/body"
	head -1 "$tmp/body" | grep -q endbr64 || bad "$fn lacks endbr64"
	! grep -Eq '\s(call|jmp)\s.*<[^+>]*>$' "$tmp/body" ||
		bad "$fn calls a function: its fix may be refused"
done

for id in "$@"; do
	fn=$(sed -n 's/^# Function: [^:]*:\(.*\)$/\1/p' "tests/targets/fixes/$id.diff")
	python3 "$here/fn-diff.py" "$out/obj/css" "$out/fix-$id/obj" \
		--expect "$fn" || bad "$id changes more than $fn"
done

[ $fail -eq 0 ] || exit 1
echo "check-css: $lib: C++ target as expected; each fix changes one function"
