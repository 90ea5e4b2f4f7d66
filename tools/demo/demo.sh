#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# make demo: live-patch a running, loaded miniweb-server and back.
set -u
: "${BUILD:=build}"
KPL=$BUILD/release/kpl
MW_BIN=$BUILD/targets
MW_SRC=tests/targets
PATCHES=$BUILD/patches
# The patches are signed with the build's test key; trust only its public
# half (an installed system keeps its keys in /etc/kpatch-lite/keys).
KPL_TRUSTED=${KPL_TRUSTED:-$BUILD/keys/trusted}
T=$(mktemp -d /tmp/kpl-demo.XXXXXX)
PIDS=""
trap 'for p in $PIDS; do kill "$p" 2>/dev/null; done; rm -rf "$T"' EXIT INT TERM
. tests/integration/mw.sh

say() { printf '\n\033[1m%s\033[0m\n' "$*"; }
die() { echo "demo: $*" >&2; exit 1; }

say "[1/6] Starting miniweb-server (8 worker threads, libminiweb.so.1 and its C++ half libmwcss.so.1)"
mw_start 8 || die "server did not start"
echo "  listening on $MW_URL, pid $MW_PID"

say "[2/6] The exploits, against the running libraries (MW: C, CSS: C++)"
for id in $MW_IDS $CSS_IDS; do
	mw_exploit "$id"
	v=$MW_VERDICT
	printf '  %-13s  HTTP %s  %-9s %s\n' "$id" "$MW_CODE" "$v" "$(mw_symptom "$id")"
	[ "$v" = exploited ] || die "$id did not work against the vulnerable build"
done

# The number after "KEY": in kpl's one-line JSON $1.
json_num() {
	printf '%s' "$1" | sed -n "s/.*\"$2\":\([0-9.]*\).*/\1/p"
}

secs=12
say "[3/6] Load: wrk -t2 -c32 for ${secs}s of normal requests, in the background"
wrk_start $secs
sleep 2

say "[4/6] Applying the fixes live (ptrace backend), under load"
for id in $MW_IDS $CSS_IDS; do
	"$KPL" info "$PATCHES/$id.kpl" | sed -n 's/^description: /  /p'
	out=$("$KPL" apply --keys "$KPL_TRUSTED" --json -p "$MW_PID" \
		"$PATCHES/$id.kpl") || die "apply $id failed"
	pause=$(json_num "$out" pause_us)
	total=$(json_num "$out" total_us)
	stops=$(json_num "$out" nr_stops)
	sum=$(json_num "$out" stops_us)
	echo "  kpl apply -p $MW_PID $id.kpl: applied; longest stop ${pause} us, $stops stops, ${sum} us in all; command ${total} us"
	echo "$id $pause $total $stops $sum" >>"$T/apply"
done
"$KPL" status -p "$MW_PID" | sed 's/^/  /'

say "[5/6] The same exploits, against the same process"
for id in $MW_IDS $CSS_IDS; do
	mw_exploit "$id"
	v=$MW_VERDICT
	printf '  %-13s  HTTP %s  %-9s %s\n' "$id" "$MW_CODE" "$v" "$(head -1 "$T/$id.out")"
	[ "$v" = rejected ] || die "$id still works after the live patch"
done
curl -s "$MW_URL/stats" | sed -n 's/^calls: /  calls: /p'

say "[6/6] Reverting (the unpatch path), still under load"
for id in CSS-2026-0002 CSS-2026-0001 MW-2026-0003 MW-2026-0002 MW-2026-0001; do
	out=$("$KPL" revert --json -p "$MW_PID" "$id") || die "revert $id failed"
	pause=$(json_num "$out" pause_us)
	stops=$(json_num "$out" nr_stops)
	sum=$(json_num "$out" stops_us)
	echo "  kpl revert -p $MW_PID $id: reverted; longest stop ${pause} us, $stops stops, ${sum} us in all"
	echo "$id $pause - $stops $sum" >>"$T/revert"
done
for id in $MW_IDS $CSS_IDS; do
	mw_exploit "$id"
	v=$MW_VERDICT
	printf '  %-13s  HTTP %s  %-9s (original behaviour back)\n' "$id" "$MW_CODE" "$v"
	[ "$v" = exploited ] || die "$id: original behaviour not back after revert"
done

wait "$WRK_PID"
set -- $(wrk_result)
req=$1
failed=$2
say "Summary"
echo "  server pid $MW_PID stayed up throughout: $(kill -0 "$MW_PID" 2>/dev/null && echo yes || echo NO)"
echo "  load: $req requests during apply and revert, $failed failed"
# kpl's own figures (--json): the longest stop is the longest pause a
# thread of the server saw; every stop counts, borrowed threads included.
awk '{ printf "  apply  %s: longest stop %7.1f us, %s stops, %7.1f us in all; kpl apply end to end %7.1f us\n", $1, $2, $4, $5, $3 }' "$T/apply"
awk '{ printf "  revert %s: longest stop %7.1f us, %s stops, %7.1f us in all\n", $1, $2, $4, $5 }' "$T/revert"
awk '$2 > m { m = $2 } { n += $4 } END { printf "  longest pause a thread saw: %.3f ms; %d stops over %d commands\n", m / 1000, n, NR }' "$T/apply" "$T/revert"
[ "$failed" = 0 ] || die "the load generator saw failed requests"
kill -0 "$MW_PID" 2>/dev/null || die "the server died"
