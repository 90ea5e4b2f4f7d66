#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# kpl-build build --build-cmd on real build systems: each directory in
# tests/build/projects/ is a tiny library built by its own build system
# with per-file flags (so that no single --cflags reproduces it), a fix
# (fix.diff) and an expect file:
#
#   prepare CMD        run once in the fresh copy (autoreconf -fi)
#   build-cmd CMD      the build, as a distribution would run it
#   lib PATH           the shared library it builds, in the tree
#   flags SRC FLAG...  SRC is compiled again with each FLAG (its own)
#   noflags SRC FLAG.. ... and with none of these (another file's)
#   replaces NAME...   exactly these old functions are replaced
#   stderr TEXT        kpl-build says TEXT while building the patch
#   probe-before TEXT / probe-after TEXT   kb_probe() in a live process
#   single-cflags F    --sources '*.c' --cflags F must be refused
#
# The library as shipped is built from one copy with CMD; kpl-build gets
# a second, clean copy as --tree and CMD as --build-cmd; the patch is
# applied to a running process linking the shipped library and reverted.
#
# usage: buildsys.sh PROJECT_DIR...  (environment: KB kpl-build, KPL
#        kpl, CC, KPL_KEYS the test keys, OUT a scratch directory)
set -u
: "${KB:?}" "${KPL:?}" "${CC:?}" "${KPL_KEYS:?}" "${OUT:?}"
mkdir -p "$OUT" && OUT=$(cd "$OUT" && pwd) || exit 1
TAP_NAME=check-buildsys
. tests/build/live.sh

# kb_build NAME ARGS...: kpl-build build into $w/NAME.{kpl,err}
kb_build() {
	k=$1
	shift
	"$KB" build --tree "$w/src" --diff "$case/fix.diff" --lib "$lib" \
		--id "KB-$name" --version 1 --key "$KPL_KEYS/test.key" \
		-o "$w/$k.kpl" "$@" >"$w/$k.out" 2>"$w/$k.err"
}

# says NAME TEXT: kb_build NAME's messages hold TEXT
says() {
	if grep -qF -- "$2" "$w/$1.err"; then
		ok "$name: $1: says \"$2\""
	else
		notok "$name: $1: does not say \"$2\""
		sed 's/^/#   /' "$w/$1.err"
	fi
}

# refused NAME WANT-RC TEXT: kb_build NAME's exit, message, no output
refused() {
	check "$name: $1: exit $rc (want $2)" [ "$rc" = "$2" ]
	says "$1" "$3"
	check "$name: $1: no patch written" [ ! -e "$w/$1.kpl" ]
}

# flags_used SRC FLAGS WANT: kpl-build compiled SRC with (1) or without
# (0) each of FLAGS; the command is the first line of its compile log
flags_used() {
	cmd=$(head -1 "$w/work/obj/orig/$1.o.log" 2>/dev/null)
	for f in $2; do
		case " $cmd " in
		*" $f "*) got=1 ;;
		*) got=0 ;;
		esac
		check "$name: $1 compiled $([ "$3" = 1 ] || echo "without ")$f" \
			[ "$got" = "$3" ]
	done
}

# replaced NAME: the functions kb_build NAME's patch replaces, sorted
replaced() {
	"$KPL" info "$w/$1.kpl" 2>/dev/null |
		sed -n 's/^  \([^ ]*\).* -> .*/\1/p' | sort | tr '\n' ' '
}

# kb_incr NAME DIFF: kpl-build build with the original build kept in
# $w/orig-built (--orig-built, as kpl-build deb does)
kb_incr() {
	"$KB" build --tree "$w/src" --diff "$2" --lib "$lib" \
		--build-cmd "$cmd" --orig-built "$w/orig-built" \
		--id "KB-$name" --version 1 \
		--key "$KPL_KEYS/test.key" -o "$w/$1.kpl" >"$w/$1.out" 2>"$w/$1.err"
}

# With --orig-built the patched tree is a copy of the original build,
# built again incrementally where the original was (a mount namespace):
# the same patch, cold and from the cache; a diff that adds a build
# file makes kpl-build build the patched tree in full, saying why.
incremental() {
	exp=$(expect replaces | tr ' ' '\n' | sort | tr '\n' ' ')
	kb_incr incr "$case/fix.diff"
	rc=$?
	check "$name: incr: --orig-built, first build (exit $rc)" [ "$rc" = 0 ]
	says incr "a copy of the original build, the diff applied, built again where the original was"
	check "$name: incr: replaces $exp" [ "$(replaced incr)" = "$exp" ]
	kb_incr incr2 "$case/fix.diff"
	rc=$?
	check "$name: incr2: --orig-built, from the cache (exit $rc)" [ "$rc" = 0 ]
	says incr2 "the original tree: built before"
	says incr2 "built again where the original was"
	check "$name: incr2: replaces $exp" [ "$(replaced incr2)" = "$exp" ]
	{
		cat "$case/fix.diff"
		printf -- '--- /dev/null\n+++ b/extra.mk\n@@ -0,0 +1 @@\n+# unused\n'
	} >"$w/build-file.diff"
	kb_incr full "$w/build-file.diff"
	rc=$?
	check "$name: full: a diff adding a build file (exit $rc)" [ "$rc" = 0 ]
	says full "the patched tree is built in full: the diff adds extra.mk, which may be read by the build"
	check "$name: full: replaces $exp" [ "$(replaced full)" = "$exp" ]
	# a cache an older kpl-build kept (an empty DIR/built) is refused,
	# never misread
	: >"$w/orig-built/built"
	kb_incr old "$case/fix.diff"
	rc=$?
	refused old 1 "was built by an older kpl-build, whose cache this one cannot read: remove it and build again"
}

negatives() {
	f=$(expect single-cflags)
	kb_build single --sources '*.c' --cflags "$f"
	rc=$?
	refused single 1 "does not reproduce"
	kb_build fails --build-cmd "$cmd no-such-target"
	rc=$?
	refused fails 1 "the build command (original tree) failed"
	says fails "unknown target 'no-such-target'"
	# shellcheck disable=SC2016 # expanded by the build's shell
	kb_build garbage --build-cmd 'printf "kpl-cc 99999999\n" >>"$KPL_BUILD_LOG"'
	rc=$?
	refused garbage 1 "is malformed at byte 0"
	kb_build nothing --build-cmd true
	rc=$?
	refused nothing 1 "compiled nothing through kpl-build's compiler wrapper"
}

for case in "$@"; do
	case=$(cd "$case" && pwd) || exit 1
	name=$(basename "$case")
	w=$OUT/$name
	rm -rf "$w" && mkdir -p "$w"
	echo "# $name: $(sed -n 's/^# //p' "$case/expect" | head -1)"
	cp -R "$case" "$w/src"
	prep=$(expect prepare)
	cmd=$(expect build-cmd)
	if [ -n "$prep" ] && ! (cd "$w/src" && sh -c "$prep") >"$w/prepare.log" 2>&1; then
		notok "$name: '$prep' failed"
		sed 's/^/#   /' "$w/prepare.log"
		continue
	fi
	cp -Rp "$w/src" "$w/ship"
	lib=$w/ship/$(expect lib)
	if ! (cd "$w/ship" && sh -c "$cmd") >"$w/ship.log" 2>&1 ||
		! $CC -o "$w/host" tests/build/host.c "$lib" \
			-Wl,-rpath,"$(dirname "$lib")" >>"$w/ship.log" 2>&1; then
		notok "$name: the shipped library does not build"
		sed 's/^/#   /' "$w/ship.log"
		continue
	fi
	kb_build patch --build-cmd "$cmd" --workdir "$w/work"
	rc=$?
	if [ "$rc" = 0 ]; then
		ok "$name: built the patch with --build-cmd"
	else
		notok "$name: kpl-build exit $rc, wanted 0"
		sed 's/^/#   /' "$w/patch.err"
		continue
	fi
	expect flags | while read -r src fl; do
		flags_used "$src" "$fl" 1
	done >"$w/flags"
	expect noflags | while read -r src fl; do
		flags_used "$src" "$fl" 0
	done >>"$w/flags"
	expect stderr | while IFS= read -r msg; do
		says patch "$msg"
	done >>"$w/flags"
	while IFS= read -r line; do
		case $line in
		"ok "*) ok "${line#ok [0-9]* - }" ;;
		"not ok "*) notok "${line#not ok [0-9]* - }" ;;
		*) echo "$line" ;;
		esac
	done <"$w/flags"
	got=$("$KPL" info "$w/patch.kpl" |
		sed -n 's/^  \([^ ]*\).* -> .*/\1/p' | sort | tr '\n' ' ')
	exp=$(expect replaces | tr ' ' '\n' | sort | tr '\n' ' ')
	check "$name: replaces $exp" [ "$got" = "$exp" ]
	live
	incremental
	[ -n "$(expect single-cflags)" ] && negatives
done
finish
