#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# make bench-fleet: how long `kpl apply --all` and `kpl revert --all`
# take for 100, 500 and 1,000 processes (the goal in docs/design.md,
# "Performance targets": 1,000 in at most 0.4 s on 2 cores).  The targets are idle kpl-spin processes with 2
# threads each (a fleet of servers waiting for requests); each size is
# measured RUNS times and the median reported, as wall time and as the
# CPU time kpl used (user + system), which a busy machine disturbs less.
# Prints a table and writes JSON to $OUT/fleet.json.
#
# SIZES="100 1000 10000" measures other sizes; 10,000 processes take a
# few minutes to start and need pid_max and `ulimit -u` above 2 x 10,000
# (checked below).  Every process mapping the patch's library takes part,
# so do not run this beside integration tests of the same build.  Its
# patch has an id of its own (KPL-BENCH-FLEET): `revert --all` finds
# processes by patch id, and must not take a test's SPIN-10 out.
set -u
KPL=${KPL:?} SPIN=${SPIN:?} PATCH=${PATCH:?} OUT=${OUT:?}
KEYS=${KEYS:-}
RUNS=${RUNS:-3}
SIZES=${SIZES:-100 500 1000}
PIDS=""
trap 'kill $PIDS 2>/dev/null' EXIT INT TERM

median() { tr ' ' '\n' | grep . | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# Run "$@" under /usr/bin/time: "wall_ms cpu_ms" on fd 3, output in $OUT/fleet.out.
timed() {
	/usr/bin/time -f '%e %U %S' -o "$OUT/fleet.time" "$@" >"$OUT/fleet.out" 2>&1
	rc=$?
	awk '{ printf "%.1f %.1f\n", $1 * 1000, ($2 + $3) * 1000 }' "$OUT/fleet.time" >&3
	return $rc
}

max=0
for n in $SIZES; do [ "$n" -gt "$max" ] && max=$n; done
need=$((max * 2 + 1000))
pid_max=$(cat /proc/sys/kernel/pid_max)
nproc_max=$(ulimit -p 2>/dev/null || ulimit -u 2>/dev/null || echo unlimited)
if [ "$pid_max" -lt "$need" ] || { [ "$nproc_max" != unlimited ] && [ "$nproc_max" -lt "$need" ]; }; then
	echo "bench-fleet: $max processes need pid_max and ulimit -u >= $need" \
		"(now $pid_max, $nproc_max): raise them or lower SIZES" >&2
	exit 1
fi
if [ ! -x /usr/bin/time ]; then
	echo "bench-fleet: needs /usr/bin/time (package time)" >&2
	exit 1
fi

started=0
json="["
printf '%-10s %-16s %-16s %-12s %s\n' processes "apply --all" "revert --all" "apply cpu" "per process"
for n in $SIZES; do
	while [ $started -lt "$n" ]; do
		"$SPIN" --threads 2 --idle >/dev/null 2>&1 &
		PIDS="$PIDS $!"
		started=$((started + 1))
	done
	sleep $((1 + n / 1000))
	a="" r="" c=""
	run=0
	while [ $run -lt "$RUNS" ]; do
		ta=$(timed "$KPL" apply --all $KEYS "$PATCH" 3>&1) ||
			{ echo "bench-fleet: apply --all failed:"; cat "$OUT/fleet.out"; exit 1; }
		id=$(sed -n 's/^kpl apply: \([^ ]*\) applied.*/\1/p' "$OUT/fleet.out")
		tr=$(timed "$KPL" revert --all "$id" 3>&1) ||
			{ echo "bench-fleet: revert --all failed:"; cat "$OUT/fleet.out"; exit 1; }
		a="$a ${ta% *}"
		c="$c ${ta#* }"
		r="$r ${tr% *}"
		run=$((run + 1))
	done
	ma=$(echo "$a" | median)
	mr=$(echo "$r" | median)
	mc=$(echo "$c" | median)
	printf '%-10s %-16s %-16s %-12s %s\n' "$n" "$ma ms" "$mr ms" "$mc ms" \
		"$(echo "scale=3; $ma / $n" | bc) ms"
	[ "$json" = "[" ] || json="$json,"
	json="$json{\"processes\":$n,\"apply_ms\":$ma,\"revert_ms\":$mr,\"apply_cpu_ms\":$mc,\"runs\":$RUNS}"
done
echo "$json]" >"$OUT/fleet.json"
echo "bench-fleet: results in $OUT/fleet.json (median of $RUNS; load average $(cut -d' ' -f1-3 /proc/loadavg))"
