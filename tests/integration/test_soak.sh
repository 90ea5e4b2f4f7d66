#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Soak: KPL_SOAK_CYCLES (150 in make check-long, 10,000 in make soak) apply/
# revert cycles of the MW fixes and the C++ (libmwcss) ones, in turn, on
# miniweb-server under wrk, each
# followed by one on kpl-victim, a single-threaded target hit by a storm
# of queued signals.  Wanted: 0 failed requests, 0 failed commands,
# 0 deaths, 0 leaked mappings or descriptors, 0 lost or altered signals.
. "$(dirname "$0")/lib.sh"
MW_BIN=${MW_BIN:?}
MW_SRC=tests/targets
PATCHES=${MW_PATCHES:?}
. "$(dirname "$0")/mw.sh"
CYCLES=${KPL_SOAK_CYCLES:-150}

# leaks PID: patch mappings and memfd descriptors of kpl's in PID
leaks() {
	m=$(grep -c '/memfd:kpl:' "/proc/$1/maps")
	f=$(ls -l "/proc/$1/fd" 2>/dev/null | grep -c 'memfd:kpl:')
	echo $((m + f))
}

mw_start 8 || exit 1
P=$MW_PID
file_maps "$P" >"$T/maps.0"
# Long enough for the cycles; stopped when they end.
wrk_start $((CYCLES / 2 + 60))
"$IT_DIR/kpl-sigstorm" "$T/victim.pid" $((CYCLES * 20)) >"$T/sender.out" 2>&1 &
STORM=$!
PIDS="$PIDS $STORM"
start_victim soak "$STORM" || exit 1
echo "$VPID" >"$T/victim.pid"

t0=$(date +%s)
fails=0
i=0
while [ $i -lt "$CYCLES" ]; do
	set -- $MW_IDS $CSS_IDS
	shift $((i % $#))
	id=$1
	"$KPL" apply --keys "$TRUSTED" -p "$P" "$PATCHES/$id.kpl" >/dev/null 2>>"$T/err" ||
		fails=$((fails + 1))
	"$KPL" revert -p "$P" "$id" >/dev/null 2>>"$T/err" ||
		fails=$((fails + 1))
	"$KPL" apply --keys "$TRUSTED" -p "$VPID" "$IT_DIR/spin1.kpl" \
		>/dev/null 2>>"$T/err" || fails=$((fails + 1))
	"$KPL" revert -p "$VPID" SPIN-1 >/dev/null 2>>"$T/err" ||
		fails=$((fails + 1))
	i=$((i + 1))
	[ $((i % 500)) -eq 0 ] && echo "# $i cycles, $fails failures, $(($(date +%s) - t0)) s"
done
kill -INT "$WRK_PID" 2>/dev/null
wait "$WRK_PID"
wait "$STORM"
check "$CYCLES cycles on two targets, none failed" [ "$fails" -eq 0 ]
[ "$fails" -eq 0 ] || sed 's/^/#   /' "$T/err" | head -20
set -- $(wrk_result)
check "load generator: $1 requests, $2 failed" [ "$1" -gt 0 -a "$2" = 0 ]
check "server alive" alive "$P"
check "no patch mapping or descriptor left in the server" [ "$(leaks "$P")" = 0 ]
file_maps "$P" >"$T/maps.1"
check "server's file mappings back to the pre-patch set" cmp -s "$T/maps.0" "$T/maps.1"
check "no patch mapping or descriptor left in the victim" [ "$(leaks "$VPID")" = 0 ]
sleep 0.2
check "victim alive with its own registers and its SIGTRAPs" end_victim soak "$VPID"
sent=$(sed -n 's/^sent rt=\([0-9]*\).*/\1/p' "$T/sender.out")
check "victim: every queued signal arrived once, in order ($sent)" \
	[ -n "$sent" -a "$(victim_field rt)" = "$sent" -a "$(victim_field rt_bad)" = 0 ]
check "victim: every SIGUSR1 from its sender" [ "$(victim_field usr1_bad)" = 0 ]
for id in $MW_IDS $CSS_IDS; do
	mw_exploit "$id"
	check "$id: original code after the cycles" [ "$MW_VERDICT" = exploited ]
done
echo "# soak: $CYCLES cycles in $(($(date +%s) - t0)) s; $VICTIM_REPORT"
