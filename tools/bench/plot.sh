#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# PNG plots of a `make bench` run, written beside its JSON:
#   plot.sh DIR   reads DIR/ptrace.json and DIR/fleet.json (each if present)
#   DIR/pause-threads.png  gap and kpl's pause against the thread count
#   DIR/pause-funcs.png    gap and kpl's pause against the function count
#   DIR/fleet.png          kpl apply/revert --all against the process count
# Needs gnuplot (gnuplot-nox); without it, says so and does nothing.
set -eu
DIR=${1:?usage: plot.sh DIR}

if ! command -v gnuplot >/dev/null 2>&1; then
	echo "bench-plot: gnuplot not installed (make deps), no plots" >&2
	exit 0
fi

# One line per cell: threads spinners funcs, then medians in ms of the
# probe's apply gap, kpl's apply pause, the idle gap, the probe's revert
# gap, kpl's revert pause and the bare ptrace stop (bare.c; NaN in a
# file from before it).
cells() {
	awk '
	function med(s, m,    i, t) {
		i = index(s, "\"" m "\":{")
		if (!i)
			return "NaN"
		t = substr(s, i)
		i = index(t, "\"median\":")
		t = substr(t, i + 9)
		match(t, /^-?[0-9][0-9.]*/)
		return substr(t, 1, RLENGTH) / 1000
	}
	function num(s, k,    i, t) {
		i = index(s, "\"" k "\":")
		if (!i)
			return ""
		t = substr(s, i + length(k) + 3)
		match(t, /^[0-9]+/)
		return substr(t, 1, RLENGTH)
	}
	/^ *\{"backend":/ {
		sp = num($0, "spinners")
		print num($0, "threads"), (sp == "" ? 1 : sp), num($0, "funcs"),
			med($0, "spin_apply"), med($0, "apply_pause"),
			med($0, "spin_base"), med($0, "spin_revert"),
			med($0, "revert_pause"), med($0, "bare_stop")
	}' "$1"
}

if [ -f "$DIR/ptrace.json" ]; then
	cells "$DIR/ptrace.json" >"$DIR/cells.dat"
	funcs=$(awk '$2 == 1 { print $3 }' "$DIR/cells.dat" | sort -un | tr '\n' ' ')
	threads=$(awk '$2 == 1 { print $1 }' "$DIR/cells.dat" | sort -un | tr '\n' ' ')
	{
		echo 'set terminal pngcairo size 720,440 font ",10"'
		echo "set output '$DIR/pause-threads.png'"
		echo 'set title "Pause against thread count (ptrace; main thread spins, others sleep; medians)"'
		echo 'set xlabel "threads in the target"; set ylabel "ms"'
		echo 'set logscale x 2; set logscale y; set key left top; set grid'
		# Each series through its own awk filter: a NaN point between
		# two others would break gnuplot's line.
		printf 'plot '
		sep=""
		for f in $funcs; do
			sel="< awk '\$2 == 1 \&\& \$3 == $f' $DIR/cells.dat"
			printf "%s\"%s\" using 1:4 with linespoints title 'gap the target saw, %s-function patch'" "$sep" "$sel" "$f"
			sep=", "
			printf "%s\"%s\" using 1:5 with linespoints dashtype 2 title 'kpl pause (longest stop), %s-function patch'" "$sep" "$sel" "$f"
		done
		f=$(echo $funcs | cut -d' ' -f1)
		printf "%s\"< awk '\$2 == 1 \&\& \$3 == $f' $DIR/cells.dat\" using 1:6 with linespoints lc rgb 'gray' title 'idle window gap'" "$sep"
		printf "%s\"< awk '\$2 == 1 \&\& \$3 == $f \&\& \$9 ~ /[0-9]/' $DIR/cells.dat\" using 1:9 with linespoints lc rgb 'black' dashtype 3 title 'bare ptrace stop, nothing done (the floor)'\n" "$sep"
		echo 'unset logscale x'
		echo "set output '$DIR/pause-funcs.png'"
		echo 'set title "Pause against function count (ptrace; medians)"'
		echo 'set xlabel "functions in the patch"; set xtics 1'
		printf 'plot '
		sep=""
		for t in $threads; do
			sel="< awk '\$2 == 1 \&\& \$1 == $t' $DIR/cells.dat"
			printf "%s\"%s\" using 3:4 with linespoints title 'gap, %s threads'" "$sep" "$sel" "$t"
			sep=", "
			printf "%s\"%s\" using 3:5 with linespoints dashtype 2 title 'kpl pause, %s threads'" "$sep" "$sel" "$t"
		done
		echo
	} >"$DIR/plots.gp"
	gnuplot "$DIR/plots.gp"
	echo "bench-plot: $DIR/pause-threads.png $DIR/pause-funcs.png"
fi

if [ -f "$DIR/fleet.json" ]; then
	tr '{' '\n' <"$DIR/fleet.json" | awk -F'[:,]' '/"processes"/ {
		print $2, $4, $6, ($7 ~ /cpu/ ? $8 : "NaN") }' >"$DIR/fleet.dat"
	gnuplot <<-GP
	set terminal pngcairo size 720,440 font ",10"
	set output '$DIR/fleet.png'
	set title "kpl apply --all / revert --all against process count (medians)"
	set xlabel "idle target processes"; set ylabel "seconds"
	set key left top; set grid
	plot '$DIR/fleet.dat' using 1:(\$2/1000) with linespoints title 'apply --all, wall', \
	     '$DIR/fleet.dat' using 1:(\$3/1000) with linespoints title 'revert --all, wall', \
	     '$DIR/fleet.dat' using 1:(\$4/1000) with linespoints title 'apply --all, CPU time of kpl'
	GP
	echo "bench-plot: $DIR/fleet.png"
fi
