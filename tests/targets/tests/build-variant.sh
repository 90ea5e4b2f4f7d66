#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Build libminiweb.so with fixes applied, the way a vendor would:
# copy the sources to OUTDIR/tree, `patch -p1` each diff there, compile
# every file to OUTDIR/obj with the shipped flags, link OUTDIR/libminiweb.so.
#
# usage: build-variant.sh OUTDIR DIFF... (CC, MW_LIB_CFLAGS, MW_LIB_LDFLAGS
#        come from the environment; run from the repository root)
set -eu

out=$1
shift
src=tests/targets/libminiweb

rm -rf "$out"
mkdir -p "$out/tree/tests/targets" "$out/obj"
cp -R "$src" "$out/tree/tests/targets/"
for d in "$@"; do
	if ! patch -s -p1 -d "$out/tree" <"$d"; then
		echo "build-variant: failed to apply $d" >&2
		exit 1
	fi
done
for c in "$out/tree/$src"/*.c; do
	o="$out/obj/$(basename "${c%.c}").o"
	# shellcheck disable=SC2086 # flag lists
	${CC:-gcc} $MW_LIB_CFLAGS -c "$c" -o "$o"
done
# shellcheck disable=SC2086
${CC:-gcc} $MW_LIB_CFLAGS $MW_LIB_LDFLAGS "$out"/obj/*.o \
	-o "$out/libminiweb.so"
ln -sf libminiweb.so "$out/libminiweb.so.1"
