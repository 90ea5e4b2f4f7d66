#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# kpld's journal against damage: a torn last record
# is cut and does not swallow the next one, garbage and forged lines are
# rejected and reported, an empty or deleted journal never yields
# "available, active N" (the processes are asked), and on a full disk
# the log shows the real errno and the transition does not happen.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/kpld.sh"
trap 'umount "$T/small" 2>/dev/null; cleanup' EXIT INT TERM

mkdir -p "$T/store"
cp "$IT_DIR/spin10.kpl" "$T/store/"
: >"$T/kpld.conf"
J=$KPLD_STATE/journal
start_spin a || exit 1
A=$SPIN_PID

start_kpld
expect_rc 0 "kpl install SPIN-10" "$KPL" install SPIN-10
check "every journal line is framed with its length and checksum" \
	sh -c "! grep -qv '^kj1 [0-9]* [0-9]* ' '$J'"
stop_kpld

# A torn last record: a write cut short by a crash.
printf 'kj1 61 12345 1796502019109538403\tstate\tSPIN-10\t1\tavail' >>"$J"
start_kpld
check "the torn tail is reported" grep -q 'journal .*: torn last record' "$T/kpld.log"
expect_rc 0 "kpl uninstall SPIN-10 after it" "$KPL" uninstall SPIN-10
stop_kpld
check "the torn tail was cut: the next record is a line of its own" \
	sh -c "! grep -qv '^kj1 [0-9]* [0-9]* ' '$J'"
start_kpld
check "the uninstall survives a restart: reverted, active 0" \
	wait_store '"state":"reverted".*"active":0'
check "and the process runs without the patch" no_patch "$A" SPIN-10
expect_rc 0 "kpl install SPIN-10 again" "$KPL" install SPIN-10
stop_kpld

# Garbage, a forged quarantine in the old unframed format, one with a
# wrong checksum, one whose length lies.
: >"$T/kpld.log"
now=$(date +%s%N)
{
	printf 'garbage \001\033[31m\n'
	printf '%s\tstate\tSPIN-10\t1\tquarantined\tforged\n' "$now"
	printf 'kj1 52 1 %s\tstate\tSPIN-10\t1\tquarantined\tforged\n' "$now"
	frame "$now	state	SPIN-10	1	quarantined	forged" | sed 's/^kj1 [0-9]*/kj1 3/'
	# A well-formed record whose reason holds escapes and non-UTF-8.
	frame "$now	state	SPIN-10	1	installed	$(printf 'by \033]0;x\007 \377\376')"
} >>"$J"
start_kpld
check "4 damaged records rejected and reported" \
	[ "$(grep -c 'damaged record rejected' "$T/kpld.log")" -eq 4 ]
escaped() {
	grep -q 'garbage \\x01\\x1b\[31m' "$T/kpld.log" &&
		! grep -q "$(printf '\033')" "$T/kpld.log"
}
check "with their bytes escaped in the log" escaped
check "a forged quarantine is not believed: still installed" \
	wait_store '"state":"installed".*"active":1'
check "kpl store stays valid JSON" python3 -c \
	"import json, sys; json.load(open(sys.argv[1], encoding='utf-8'))" "$T/store.json"
check "and the process keeps the patch" has_patch "$A" SPIN-10
stop_kpld

# An empty journal, then a deleted one: the processes say what is true.
: >"$J"
: >"$T/kpld.log"
start_kpld
check "empty journal: the running patch is adopted as installed, active 1" \
	wait_store '"id":"SPIN-10","version":1,"state":"installed".*"active":1'
check "never available with an active count" \
	sh -c "! grep -q '\"state\":\"available\".*\"active\":[1-9]' '$T/store.json'"
check "the adoption is logged" grep -q 'adopted at start' "$T/kpld.log"
stop_kpld
rm -f "$J"
start_kpld
check "deleted journal: installed, active 1" \
	wait_store '"id":"SPIN-10","version":1,"state":"installed".*"active":1'
stop_kpld

# A full disk: the state on a 64 KiB tmpfs, filled up.
mkdir -p "$T/small"
if ! mount -t tmpfs -o size=64k tmpfs "$T/small"; then
	ok "full disk # SKIP cannot mount a tmpfs"
	exit 0
fi
KPLD_STATE=$T/small
J=$KPLD_STATE/journal
: >"$T/kpld.log"
start_kpld
check "on the small disk: installed, active 1" \
	wait_store '"state":"installed".*"active":1'
dd if=/dev/zero of="$T/small/fill" bs=1k count=128 2>/dev/null
# The journal's last page may still have room: settings fill it.
k=0
while "$KPL" auto off >"$T/auto.out" 2>&1 && [ $k -lt 200 ]; do k=$((k + 1)); done
check "a setting whose journal write fails is refused with the errno" \
	grep -q 'No space left on device' "$T/auto.out"
expect_rc 6 "kpl uninstall fails on the full disk" "$KPL" uninstall SPIN-10
check "the log shows the real errno" \
	grep -q 'journal write failed: No space left on device' "$T/kpld.log"
check "the transition did not happen: the process keeps the patch" \
	has_patch "$A" SPIN-10
check "and the store still says installed" \
	wait_store '"state":"installed".*"active":1'
rm -f "$T/small/fill"
: >"$T/kpld.log"
stop_kpld
start_kpld
check "after a restart with room again: installed, active 1" \
	wait_store '"state":"installed".*"active":1'
check "no torn or damaged record was left behind" \
	sh -c "! grep -q 'torn\|damaged' '$T/kpld.log'"
stop_kpld
check "target alive" alive "$A"
