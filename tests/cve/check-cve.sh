#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# make check-cve: the CVE corpus (tests/cve/README.md), as root.  For
# each case directory: kpl-build deb builds the real fix into a signed
# patch for the vulnerable library (timed, first and cached), Debian's
# python3 serves requests with it, the trigger shows the vulnerability,
# kpl apply --all patches the consumer under load, the trigger is
# handled safely, kpl revert --all brings the old behaviour back, and
# no request failed.  A markdown table of the figures comes last.
#
# Environment: KB (kpl-build), KPL (kpl), KPL_KEYS (test.key and
# trusted/), OUT (scratch; the cache is OUT/cache), KPL_LOCK (a file to
# flock while a live process is patched; optional), CVE_LONG=1 (run the
# cases marked long: too), CVE_CASES (case
# directory names; default: all), CVE_DEMO=1 (say what happens, in
# words, as it happens).
set -u
here=$(cd "$(dirname "$0")" && pwd)
KB=$(realpath "$KB")
# the compiler wrapper of the Debian builds (a plain kpl-build: cve.mk)
if [ -n "${KPL_BUILD_WRAPPER:-}" ]; then
	KPL_BUILD_WRAPPER=$(realpath "$KPL_BUILD_WRAPPER")
	export KPL_BUILD_WRAPPER
fi
KPL=$(realpath "$KPL")
mkdir -p "$OUT"
OUT=$(realpath "$OUT")
cache=$OUT/cache
PY=/usr/bin/python3
TAP_NAME=check-cve
. "$here/../tap.sh"
srv=""
load=""
cg=""
trap 'cleanup' EXIT
trap 'exit 1' INT TERM

cleanup() {
	[ -n "$load" ] && kill "$load" 2>/dev/null
	[ -n "$srv" ] && kill "$srv" 2>/dev/null
	[ -n "$cg" ] && rmdir "$cg" 2>/dev/null
	load=""
	srv=""
	cg=""
}
say() { [ "${CVE_DEMO:-}" = 1 ] && printf '\n== %s\n' "$*"; return 0; }
show() { [ "${CVE_DEMO:-}" = 1 ] && sed 's/^/   | /' "$1"; return 0; }
ms() { date +%s%3N; }
matches() { # matches TEXT PATTERN: shell patterns, "A || B" for either
	pats=$2
	while :; do
		p=${pats%% || *}
		case $1 in
		$p) return 0 ;;
		esac
		[ "$p" = "$pats" ] && return 1
		pats=${pats#* || }
	done
}
not_matches() { ! matches "$1" "$2"; }
no_failures() { # no_failures SERVED FAILED SERVED_BEFORE_REVERT
	[ "${2:-1}" = 0 ] && [ "${1:-0}" -gt "$3" ]
}
# field KEY: the value of "KEY: value" in the case file
field() { sed -n "s/^$1:[[:space:]]*//p" "$dir/case" | head -1; }

if [ "$(id -u)" != 0 ]; then
	echo "check-cve: needs root (apt-get source, build-dep, ptrace)" >&2
	exit 1
fi
[ -x "$PY" ] || { echo "check-cve: needs Debian's python3" >&2; exit 1; }

# A cgroup of the consumer's own: kpl apply --all --cgroup takes it and
# no other process that maps the library (python3s of other users).
make_cgroup() {
	for root in /sys/fs/cgroup/unified /sys/fs/cgroup/pids /sys/fs/cgroup; do
		[ -w "$root/cgroup.procs" ] || continue
		cg=$root/kpl-cve-$$
		mkdir -p "$cg" 2>/dev/null && return 0
	done
	cg=""
	return 1
}

ask() { "$PY" "$here/lib/load.py" "$w/sock" ask "$1" 2>&1 | tail -1; }
# Wait until the load has served $1 requests more than $2 (bounded).
await_served() {
	i=0
	while [ "$(served)" -lt $(($2 + $1)) ] && [ $i -lt 6000 ]; do
		i=$((i + 1))
		sleep 0.01
	done
}
served() { sed -n 's/^served \([0-9]*\) .*/\1/p' "$w/counts" 2>/dev/null || echo 0; }
failed_reqs() { sed -n 's/.* failed \([0-9]*\)$/\1/p' "$w/counts"; }
json_num() { # json_num FILE KEY: the first "KEY":number
	sed -n "s/.*\"$2\":\([0-9.]*\).*/\1/p" "$1" | head -1
}

# One case: build, then live.
run_case() {
	dir=$here/$1
	name=$1
	blocked=$(field blocked)
	if [ -n "$blocked" ]; then
		n=$((n + 1))
		echo "ok $n - $name # SKIP blocked: $blocked"
		return
	fi
	long=$(field long)
	if [ -n "$long" ] && [ "${CVE_LONG:-}" != 1 ]; then
		n=$((n + 1))
		echo "ok $n - $name # SKIP long: $long (make check-cve-long runs it)"
		return
	fi
	w=$OUT/run/$name
	rm -rf "$w"
	mkdir -p "$w"
	cve=$(field cve)
	pkg=$(field package)
	fix=$dir/$(field fix)
	target=$(field target)
	before=$(field before)
	after=$(field after)
	# a fix may close several CVEs: the first names the patch
	id=$(echo "${cve%% *}" | tr -cd 'A-Za-z0-9-')
	# build profiles the case's package builds with (DEB_BUILD_PROFILES;
	# kpl-build deb adds its own)
	profiles=$(field profiles)
	set -- $(field installed)
	if [ $# = 2 ]; then
		have=$(dpkg-query -W -f '${Version}' "$1" 2>/dev/null)
		if [ "$have" != "$2" ]; then
			n=$((n + 1))
			echo "ok $n - $name # SKIP the installed $1 is ${have:-absent}, not the vulnerable $2 this case patches as apt installed it"
			return
		fi
	fi
	set -- --package "$pkg" --fix "$fix" --id "$id" \
		--key "$KPL_KEYS/test.key" --cache "$cache" \
		--description "$(field trigger)"
	for c in $cve; do set -- "$@" --cve "$c"; done
	for p in $(field leave-out); do set -- "$@" --leave-out "$p"; done
	for p in $(field reverse); do set -- "$@" --reverse "$dir/$p"; done
	# a build narrowed to the library: each make: line one argument
	for t in $(field dh); do set -- "$@" --dh "$t"; done
	t=$(field rules-target)
	[ -n "$t" ] && set -- "$@" --rules-target "$t"
	t=$(field make-dir)
	[ -n "$t" ] && set -- "$@" --make-dir "$t"
	nl='
'
	old_ifs=$IFS
	IFS=$nl
	set -f
	for t in $(sed -n 's/^make:[[:space:]]*//p' "$dir/case"); do
		set -- "$@" --make "$t"
	done
	set +f
	IFS=$old_ifs
	case $target in
	installed\ *)
		lib=${target#installed }
		set -- "$@" --target "$lib"
		libdir=""
		;;
	build\ *)
		libdir=$w/lib
		mkdir -p "$libdir"
		lib=$libdir/${target#build }
		set -- "$@" --soname "${target#build }" --lib-out "$lib"
		;;
	*)
		notok "$name: target is 'installed PATH' or 'build SONAME', not '$target'"
		return
		;;
	esac
	echo "# $name: $cve in $(field library) ($pkg), $(field consumer)"
	say "$cve: kpl-build deb builds the fix ($(field fix-origin))"
	t0=$(ms)
	DEB_BUILD_PROFILES=$profiles "$KB" deb "$@" -o "$w/$id.kpl" \
		>"$w/build1.out" 2>&1
	rc=$?
	t1=$(ms)
	show "$w/build1.out"
	first=$((t1 - t0))
	check "$name: kpl-build deb builds the patch (exit $rc, $first ms)" [ "$rc" = 0 ]
	[ "$rc" = 0 ] || { sed 's/^/# /' "$w/build1.out" | tail -30; return; }
	cached=$first
	if ! grep -q "the original tree: built before" "$w/build1.out"; then
		t0=$(ms)
		DEB_BUILD_PROFILES=$profiles "$KB" deb "$@" --version 2 \
			-o "$w/$id-2.kpl" >"$w/build2.out" 2>&1
		rc=$?
		t1=$(ms)
		cached=$((t1 - t0))
		check "$name: a second build comes from the cache (exit $rc, $cached ms)" \
			grep -q "the original tree: built before" "$w/build2.out"
	fi
	case $target in installed\ *)
		check "$name: the rebuild is proven to be the installed $lib" \
			grep -q "loads the same bytes at the same addresses as $lib" "$w/build1.out"
	esac
	set -- $(field refused-for)
	if [ $# = 2 ]; then
		# The same fix for the installed, stripped file: refused,
		# naming what it cannot find there.
		"$KB" deb --package "$pkg" --fix "$fix" --id "$id" \
			--cache "$cache" $(for p in $(field leave-out); do echo --leave-out "$p"; done) \
			--target "$1" -o "$w/refused.kpl" >"$w/refused.out" 2>&1
		rc=$?
		check "$name: for the installed $1 the fix is refused (exit $rc)" [ "$rc" = 1 ]
		check "$name: the refusal names $2, which $1 does not export" \
			grep -q "uses '$2', which $1 does not export" "$w/refused.out"
	fi
	funcs=$(sed -n 's/^ *\([0-9]*\) functions\{0,1\} replaced, \([0-9]*\) new.*/\1+\2/p' "$w/build1.out")
	size=$(stat -c %s "$w/$id.kpl")
	"$KPL" info "$w/$id.kpl" >"$w/info.out" 2>&1
	for c in $cve; do
		check "$name: kpl info shows $c" grep -q "$c" "$w/info.out"
	done

	[ -n "${KPL_LOCK:-}" ] && { exec 9>"$KPL_LOCK"; flock 9; }
	live
	[ -n "${KPL_LOCK:-}" ] && exec 9>&-
	cleanup
	printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s/%s |\n' \
		"$cve" "$(field library)" "$(field consumer)" "$(field shows)" \
		"$a_after" "$a_revert" "$(echo "$first" | awk '{printf "%.1f s", $1/1000}')" \
		"$(echo "$cached" | awk '{printf "%.1f s", $1/1000}')" \
		"${funcs:-?}" "$size B" "${pause_apply:-?} / ${pause_revert:-?} µs" \
		"${total_served:-?}" "${total_failed:-?}" >>"$OUT/table.md"
}

live() {
	a_after=?
	a_revert=?
	pause_apply=""
	pause_revert=""
	total_served=""
	total_failed=""
	say "the consumer: Debian's python3 serving requests, $(field consumer)"
	rm -f "$w/sock" "$w/counts"
	if ! make_cgroup; then
		notok "$name: no cgroup to put the consumer in (cgroup fs not writable)"
		return
	fi
	if [ -n "$libdir" ]; then
		LD_LIBRARY_PATH=$libdir "$PY" "$here/lib/server.py" "$w/sock" "$dir" >"$w/server.out" 2>&1 &
	else
		"$PY" "$here/lib/server.py" "$w/sock" "$dir" >"$w/server.out" 2>&1 &
	fi
	srv=$!
	echo "$srv" >"$cg/cgroup.procs"
	i=0
	while ! grep -q '^ready' "$w/server.out" 2>/dev/null && [ $i -lt 3000 ]; do
		i=$((i + 1))
		sleep 0.01
	done
	real=$(realpath "$lib")
	check "$name: python3 (pid $srv) maps $real" grep -q " $real\$" "/proc/$srv/maps"
	a=$(ask work)
	check "$name: ordinary work is right ($a)" [ "$a" = ok ]
	say "the trigger: $(field trigger)"
	a=$(ask trigger)
	check "$name: before: the trigger shows the bug ($a)" matches "$a" "$before"

	"$PY" "$here/lib/load.py" "$w/sock" load "$w/counts" 2 &
	load=$!
	await_served 20 0
	s0=$(served)
	check "$name: load is served ($s0 requests)" [ "$s0" -ge 20 ]
	say "kpl apply --all --cgroup ${cg#/sys/fs/cgroup*/} under load ($s0 requests served so far)"
	"$KPL" apply --all --cgroup "/${cg##*/}" --keys "$KPL_KEYS/trusted" --json \
		"$w/$id.kpl" >"$w/apply.json" 2>"$w/apply.err"
	rc=$?
	show "$w/apply.json"
	check "$name: kpl apply --all patches the consumer (exit $rc)" \
		grep -q '"ok":true,"done":1,"processes":1' "$w/apply.json"
	[ "$rc" = 0 ] || sed 's/^/# /' "$w/apply.err"
	pause_apply=$(json_num "$w/apply.json" pause_us)
	s1=$(served)
	await_served 20 "$s1"
	a=$(ask trigger)
	a_after=$a
	say "the trigger again: $a"
	check "$name: patched: the trigger is handled safely ($a)" matches "$a" "$after"
	check "$name: patched: it no longer shows the bug" not_matches "$a" "$before"
	a=$(ask work)
	check "$name: patched: ordinary work is still right ($a)" [ "$a" = ok ]

	say "kpl revert --all under load"
	"$KPL" revert --all --cgroup "/${cg##*/}" --json "$id" >"$w/revert.json" 2>"$w/revert.err"
	rc=$?
	show "$w/revert.json"
	check "$name: kpl revert --all (exit $rc)" \
		grep -q '"ok":true,"done":1,"processes":1' "$w/revert.json"
	pause_revert=$(json_num "$w/revert.json" pause_us)
	s2=$(served)
	await_served 20 "$s2"
	a=$(ask trigger)
	a_revert=$a
	say "the trigger after revert: $a"
	check "$name: reverted: the old behaviour is back ($a)" matches "$a" "$before"
	check "$name: reverted: no patch mapped any more" \
		sh -c "! grep -q kpl: /proc/$srv/maps"

	kill "$load"
	wait "$load"
	load=""
	total_served=$(served)
	total_failed=$(failed_reqs)
	say "load: $total_served requests served, $total_failed failed"
	check "$name: load: $total_served served across apply and revert, none failed ($total_failed)" \
		no_failures "$total_served" "$total_failed" "$s2"
	check "$name: the consumer is the same process throughout (pid $srv)" \
		kill -0 "$srv"
	a=$(ask quit)
	wait "$srv"
	srv=""
}

cases=${CVE_CASES:-$(cd "$here" && for d in */case; do dirname "$d"; done)}
rm -f "$OUT/table.md"
for c in $cases; do
	if [ ! -f "$here/$c/case" ]; then
		notok "$c: no such case (tests/cve/$c/case)"
		continue
	fi
	run_case "$c"
done
# The refusals of the vulnerable build's options (from the cached
# source: no build runs).
refusals() {
	w=$OUT/run/refusals
	rm -rf "$w"
	mkdir -p "$w"
	z=$here/zlib-CVE-2022-37434
	"$KB" deb --package zlib=1:1.2.13.dfsg-1 --leave-out no-such.patch \
		--fix "$z/fix.patch" --id X --cache "$cache" -o "$w/x.kpl" \
		>"$w/name.out" 2>&1
	rc=$?
	check "refused: --leave-out of a patch not in the series (exit $rc)" [ "$rc" = 1 ]
	check "the refusal lists the series" \
		grep -q "no-such.patch: no such patch in the series of zlib 1:1.2.13.dfsg-1, which has: " "$w/name.out"
	"$KB" deb --package zlib=1:1.2.13.dfsg-1 --reverse "$z/fix.patch" \
		--fix "$z/fix.patch" --id X --cache "$cache" -o "$w/x.kpl" \
		>"$w/rev.out" 2>&1
	rc=$?
	check "refused: --reverse of a diff that does not reverse-apply (exit $rc)" [ "$rc" = 1 ]
	check "the refusal says it does not reverse-apply" \
		grep -q "does not reverse-apply to zlib 1:1.2.13.dfsg-1" "$w/rev.out"
	"$KB" deb --package zlib --leave-out ../x --fix "$z/fix.patch" \
		--id X -o "$w/x.kpl" >"$w/bad.out" 2>&1
	rc=$?
	check "a --leave-out that is no patch name is bad usage (exit $rc)" [ "$rc" = 2 ]
	"$KB" deb --package zlib=1:1.2.13.dfsg-1 --fix "$z/fix.patch" \
		--id X --cache "$cache" --rules-target configure \
		--make -f/etc/passwd -o "$w/x.kpl" >"$w/make.out" 2>&1
	rc=$?
	check "a --make that is a make option is bad usage (exit $rc)" [ "$rc" = 2 ]
	check "the error names it" \
		grep -q "deb: --make '-f/etc/passwd' is not a make target or VAR=VALUE" "$w/make.out"
	"$KB" deb --package zlib=1:1.2.13.dfsg-1 --fix "$z/fix.patch" \
		--id X --cache "$cache" --make-dir ../.. --make all \
		-o "$w/x.kpl" >"$w/dir.out" 2>&1
	rc=$?
	check "a --make-dir outside the tree is bad usage (exit $rc)" [ "$rc" = 2 ]
	check "the error names it" \
		grep -q "deb: --make-dir '../..' is not a directory inside the source tree" "$w/dir.out"
	KPL_BUILD_WRAPPER=$w/no-such-kpl-build "$KB" deb \
		--package zlib=1:1.2.13.dfsg-1 --fix "$z/fix.patch" --id X \
		--cache "$cache" -o "$w/x.kpl" >"$w/wrap.out" 2>&1
	rc=$?
	check "refused: a KPL_BUILD_WRAPPER that is not there (exit $rc)" [ "$rc" = 1 ]
	check "the refusal names it" \
		grep -q "KPL_BUILD_WRAPPER=$w/no-such-kpl-build: No such file" "$w/wrap.out"
	check "no patch written by any refusal" [ ! -e "$w/x.kpl" ]
}
case "${CVE_DEMO:-}: ${CVE_CASES:-} " in
:\ \  | *" zlib-CVE-2022-37434 "*) [ "${CVE_DEMO:-}" = 1 ] || refusals ;;
esac

echo "#"
echo "# The corpus (kpl-build time first/cached; pause apply/revert as kpl reported it):"
{
	echo "| CVE | library | consumer | before | after apply | after revert | kpl-build first | cached | functions (replaced+new) | patch size | pause apply / revert | requests served/failed |"
	echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
	cat "$OUT/table.md" 2>/dev/null
} | sed 's/^/# /'
echo "1..$n"
finish
