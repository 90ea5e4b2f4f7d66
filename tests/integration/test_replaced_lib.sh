#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# A library replaced on disk after the process loaded it (a package
# upgrade renames a new file over it) shows as "(deleted)" in the maps:
# the running process still needs, and gets, the live patch.
. "$(dirname "$0")/lib.sh"

mkdir -p "$T/app"
cp "$IT_DIR/kpl-spin" "$IT_DIR/libspin.so.1" "$T/app/"
"$T/app/kpl-spin" --threads 2 >"$T/d.out" 2>&1 &
P=$!
PIDS="$PIDS $P"
wait_ready "$T/d.out" kpl-spin
cp "$T/app/libspin.so.1" "$T/app/new.so"
mv "$T/app/new.so" "$T/app/libspin.so.1"
check "the maps show the library deleted" grep -q 'libspin.so.1 (deleted)' "/proc/$P/maps"
expect_rc 0 "apply to the process running the replaced file" \
	"$KPL" apply --keys "$TRUSTED" -p "$P" "$IT_DIR/spin10.kpl"
kill -USR1 "$P"
sleep 0.2
check "patched code runs: f0=1000" grep -q 'f0=1000' "$T/d.out"
expect_rc 0 "revert" "$KPL" revert -p "$P" SPIN-10
