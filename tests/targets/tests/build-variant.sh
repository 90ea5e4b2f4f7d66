#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Build libminiweb.so (or MW_VARIANT_LIB, e.g. libmwcss, from *.cc) with
# fixes applied, the way a vendor would: copy the sources to OUTDIR/tree,
# `patch -p1` each diff there, compile every file to OUTDIR/obj with the
# shipped flags, link OUTDIR/LIB.so.
#
# usage: build-variant.sh OUTDIR DIFF... (CC, MW_LIB_CFLAGS, MW_LIB_LDFLAGS,
#        MW_VARIANT_LIB come from the environment; run from the repository
#        root)
set -eu

out=$1
shift
lib=${MW_VARIANT_LIB:-libminiweb}
src=tests/targets/$lib
ext=c
[ "$lib" = libminiweb ] || ext=cc

rm -rf "$out"
mkdir -p "$out/tree/tests/targets" "$out/obj"
cp -R "$src" "$out/tree/tests/targets/"
for d in "$@"; do
	if ! patch -s -p1 -d "$out/tree" <"$d"; then
		echo "build-variant: failed to apply $d" >&2
		exit 1
	fi
done
for c in "$out/tree/$src"/*.$ext; do
	o="$out/obj/$(basename "${c%.$ext}").o"
	# shellcheck disable=SC2086 # flag lists
	${CC:-gcc} $MW_LIB_CFLAGS -c "$c" -o "$o"
done
# shellcheck disable=SC2086
${CC:-gcc} $MW_LIB_CFLAGS $MW_LIB_LDFLAGS "$out"/obj/*.o \
	-o "$out/$lib.so"
ln -sf "$lib.so" "$out/$lib.so.1"
