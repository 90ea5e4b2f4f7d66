#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Builder fixture cases: each directory in tests/build/cases/ is a small
# library (its *.c files), a fix (fix.diff, applied with patch -p1 in the
# directory) and what kpl-build build must make of it (expect):
#
#   result ok|refused|nothing   exit status 0, 1 or 3
#   stderr TEXT                 TEXT appears in kpl-build's messages
#   replaces NAME...            exactly these old functions are replaced
#   probe-before TEXT           kb_probe() in a live process, before
#   probe-after TEXT            ... and after the patch is applied
#   probe-reverted TEXT         ... and after it is reverted (default:
#                               probe-before; state may have moved on)
#
# For "ok" the patch is applied to a running process (host.c) linking the
# library as shipped, kb_probe() must change as expected, and reverting
# must bring the original answer back.  A refused or empty build must
# write no output.
#
# usage: run.sh CASE_DIR...  (environment: KB kpl-build, KPL kpl, CC,
#        KB_CFLAGS the library's flags, KPL_KEYS the test keys, OUT a
#        scratch directory)
set -u
: "${KB:?}" "${KPL:?}" "${CC:?}" "${KB_CFLAGS:?}" "${KPL_KEYS:?}" "${OUT:?}"
mkdir -p "$OUT" && OUT=$(cd "$OUT" && pwd) || exit 1
. tests/build/live.sh

# build_lib: the library as shipped, compiled as kpl-build compiles it
build_lib() {
	mkdir -p "$w/obj"
	for c in "$case"/*.c; do
		b=$(basename "$c" .c)
		# shellcheck disable=SC2086 # a flag list
		(cd "$case" && $CC $KB_CFLAGS -c "$b.c" -o "$w/obj/$b.o") ||
			return 1
	done
	$CC -shared -Wl,--build-id -Wl,-soname,libkbfix.so -o "$w/libkbfix.so" \
		"$w"/obj/*.o &&
		$CC -o "$w/host" tests/build/host.c "$w/libkbfix.so" \
			-Wl,-rpath,"$w"
}

for case in "$@"; do
	case=${case%/}
	name=$(basename "$case")
	w=$OUT/$name
	rm -rf "$w" && mkdir -p "$w"
	echo "# $name: $(sed -n 's/^# //p' "$case/expect" | head -1)"
	if ! build_lib >"$w/lib.log" 2>&1; then
		notok "$name: the fixture library does not build"
		sed 's/^/#   /' "$w/lib.log"
		continue
	fi
	"$KB" build --tree "$case" --sources '*.c' --cflags "$KB_CFLAGS" \
		--cc "$CC" --diff "$case/fix.diff" --lib "$w/libkbfix.so" \
		--id "KB-$name" --version 1 --key "$KPL_KEYS/test.key" \
		-o "$w/patch.kpl" >"$w/build.out" 2>"$w/build.err"
	rc=$?
	want=$(expect result)
	case $want in
	ok) wrc=0 ;;
	refused) wrc=1 ;;
	nothing) wrc=3 ;;
	*) wrc=x ;;
	esac
	if [ "$rc" = "$wrc" ]; then
		ok "$name: $want (exit $rc)"
	else
		notok "$name: exit $rc, wanted $wrc ($want)"
		sed 's/^/#   /' "$w/build.err"
	fi
	expect stderr | while IFS= read -r msg; do
		if grep -qF -- "$msg" "$w/build.err"; then
			echo "ok - $name: says \"$msg\""
		else
			echo "not ok - $name: does not say \"$msg\""
			sed 's/^/#   /' "$w/build.err"
		fi
	done >"$w/msgs"
	while IFS= read -r line; do
		case $line in
		"ok - "*) ok "${line#ok - }" ;;
		"not ok - "*) notok "${line#not ok - }" ;;
		*) echo "$line" ;;
		esac
	done <"$w/msgs"
	if [ "$want" != ok ]; then
		check "$name: no patch written" [ ! -e "$w/patch.kpl" ]
		continue
	fi
	[ -e "$w/patch.kpl" ] || continue
	got=$("$KPL" info "$w/patch.kpl" |
		sed -n 's/^  \([^ ]*\).* -> .*/\1/p' | sort | tr '\n' ' ')
	exp=$(expect replaces | tr ' ' '\n' | sort | tr '\n' ' ')
	check "$name: replaces $exp" [ "$got" = "$exp" ]
	live
done
echo "check-build: $((n - failed)) passed, $failed failed"
[ "$failed" -eq 0 ]
