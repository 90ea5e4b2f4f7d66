#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# make check-deb-src: kpl-build deb end to end on Debian's zlib, as root
# (apt-get source, build-dep), with the download and the original build
# cached in $OUT/cache (a second run, and the second patch of a run,
# build only the patched tree):
#
#  1. kpl-build deb --package zlib builds ZLIB-HDR-1 from
#     zlib-header-room.patch for the installed, stripped libz.so.1.2.13:
#     the rebuild is proven to be it and the patch names its build-id;
#  2. a second patch of the same package is built from the cache, with
#     --replace, which deb passes on to build;
#  3. Debian's python3 (tests/deb-src/zlib_consumer.py), mapping libz as
#     apt installed it, is patched live: inflateGetHeader() answers
#     Z_STREAM_ERROR to a header buffer without room, zlib still works,
#     and revert brings the old answer back;
#  4. refusals: a fix whose code needs functions the stripped file does
#     not export (zlib-window-local.patch), a version apt does not have,
#     a package name that is not one.
#
# Environment: KB (kpl-build), KPL (kpl), KPL_KEYS (test.key and
# trusted/), OUT (scratch and cache), KPL_LOCK (a file to flock while a
# live process is patched; optional).
set -u
here=$(dirname "$0")
KB=$(realpath "$KB")
KPL=$(realpath "$KPL")
mkdir -p "$OUT"
OUT=$(realpath "$OUT")
cache=$OUT/cache
w=$OUT/run
lib=/lib/x86_64-linux-gnu/libz.so.1.2.13
PY=/usr/bin/python3
hp=""
trap '[ -n "$hp" ] && kill "$hp" 2>/dev/null' EXIT INT TERM

TAP_NAME=check-deb-src
# shellcheck source=tests/tap.sh
. "$here/../tap.sh"
secs() { date +%s; }

if [ "$(id -u)" != 0 ]; then
	echo "check-deb-src: needs root (apt-get source, build-dep, ptrace)" >&2
	exit 1
fi
if [ ! -f "$lib" ] || [ ! -x "$PY" ]; then
	echo "check-deb-src: needs Debian's zlib1g ($lib) and python3" >&2
	exit 1
fi
rm -rf "$w"
mkdir -p "$w"

# 1. The first patch (a cold cache fetches and builds the original too).
t0=$(secs)
"$KB" deb --package zlib --fix "$here/zlib-header-room.patch" \
	--id ZLIB-HDR-1 --description 'refuse gzip header buffers without room' \
	--key "$KPL_KEYS/test.key" --cache "$cache" \
	-o "$w/ZLIB-HDR-1.kpl" >"$w/deb1.out" 2>&1
rc=$?
t1=$(secs)
echo "# kpl-build deb, first patch: $((t1 - t0)) s (exit $rc)"
check "kpl-build deb builds ZLIB-HDR-1 (exit $rc)" [ "$rc" = 0 ]
[ "$rc" = 0 ] || { sed 's/^/# /' "$w/deb1.out"; finish; }
check "the rebuild is proven to be the installed $lib" \
	grep -q "loads the same bytes at the same addresses as $lib" "$w/deb1.out"
check "the patch replaces inflateGetHeader" \
	grep -q "replaces inflateGetHeader" "$w/deb1.out"
want=$(readelf -n "$lib" | sed -n 's/.*Build ID: //p')
"$KPL" info "$w/ZLIB-HDR-1.kpl" >"$w/info.out" 2>&1
check "the patch names the installed file's build-id ($want)" \
	grep -q "build-id: *$want\$" "$w/info.out"
check "deb passes --description on to build" \
	grep -q "^description: *refuse gzip header buffers without room$" \
	"$w/info.out"
check "the installed file is stripped (no .symtab)" \
	sh -c "! readelf -S '$lib' | grep -q '\\.symtab'"
# dpkg-buildflags maps the build path (-ffile-prefix-map=PATH=., as on
# Debian's buildds) only when it holds none of %, = or spaces: the
# epoch's ':' of the cache directory's name must not become one.
orig=$cache/zlib_1_1.2.13.dfsg-1/orig
check "the original build's compiles map its path, as Debian's do" \
	grep -aq -e "-ffile-prefix-map=$orig/tree=\." "$orig/cc-log"

# 2. A second patch of the same version: from the cache.
t0=$(secs)
"$KB" deb --package zlib --fix "$here/zlib-header-room.patch" \
	--id ZLIB-HDR-2 --version 2 --key "$KPL_KEYS/test.key" --replace \
	--cache "$cache" -o "$w/ZLIB-HDR-2.kpl" >"$w/deb2.out" 2>&1
rc=$?
t1=$(secs)
echo "# kpl-build deb, second patch (cached): $((t1 - t0)) s (exit $rc)"
check "a second patch builds from the cache (exit $rc)" [ "$rc" = 0 ]
check "the source is not fetched again" \
	grep -q "in the cache $cache" "$w/deb2.out"
check "the original tree is not built again" \
	grep -q "the original tree: built before" "$w/deb2.out"
"$KPL" info "$w/ZLIB-HDR-2.kpl" >"$w/info2.out" 2>&1
check "deb passes --replace on to build: the patch says so" \
	grep -q "^flags: *replace$" "$w/info2.out"

# 3. Live, in a process nobody here wrote.
live() {
	rm -f "$w/in" && mkfifo "$w/in"
	"$PY" "$here/zlib_consumer.py" <"$w/in" >"$w/py.out" 2>&1 &
	hp=$!
	exec 3>"$w/in"
	i=0
	while ! grep -q '^ready' "$w/py.out" 2>/dev/null; do
		i=$((i + 1))
		[ $i -gt 3000 ] && break
		sleep 0.01
	done
	check "python3 maps the installed libz" \
		grep -q "libz.so.1.2.13" "/proc/$hp/maps"
	a=$(ask h)
	check "before: inflateGetHeader() accepts a buffer without room ($a)" \
		[ "$a" = 0 ]
	"$KPL" apply --keys "$KPL_KEYS/trusted" -p "$hp" \
		"$w/ZLIB-HDR-1.kpl" >"$w/apply.out" 2>&1
	rc=$?
	check "kpl apply patches python3 (exit $rc)" [ "$rc" = 0 ]
	[ "$rc" = 0 ] || sed 's/^/# /' "$w/apply.out"
	a=$(ask h)
	check "patched: it answers Z_STREAM_ERROR ($a)" [ "$a" = -2 ]
	a=$(ask z)
	check "patched: zlib still compresses and decompresses ($a)" \
		[ "$a" = ok ]
	"$KPL" revert -p "$hp" ZLIB-HDR-1 >"$w/revert.out" 2>&1
	rc=$?
	check "kpl revert (exit $rc)" [ "$rc" = 0 ]
	a=$(ask h)
	check "reverted: the old answer is back ($a)" [ "$a" = 0 ]
	check "reverted: no patch mapped any more" \
		sh -c "! grep -q kpl: /proc/$hp/maps"
	echo q >&3
	exec 3>&-
	wait "$hp"
	hp=""
}
ask() { # one answer of the consumer to command $1
	before=$(wc -l <"$w/py.out")
	echo "$1" >&3
	i=0
	while [ "$(wc -l <"$w/py.out")" -le "$before" ]; do
		i=$((i + 1))
		[ $i -gt 3000 ] && { echo "(no answer)"; return; }
		sleep 0.01
	done
	tail -1 "$w/py.out"
}
if [ -n "${KPL_LOCK:-}" ]; then
	exec 9>"$KPL_LOCK"
	flock 9
fi
live
[ -n "${KPL_LOCK:-}" ] && exec 9>&-

# 4. A fix whose code calls functions the stripped file does not name.
"$KB" deb --package zlib --fix "$here/zlib-window-local.patch" \
	--id ZLIB-LOCAL-1 --cache "$cache" -o "$w/ZLIB-LOCAL-1.kpl" \
	>"$w/local.out" 2>&1
rc=$?
# GCC then inlines updatewindow() into inflate() and
# inflateSetDictionary(), both exported, but inflate() calls
# inflate_fast() and inflate_table(), hidden: not in the stripped file.
# The rebuild, proven to be that file, gives their addresses
# (.kpl.addr); before, such a fix was refused.
check "a fix whose code needs hidden functions is built (exit $rc)" \
	[ "$rc" = 0 ]
"$KPL" info "$w/ZLIB-LOCAL-1.kpl" >"$w/local-info.out" 2>&1
check "kpl info: inflate_fast is located by address" \
	grep -q "inflate_fast (at 0x[0-9a-f]*, [0-9]* bytes, located by address)" \
	"$w/local-info.out"
check "kpl info: the exported inflate goes by name" \
	grep -qx "  inflate -> inflate" "$w/local-info.out"

# 5. Refusals.
"$KB" deb --package zlib=1:0.0-0 --fix "$here/zlib-header-room.patch" \
	--id ZLIB-X --cache "$cache" -o "$w/x.kpl" >"$w/badver.out" 2>&1
rc=$?
check "a version apt does not have is refused (exit $rc)" [ "$rc" = 1 ]
check "the refusal names the versions there are" \
	grep -q "no version 1:0.0-0 of the source package zlib, only 1:1.2.13" \
	"$w/badver.out"
check "nothing is left in the cache for it" [ ! -e "$cache/zlib_1_0.0-0" ]

"$KB" deb --package zlib --fix "$here/zlib-header-room.patch" \
	--id ZLIB-X --cache "$w/a%3acache" -o "$w/x.kpl" >"$w/badcache.out" 2>&1
rc=$?
check "a cache path dpkg-buildflags would not map is refused (exit $rc)" \
	[ "$rc" = 1 ]
check "the refusal says why" \
	grep -q "cache directory $w/a%3acache holds characters dpkg-buildflags does not map" \
	"$w/badcache.out"
check "nothing is made for it" \
	sh -c "[ ! -e '$w/a%3acache' ] && [ ! -e '$w/x.kpl' ]"

"$KB" deb --package '../zlib' --fix "$here/zlib-header-room.patch" \
	--id ZLIB-X --cache "$cache" >"$w/badname.out" 2>&1
rc=$?
check "a name that is no package name is bad usage (exit $rc)" [ "$rc" = 2 ]
check "the error says so" \
	grep -q "is not a Debian source package name" "$w/badname.out"
finish
