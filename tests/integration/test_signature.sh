#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Signatures: apply and check take only patches that a trusted key signed,
# over every byte; --insecure-allow-unsigned lets an unsigned one through
# loudly, and never a tampered or untrusted one.
. "$(dirname "$0")/lib.sh"
KPLBUILD=${KPLBUILD:?}

start_spin sig --threads 4 || exit 1
P=$SPIN_PID
maps "$P" >"$T/maps.0"

expect_rc 0 "signed patch passes the check with the trusted key" \
	"$KPL" check --keys "$TRUSTED" -p "$P" "$IT_DIR/spin10.kpl"
"$KPL" info "$IT_DIR/spin10.kpl" >"$T/info" 2>&1
check "kpl info names the signing key" grep -q '^signature:   ed25519, key [0-9a-f]\{16\}$' "$T/info"
expect_rc 0 "kpl info --keys verifies it" "$KPL" info --keys "$TRUSTED" "$IT_DIR/spin10.kpl"
check "  and says so" grep -q 'verified with the keys in' "$T/cmd.out"
# libcrypto's configuration file plays no part in the check: one that
# makes OpenSSL's set-up fail (a provider that does not exist) changes
# nothing (kpl sets libcrypto up without reading it).
cat >"$T/bad.cnf" <<EOF
openssl_conf = openssl_init
config_diagnostics = 1
[openssl_init]
providers = provider_sect
[provider_sect]
nosuch = nosuch_sect
[nosuch_sect]
activate = 1
EOF
OPENSSL_CONF=$T/bad.cnf "$KPL" info --keys "$TRUSTED" "$IT_DIR/spin10.kpl" \
	>"$T/info.conf" 2>&1
check "  whatever OPENSSL_CONF names" grep -q ', verified with the keys' "$T/info.conf"

# A trusted key is read by hand in the form openssl and kpl-build write
# (sign.c); any other form goes to OpenSSL's PEM reader, as before.
# Same key with CRLF line ends: the reader's way, still verified.
mkdir -p "$T/crlf" && sed 's/$/\r/' "$TRUSTED"/*.pub >"$T/crlf/k.pub"
expect_rc 0 "a trusted key with CRLF line ends still verifies" \
	"$KPL" info --keys "$T/crlf" "$IT_DIR/spin10.kpl"
check "  (it is the reader's form, not the plain one)" \
	grep -q ', verified with the keys' "$T/cmd.out"
# An X25519 key has the plain form, the same length, and another OID:
# refused as not Ed25519 rather than taken as 32 bytes of a key.
mkdir -p "$T/x25519"
openssl genpkey -algorithm x25519 2>/dev/null |
	openssl pkey -pubout -out "$T/x25519/x.pub" 2>/dev/null
check "  (an X25519 key is as long as an Ed25519 one)" \
	test "$(wc -c <"$T/x25519/x.pub")" = "$(cat "$TRUSTED"/*.pub | wc -c)"
expect_rc 3 "a trusted directory with only an X25519 key verifies nothing" \
	"$KPL" info --keys "$T/x25519" "$IT_DIR/spin10.kpl"
check "  the key is skipped as not Ed25519" \
	grep -q 'x.pub: not an Ed25519 key' "$T/cmd.err"

# Unsigned: made by pack without --key.
"$KPLBUILD" pack --lib "$IT_DIR/libspin.so.1" \
	--manifest tests/integration/fixtures/spin10.manifest \
	-o "$T/unsigned.kpl" "$IT_DIR/spin_fix.o" 2>/dev/null
expect_rc 3 "unsigned patch refused" \
	"$KPL" apply --keys "$TRUSTED" -p "$P" "$T/unsigned.kpl"
check "  the error says it is not signed" grep -q 'is not signed' "$T/cmd.err"
expect_rc 0 "kpl info still describes an unsigned patch" "$KPL" info "$T/unsigned.kpl"
check "  as unsigned" grep -q '^signature:   none' "$T/cmd.out"
if [ ! -e /etc/kpatch-lite/keys ]; then
	expect_rc 3 "without --keys, the default directory is used (absent here)" \
		"$KPL" check -p "$P" "$IT_DIR/spin10.kpl"
	check "  and named" grep -q '/etc/kpatch-lite/keys' "$T/cmd.err"
fi

# Tampered: one byte of code, one byte of metadata, one of the signature.
tamper() { # tamper SRC DST OFFSET: flip the bits of one byte
	cp "$1" "$2"
	b=$(od -An -tu1 -j "$3" -N1 "$2" | tr -d ' ')
	printf "$(printf '\\%03o' $((b ^ 255)))" |
		dd of="$2" bs=1 seek="$3" conv=notrunc 2>/dev/null
}
sec_off() { # sec_off FILE NAME: file offset of section NAME (decimal)
	readelf -SW "$1" | awk -v n="$2" '$2 == n { print $5 } $3 == n { print $6 }' |
		head -1 | sed 's/^/0x/' | xargs printf '%d\n'
}
code=$(sec_off "$IT_DIR/spin10.kpl" .text.spin_f0)
desc=$(grep -boa 'add 1000' "$IT_DIR/spin10.kpl" | head -1 | cut -d: -f1)
sig=$(sec_off "$IT_DIR/spin10.kpl" .kpl.sig)
tamper "$IT_DIR/spin10.kpl" "$T/t-code.kpl" $((code + 1))
tamper "$IT_DIR/spin10.kpl" "$T/t-desc.kpl" $((desc + 4))
tamper "$IT_DIR/spin10.kpl" "$T/t-sig.kpl" $((sig + 60))
for w in code desc sig; do
	expect_rc 3 "tampered patch ($w byte changed) refused" \
		"$KPL" apply --keys "$TRUSTED" -p "$P" "$T/t-$w.kpl"
	check "  the error says the signature does not verify" \
		grep -q 'does not verify' "$T/cmd.err"
done
expect_rc 3 "tampered patch refused even with --insecure-allow-unsigned" \
	"$KPL" apply --keys "$TRUSTED" --insecure-allow-unsigned -p "$P" "$T/t-code.kpl"

# Signed, but by a key the target machine does not trust.
"$KPLBUILD" sign --key "$KPL_KEYS/other.key" -o "$T/other.kpl" \
	"$IT_DIR/spin10.kpl" 2>/dev/null
expect_rc 3 "patch signed by an untrusted key refused" \
	"$KPL" apply --keys "$TRUSTED" -p "$P" "$T/other.kpl"
check "  the error names the key" grep -q 'signed by key [0-9a-f]*, which is not among the trusted keys' "$T/cmd.err"
expect_rc 3 "  also with --insecure-allow-unsigned" \
	"$KPL" apply --keys "$TRUSTED" --insecure-allow-unsigned -p "$P" "$T/other.kpl"
mkdir -p "$T/both" && cp "$TRUSTED"/*.pub "$KPL_KEYS/other.pub" "$T/both/"
expect_rc 0 "  accepted once its key is trusted" \
	"$KPL" check --keys "$T/both" -p "$P" "$T/other.kpl"

maps "$P" >"$T/maps.1"
check "no refusal changed the mappings" cmp -s "$T/maps.0" "$T/maps.1"

# Unsigned, explicitly allowed: applies, with a loud warning.
expect_rc 0 "unsigned patch applied with --insecure-allow-unsigned" \
	"$KPL" apply --keys "$TRUSTED" --insecure-allow-unsigned -p "$P" "$T/unsigned.kpl"
check "  with a warning on stderr" grep -q 'WARNING: .*IS NOT SIGNED' "$T/cmd.err"
expect_rc 0 "  and reverted" "$KPL" revert -p "$P" SPIN-10

# kpl-build sign turns the unsigned patch into one apply takes.
expect_rc 0 "kpl-build sign signs a packed patch" \
	"$KPLBUILD" sign --key "$KPL_KEYS/test.key" "$T/unsigned.kpl"
expect_rc 0 "  which then applies with the trusted key" \
	"$KPL" apply --keys "$TRUSTED" -p "$P" "$T/unsigned.kpl"
expect_rc 0 "  and reverts" "$KPL" revert -p "$P" SPIN-10
maps "$P" >"$T/maps.2"
check "mappings back to the pre-patch set" cmp -s "$T/maps.0" "$T/maps.2"
check "target alive" alive "$P"
