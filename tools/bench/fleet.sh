#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# make bench-fleet: how long `kpl apply --all` and `kpl revert --all`
# take for 100, 500 and 1,000 processes (the design's target: 1,000 in
# under 1 s on 2 cores).  The targets are idle kpl-spin processes with 2
# threads each (a fleet of servers waiting for requests); each size is
# measured RUNS times and the median reported.  Prints a table and
# writes JSON to $OUT/fleet.json.
set -u
KPL=${KPL:?} SPIN=${SPIN:?} PATCH=${PATCH:?} OUT=${OUT:?}
KEYS=${KEYS:-}
RUNS=${RUNS:-3}
SIZES=${SIZES:-100 500 1000}
PIDS=""
trap 'kill $PIDS 2>/dev/null' EXIT INT TERM

now_ms() { date +%s%N | awk '{ printf "%.1f", $1 / 1e6 }'; }
median() { tr ' ' '\n' | grep . | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

started=0
json="["
printf '%-10s %-14s %-14s %s\n' processes "apply --all" "revert --all" "per process"
for n in $SIZES; do
	while [ $started -lt "$n" ]; do
		"$SPIN" --threads 2 --idle >/dev/null 2>&1 &
		PIDS="$PIDS $!"
		started=$((started + 1))
	done
	sleep 1
	a="" r=""
	run=0
	while [ $run -lt "$RUNS" ]; do
		t0=$(now_ms)
		"$KPL" apply --all $KEYS "$PATCH" >"$OUT/fleet.out" 2>&1 ||
			{ echo "bench-fleet: apply --all failed:"; cat "$OUT/fleet.out"; exit 1; }
		t1=$(now_ms)
		id=$(sed -n 's/^kpl apply: \([^ ]*\) applied.*/\1/p' "$OUT/fleet.out")
		"$KPL" revert --all "$id" >/dev/null 2>&1 ||
			{ echo "bench-fleet: revert --all failed"; exit 1; }
		t2=$(now_ms)
		a="$a $(echo "$t1 - $t0" | bc)"
		r="$r $(echo "$t2 - $t1" | bc)"
		run=$((run + 1))
	done
	ma=$(echo "$a" | median)
	mr=$(echo "$r" | median)
	printf '%-10s %-14s %-14s %s\n' "$n" "$ma ms" "$mr ms" \
		"$(echo "scale=3; $ma / $n" | bc) ms"
	[ "$json" = "[" ] || json="$json,"
	json="$json{\"processes\":$n,\"apply_ms\":$ma,\"revert_ms\":$mr,\"runs\":$RUNS}"
done
echo "$json]" >"$OUT/fleet.json"
echo "bench-fleet: results in $OUT/fleet.json (median of $RUNS, wall time of the whole command)"
