#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Builder fixture cases: each directory in tests/build/cases/ is a small
# library (its *.c files, or *.cc files built with $CXX), a fix (fix.diff,
# applied with patch -p1 in the directory) and what kpl-build build must
# make of it (expect):
#
#   result ok|refused|nothing   exit status 0, 1 or 3
#   stderr TEXT                 TEXT appears in kpl-build's messages
#   replaces NAME...            exactly these old functions are replaced
#   probe-before TEXT           kb_probe() in a live process, before
#   probe-after TEXT            ... and after the patch is applied
#   probe-reverted TEXT         ... and after it is reverted (default:
#                               probe-before; state may have moved on)
#   library-without FLAG...     the library as shipped is built without
#                               these of the flags kpl-build is given
#                               (-ffunction-sections: one .text per file,
#                               whose assembler shortens jumps between
#                               functions)
#   library-with FLAG...        ... and with these added
#   program pie|no-pie          the case is a program, not a library: its
#                               sources (with main()) are built as a PIE
#                               or a non-PIE executable that answers the
#                               probe lines itself, and is patched with
#                               --all, found by its build-id
#   ldflags FLAGS               more flags for linking the program
#   probe-threads yes           probe in three threads (host.c "t"): the
#                               main one, one older than the patch, and
#                               a new one each time
#   kpl-refuses TEXT            a refused build forced out anyway (test
#                               builds only: KB_FAULT_NO_UNWIND_CHECK) is
#                               refused by kpl apply too, saying TEXT, and
#                               the live process is left as it was
#   lsda N                      the patch's .eh_frame points N times into
#                               .gcc_except_table sections it carries, and
#                               its CIE to the patch's own DW.ref word for
#                               the personality, bound to
#                               __gxx_personality_v0
#   typeinfo NAME...            the exception tables' DW.ref words for
#                               these typeinfo objects are carried, each
#                               bound to NAME or to the patch's own copy
#   target stripped             the library as shipped is stripped (only
#                               .dynsym): kpl-build gets it as --target and
#                               the unstripped link as --lib, the rebuild it
#                               proves to be it; kpl info must show what
#                               the patch locates by address (or offset)
#   apply-refuses TEXT          with "result ok": kpl apply refuses the
#                               patch this process needs, saying TEXT, and
#                               leaves the process as it was
#   apply-exit N                ... with exit status N (default 3)
#
# For "ok" the patch is applied to a running process (host.c) linking the
# library as shipped, kb_probe() must change as expected, and reverting
# must bring the original answer back.  A refused or empty build must
# write no output.
#
# usage: run.sh CASE_DIR...  (environment: KB kpl-build, KPL kpl, CC and
#        CXX, KB_CFLAGS and KB_CXXFLAGS the library's flags, KPL_KEYS the
#        test keys, OUT a scratch directory)
set -u
: "${KB:?}" "${KPL:?}" "${CC:?}" "${CXX:?}" "${KB_CFLAGS:?}" "${KB_CXXFLAGS:?}"
: "${KPL_KEYS:?}" "${OUT:?}"
mkdir -p "$OUT" && OUT=$(cd "$OUT" && pwd) || exit 1
TAP_NAME=check-build
. tests/build/live.sh

# The case's language: C (*.c) or C++ (*.cc); what it builds: a library
# (libkbfix.so) or a program; $lib is what the patch targets.
lang() {
	if ls "$case"/*.cc >/dev/null 2>&1; then
		ext=cc cc=$CXX flags=$KB_CXXFLAGS
	else
		ext=c cc=$CC flags=$KB_CFLAGS
	fi
	program=$(expect program)
	lib=$w/libkbfix.so
	case $program in
	pie) flags="$(echo "$flags" | sed 's/-fPIC/-fPIE/') -fPIE" lib=$w/host ;;
	no-pie) flags="$(echo "$flags" | sed 's/-fPIC//') -fno-pic" lib=$w/host ;;
	esac
}

# build_lib: the library as shipped, compiled as kpl-build compiles it
# unless the case says otherwise (library-without, library-with)
build_lib() {
	libflags=" $flags "
	for f in $(expect library-without); do
		libflags=$(echo "$libflags" | sed "s/ $f / /g")
	done
	libflags="$libflags $(expect library-with)"
	mkdir -p "$w/obj"
	for c in "$case"/*."$ext"; do
		b=$(basename "$c" ".$ext")
		# shellcheck disable=SC2086 # a flag list
		(cd "$case" && $cc $libflags -c "$b.$ext" -o "$w/obj/$b.o") ||
			return 1
	done
	if [ -n "$program" ]; then
		# shellcheck disable=SC2046 # a flag list
		$cc "-$program" $(expect ldflags) -Wl,--build-id -o "$w/host" \
			"$w"/obj/*.o
		return
	fi
	$cc -shared -Wl,--build-id -Wl,-soname,libkbfix.so -o "$w/libkbfix.so" \
		"$w"/obj/*.o &&
		$CC -pthread -o "$w/host" tests/build/host.c "$w/libkbfix.so" \
			-Wl,-rpath,"$w" || return 1
	# A stripped library as shipped; the unstripped link is the rebuild.
	if [ "$(expect target)" = stripped ]; then
		mv "$w/libkbfix.so" "$w/libkbfix-rebuilt.so" &&
			strip -o "$w/libkbfix.so" "$w/libkbfix-rebuilt.so"
	fi
}

# The library kpl-build reads symbols from, and the file as shipped.
lib_args() {
	if [ "$(expect target)" = stripped ]; then
		echo "--lib $w/libkbfix-rebuilt.so --target $lib"
	else
		echo "--lib $lib"
	fi
}

# kpl_refuses TEXT: kpl apply refuses the forced-out patch, saying TEXT,
# and the process answers and maps as before.
kpl_refuses() {
	KB_FAULT_NO_UNWIND_CHECK=1 "$KB" build --tree "$case" \
		--sources "*.$ext" --cflags "$flags" --cc "$cc" \
		--diff "$case/fix.diff" --lib "$lib" \
		--id "KB-$name" --version 1 --key "$KPL_KEYS/test.key" \
		-o "$w/forced.kpl" >/dev/null 2>"$w/forced.err" || {
		notok "$name: the build forced out by KB_FAULT_NO_UNWIND_CHECK failed"
		sed 's/^/#   /' "$w/forced.err"
		return
	}
	apply_refused "$1" "$w/forced.kpl"
}

# word_binds FILE NAME: the patch's DW.ref word for NAME holds NAME, or
# the patch's own copy of it (.data.rel.ro.NAME)
word_binds() {
	readelf -rW "$1" | awk -v s=".rela.data.rel.local.DW.ref.$2" \
		'/^Relocation section/ { on = index($0, "\047" s "\047") > 0; next }
		on && NF >= 5 { print $5 }' | grep -qx -e "$2" -e ".data.rel.ro.$2"
}

# lsda_checks PATCH: the expect file's lsda and typeinfo lines
lsda_checks() {
	lsda_n=$(expect lsda)
	if [ -n "$lsda_n" ]; then
		got=$(readelf -rW "$1" | awk '/^Relocation section/ { on = /\.rela\.eh_frame\047/; next }
			on && $5 ~ /^\.gcc_except_table/' | wc -l)
		check "$name: its FDEs point $got times into carried .gcc_except_table sections" \
			[ "$got" = "$lsda_n" ]
		check "$name: its CIE's personality is its own DW.ref word, bound to __gxx_personality_v0" \
			sh -c "readelf -rW '$1' | grep -q ' \.data\.rel\.local\.DW\.ref\.__gxx_personality_v0 + 0' &&
				readelf -rW '$1' | grep -q ' __gxx_personality_v0 + 0'"
	fi
	for ti in $(expect typeinfo); do
		check "$name: the handler's typeinfo word for $ti is carried" \
			word_binds "$1" "$ti"
	done
}

for case in "$@"; do
	case=${case%/}
	name=$(basename "$case")
	w=$OUT/$name
	rm -rf "$w" && mkdir -p "$w"
	echo "# $name: $(sed -n 's/^# //p' "$case/expect" | head -1)"
	lang
	if ! build_lib >"$w/lib.log" 2>&1; then
		notok "$name: the fixture library does not build"
		sed 's/^/#   /' "$w/lib.log"
		continue
	fi
	# shellcheck disable=SC2046 # the paths have no blanks
	"$KB" build --tree "$case" --sources "*.$ext" --cflags "$flags" \
		--cc "$cc" --diff "$case/fix.diff" $(lib_args) \
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
		refuses=$(expect kpl-refuses)
		[ -n "$refuses" ] && kpl_refuses "$refuses"
		continue
	fi
	[ -e "$w/patch.kpl" ] || continue
	got=$("$KPL" info "$w/patch.kpl" |
		sed -n 's/^  \([^ ]*\).* -> .*/\1/p' | sort | tr '\n' ' ')
	exp=$(expect replaces | tr ' ' '\n' | sort | tr '\n' ' ')
	check "$name: replaces $exp" [ "$got" = "$exp" ]
	if [ "$(expect target)" = stripped ]; then
		"$KPL" info "$w/patch.kpl" >"$w/info.out" 2>&1
		check "$name: kpl info shows what is located by address (or offset) in the stripped file" \
			grep -q "located by \(address\|offset\)" "$w/info.out"
	fi
	# Its unwind table: an FDE at least per replaced function.
	fdes=$(readelf -wf "$w/patch.kpl" 2>/dev/null | grep -c ' FDE cie=')
	check "$name: carries $fdes FDEs in .eh_frame" \
		[ "$fdes" -ge "$(echo $exp | wc -w)" ]
	lsda_checks "$w/patch.kpl"
	refuses=$(expect apply-refuses)
	if [ -n "$refuses" ]; then
		apply_refused "$refuses" "$w/patch.kpl"
		continue
	fi
	live
done
finish
