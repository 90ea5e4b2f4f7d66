#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Check the ELF properties of libminiweb.so that kpatch-lite's tests rely
# on: soname and build-id, exported functions at least 16 bytes long and
# starting with endbr64, the vulnerable functions present under their own
# names (not inlined, not cloned, no .cold part), the duplicate static
# names each under its own FILE symbol, the TLS variable and the exported
# dispatch table.
#
# usage: check-lib.sh LIBMINIWEB.SO
set -eu

lib=$1
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

bad() {
	echo "check-lib: $*" >&2
	fail=1
}

readelf -d "$lib" | grep -q 'SONAME.*\[libminiweb\.so\.1\]' ||
	bad "$lib: soname is not libminiweb.so.1"
readelf -n "$lib" | grep -q 'Build ID' || bad "$lib: no GNU build-id"

# file:name size for every FUNC/OBJECT/TLS in .symtab; locals follow
# their FILE symbol.
readelf -W -s "$lib" | awk '
	$1 == "Symbol" { in_symtab = ($3 == "'"'"'.symtab'"'"'") }
	!in_symtab || NF < 8 { next }
	$4 == "FILE" { file = $8; next }
	$4 == "FUNC" || $4 == "OBJECT" || $4 == "TLS" {
		print ($5 == "LOCAL" ? file : "-") ":" $8, $3, $4
	}' >"$tmp/syms"
objdump -d "$lib" | awk '/^[0-9a-f]+ <.*>:$/ {
	fn = substr($2, 2, length($2) - 3); getline; print fn, ($0 ~ /endbr64/)
}' >"$tmp/entries"

readelf -W --dyn-syms "$lib" |
	awk '$4 == "FUNC" && $7 != "UND" { sub(/@.*/, "", $8); print $8, $3 }' \
		>"$tmp/exports"
nfuncs=$(awk '$3 == "FUNC"' "$tmp/syms" | wc -l)
[ "$nfuncs" -ge 40 ] || bad "only $nfuncs functions"
while read -r fn size; do
	[ "$size" -ge 16 ] || bad "exported $fn is only $size bytes"
	grep -q "^$fn 1\$" "$tmp/entries" || bad "exported $fn lacks endbr64"
done <"$tmp/exports"

for v in entities.c:miniweb_entity_decode host.c:host_copy_labels \
	tokenizer.c:scan_quoted; do
	fn=${v#*:}
	if [ "${v%%:*}" = entities.c ]; then v="-:$fn"; fi
	size=$(awk -v s="$v" '$1 == s && $3 == "FUNC" { print $2 }' "$tmp/syms")
	[ -n "$size" ] || { bad "vulnerable $v is not a symbol"; continue; }
	[ "$size" -ge 16 ] || bad "vulnerable $v is only $size bytes"
	! grep -Eq ":$fn\.(isra|constprop|part|cold)" "$tmp/syms" ||
		bad "vulnerable $fn was cloned or split"
done

for d in tokenizer.c:scan_quoted style.c:scan_quoted url.c:skip_ws \
	expr.c:skip_ws style.c:skip_ws tokenizer.c:skip_ws \
	entities.c:hexval url.c:hexval; do
	grep -q "^$d " "$tmp/syms" || bad "static $d is missing"
done
grep -q ':mw_tls [0-9]* TLS$' "$tmp/syms" || bad "no TLS variable mw_tls"
readelf -W --dyn-syms "$lib" | grep -q 'OBJECT.*miniweb_binops' ||
	bad "dispatch table miniweb_binops is not exported"

if [ $fail -ne 0 ]; then
	exit 1
fi
echo "check-lib: $lib: $nfuncs functions, $(wc -l <"$tmp/exports")" \
	"exported; vulnerable functions and duplicate statics as expected"
