#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# kpl status on a terminal (issue 15.7): kpld's store as a table of
# patches by state, each with a coverage bar (processes running it of
# those mapping its library); off a terminal kpld's reply stays whole,
# for scripts.  script(1) gives kpl a terminal.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/kpld.sh"

mkdir -p "$T/store"
printf 'rescan_ms = 60000\n' >"$T/kpld.conf"
start_spin one || exit 1
A=$SPIN_PID
start_spin two || exit 1
start_kpld
cp "$IT_DIR/spin1.kpl" "$IT_DIR/spin10.kpl" "$T/store/"
wait_store '"id":"SPIN-10"' >/dev/null
"$KPL" install SPIN-1 >/dev/null 2>&1
# One of the two processes loses the patch: coverage 1 of 2.
"$KPL" revert -p "$A" SPIN-1 >/dev/null 2>&1

script -qec "$KPL status" /dev/null >"$T/tty.out" 2>&1
sed 's/^/# /' "$T/tty.out"
check "on a terminal: a summary of the store by state" \
	grep -q 'kpld store (.*): 2 patches, 1 installed, 1 available' "$T/tty.out"
check "a table with a header" grep -Eq '^ +PATCH +VER +STATE +COVERAGE' "$T/tty.out"
check "the installed patch with half a bar, 1 of 2 processes" \
	grep -Eq '^ +SPIN-1 +1 +installed +\[##########\.{10}\] 1/2 ' "$T/tty.out"
check "the available one with an empty bar" \
	grep -Eq '^ +SPIN-10 +1 +available +\[\.{20}\] 0/2 ' "$T/tty.out"
check "installed listed before available" \
	sh -c "[ \$(grep -nE '^ +SPIN-1 +1 +installed' '$T/tty.out' | cut -d: -f1) -lt \$(grep -nE '^ +SPIN-10 +1 +available' '$T/tty.out' | cut -d: -f1) ]"
check "one row per patch" \
	sh -c "[ \$(grep -cE '^ +SPIN-[0-9]+ +[0-9]+ +[a-z]+ +\[' '$T/tty.out') -eq 2 ]"
check "no raw JSON on a terminal" sh -c "! grep -q '\"patches\":\[' '$T/tty.out'"

"$KPL" status >"$T/pipe.out" 2>&1
check "off a terminal: kpld's reply whole, for scripts" \
	grep -q '"patches":\[' "$T/pipe.out"
check "and no table" sh -c "! grep -q 'COVERAGE' '$T/pipe.out'"
stop_kpld
