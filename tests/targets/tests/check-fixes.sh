#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# For each fix, against its fixed build OUTDIR/fix-ID (see build-variant.sh):
# the normal-behaviour tests still pass, its exploit is rejected by the
# fixed function, the other exploits still work (fixes are independent),
# the build passes check-lib.sh, and exactly the function named in the
# diff's "# Function:" line changed.  Then the same against OUTDIR/fix-all.
#
# usage: check-fixes.sh OUTDIR ID...
set -eu

out=$1
shift
here=$(dirname "$0")
fail=0

run() {
	if ! "$@"; then
		echo "check-fixes: failed: $*" >&2
		fail=1
	fi
}

for id in "$@"; do
	dir=$out/fix-$id
	diff=tests/targets/fixes/$id.diff
	fn=$(sed -n 's/^# Function: [^:]*:\(.*\)$/\1/p' "$diff")
	echo "check-fixes: $id ($fn) in $dir"
	run env LD_LIBRARY_PATH="$dir" "$out/test-miniweb"
	for other in "$@"; do
		want=vulnerable
		[ "$other" = "$id" ] && want=rejected
		run env LD_LIBRARY_PATH="$dir" "$out/mw-exploit" \
			--expect $want "$other" "tests/targets/exploits/$other.html"
	done
	run sh "$here/check-lib.sh" "$dir/libminiweb.so"
	run python3 "$here/fn-diff.py" "$out/obj/lib" "$dir/obj" --expect "$fn"
done

echo "check-fixes: all fixes in $out/fix-all"
run env LD_LIBRARY_PATH="$out/fix-all" "$out/test-miniweb"
for id in "$@"; do
	run env LD_LIBRARY_PATH="$out/fix-all" "$out/mw-exploit" \
		--expect rejected "$id" "tests/targets/exploits/$id.html"
done
exit $fail
