#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The benchmark measures the thread kpl borrows: in `kpl-spin --shm` the
# main thread spins (it used to sit in sigwait, so the stops of the
# thread kpl borrows went unmeasured), and kpl-bench puts kpl's own stop
# count beside the gaps of single-threaded and all-spinning targets, and
# beside kpl's pause the bare ptrace stop of the same threads (bare.c).
# Nothing here looks at a time.
. "$(dirname "$0")/lib.sh"

BENCH=${KPL_BENCH:-build/release/kpl-bench}
if [ ! -x "$BENCH" ]; then
	ok "kpl-bench measures the borrowed thread # SKIP no $BENCH"
	exit 0
fi

# A report page, as kpl-bench makes it (a file does as well as a memfd).
truncate -s 8192 "$T/shm"
exec 3<>"$T/shm"
start_spin shm --shm 3 --threads 2 --spinners 1 || exit 1
exec 3<&-
P=$SPIN_PID
st=$(awk '{ print $3 }' "/proc/$P/task/$P/stat")
check "--shm: the main thread (tid = pid) spins, state R not S: $st" [ "$st" = R ]
kill "$P"

"$BENCH" --kpl "$KPL" --spin "$IT_DIR/kpl-spin" --patch "$IT_DIR/spin1.kpl" \
	--apply-arg=--keys="$TRUSTED" --threads 1 --busy 2 --runs 1 --procs 1 \
	--out "$T/b.json" >"$T/bench.out" 2>&1
rc=$?
check "kpl-bench runs a 1-thread and a 2-spinner cell (exit $rc)" [ "$rc" = 0 ]
[ "$rc" = 0 ] || sed 's/^/#   /' "$T/bench.out"
check "single-threaded cell: its one thread spins" \
	grep -q '"threads":1,"spinners":1,' "$T/b.json"
check "busy cell: both threads spin and report" \
	grep -q '"threads":2,"spinners":2,' "$T/b.json"
check "kpl's stop count is recorded in every cell" \
	[ "$(grep -c '"apply_stops":{"median":[1-9]' "$T/b.json")" = 2 ]
check "the bare ptrace stop is measured in every cell, both ways" \
	[ "$(grep -c '"bare_stop":{"median":[1-9].*"bare_stop_release":{"median":[1-9]' "$T/b.json")" = 2 ]
awk -f tools/bench/table.awk "$T/b.json" >"$T/table"
check "the table puts the probe beside kpl: 1 thread" \
	grep -q '^| 1 thread: apply, longest gap | [0-9.]* | pause [0-9.]*; [0-9]* stops' "$T/table"
check "the table puts the probe beside kpl: all threads spinning" \
	grep -q '^| 2 threads, all spinning: apply gap' "$T/table"
check "the table puts kpl's floor, the bare stop, beside kpl's pause" \
	grep -q '^| 2 threads: bare ptrace stop, nothing done: .* | | [0-9.]* ([0-9.]*) | |$' "$T/table"

# Numbers the user gives are read whole and in range, or refused with
# the setting's name (they were atoi()ed: "5x" ran 5 runs, "abc" none).
for bad in "--runs 5x" "--runs 0" "--nice 99" "--procs -1"; do
	# shellcheck disable=SC2086
	"$BENCH" --kpl "$KPL" --patch "$IT_DIR/spin1.kpl" $bad >"$T/bad.out" 2>&1
	rc=$?
	opt=${bad%% *}
	check "kpl-bench refuses $bad (exit $rc), naming $opt" \
		sh -c '[ "$1" = 2 ] && grep -q -- "bad $2 " "$3"' _ "$rc" "$opt" "$T/bad.out"
done
BENCH_RUNS=abc "$BENCH" --kpl "$KPL" --patch "$IT_DIR/spin1.kpl" >"$T/bad.out" 2>&1
rc=$?
check "kpl-bench refuses BENCH_RUNS=abc (exit $rc), naming it" \
	sh -c '[ "$1" = 2 ] && grep -q "bad BENCH_RUNS " "$2"' _ "$rc" "$T/bad.out"
