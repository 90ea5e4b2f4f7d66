#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# kpld's protections load and fail one by one, and say so: with the
# watchdog refused by the verifier the hold still holds a server started
# later; with the hold refused the watchdog still quarantines a crashing
# patch; with both refused kpld still serves its store.  Each time the
# start-up line, `kpl store --json` and `kpl status` name what is missing
# and why.  KPLD_FAULT_BPF builds the named programs so that this
# kernel's verifier refuses them (userland/daemon/bpf.c).
. "$(dirname "$0")/lib.sh"
MW_BIN=${MW_BIN:?}
MW_SRC=tests/targets
PATCHES=${MW_PATCHES:?}
KPLD=${KPLD:?}
. "$(dirname "$0")/mw.sh"

export KPLD_SOCKET=$T/kpld.sock
# start_kpld NAME FAULT [options]: a kpld with its own store and journal
# in $T/NAME, KPLD_FAULT_BPF=FAULT; waits until it answers (10 s at most)
start_kpld() {
	D=$T/$1
	mkdir -p "$D/store"
	KPLD_FAULT_BPF=$2 "$KPLD" --store "$D/store" --state "$D/state" \
		--socket "$KPLD_SOCKET" --keys "$TRUSTED" -c /dev/null $3 \
		>"$D/kpld.log" 2>&1 &
	KPLD_PID=$!
	PIDS="$PIDS $KPLD_PID"
	wait_for '"protections"'
}
stop_kpld() {
	kill -TERM "$KPLD_PID"
	wait "$KPLD_PID" 2>/dev/null
	rm -f "$KPLD_SOCKET"
}
# wait_for TEXT: until `kpl store` shows TEXT (10 s at most)
wait_for() {
	i=0
	while [ $i -lt 100 ]; do
		"$KPL" store --json >"$T/store.json" 2>/dev/null
		grep -q "$1" "$T/store.json" && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}
# The verifier's complaint, as this kernel words it for a read through
# a scalar (the register may differ with the compiler).
NO_WATCH="BPF: verifier refused kpld_signal_deliver: R[0-9]+ invalid mem access 'scalar'"
NO_HOLD="BPF: verifier refused kpld_hold: R[0-9]+ invalid mem access 'scalar'"

# startup_is REGEX: kpld's start-up line, all of it (ERE)
startup_is() {
	got=$(grep '^kpld: protections:' "$D/kpld.log")
	printf '%s\n' "$got" | grep -qxE "kpld: protections: $1" && return 0
	echo "# got: ${got:-no protections line}"
	return 1
}
# store_is HOLD HOLD-REASON WATCHDOG WATCHDOG-REASON: the protections
# object of `kpl store --json`, a valid JSON document (reasons: regexes)
store_is() {
	python3 -c '
import json, re, sys
p = json.load(open(sys.argv[1]))["protections"]
ok = (sorted(p) == ["hold", "hold_reason", "watchdog", "watchdog_reason"]
      and p["hold"] == sys.argv[2] and re.fullmatch(sys.argv[3], p["hold_reason"])
      and p["watchdog"] == sys.argv[4]
      and re.fullmatch(sys.argv[5], p["watchdog_reason"]))
if not ok:
	print("# got", p)
	sys.exit(1)' "$T/store.json" "$@"
}
# status_is REGEX: the protections line of `kpl status`
status_is() {
	"$KPL" status >"$T/status.txt" 2>&1
	grep -qxE "kpld protections: $1" "$T/status.txt" && return 0
	sed 's/^/# /' "$T/status.txt"
	return 1
}

# 1. The watchdog refused: the hold still holds.
mw_start 2 a || exit 1
start_kpld nowatch watchdog --auto-install
check "without the watchdog: kpld says so at start-up" \
	startup_is "hold=bpf watchdog=off \\($NO_WATCH\\)"
check "in kpl store --json" store_is bpf "" off "$NO_WATCH"
check "and in kpl status" status_is "hold=bpf watchdog=off \\($NO_WATCH\\)"
cp "$PATCHES/MW-2026-0001.kpl" "$D/store/"
check "a new patch is installed" \
	wait_for '"id":"MW-2026-0001","version":1,"state":"installed"'
mw_start 2 c || exit 1
C=$MW_PID
mw_exploit MW-2026-0001
check "a server started later rejects the exploit at once ($MW_CODE)" \
	[ "$MW_VERDICT" = rejected ]
check "it was held at the library's DT_INIT and patched" \
	grep -q "hold.*pid $C held at .*DT_INIT: patched" "$D/state/journal"
stop_kpld
for p in $PIDS; do kill -TERM "$p" 2>/dev/null; done

# 2. The hold refused: the watchdog still quarantines.
mw_start 2 b || exit 1
B=$MW_PID
B_URL=$MW_URL
start_kpld nohold hold
check "without the hold: kpld says so at start-up" \
	startup_is "hold=none \\($NO_HOLD\\) watchdog=on"
check "in kpl store --json" store_is none "$NO_HOLD" on ""
check "and in kpl status" status_is "hold=none \\($NO_HOLD\\) watchdog=on"
cp "$PATCHES/MW-BROKEN.kpl" "$D/store/"
wait_for '"id":"MW-BROKEN","version":1,"state":"available"'
expect_rc 0 "kpl install MW-BROKEN" "$KPL" install MW-BROKEN
curl -s -m 5 --data-binary 'hello KPL-CRASH' "$B_URL/tokenize" >/dev/null
check "the crashing request killed the server" \
	sh -c "k=0; while kill -0 $B 2>/dev/null && [ \$k -lt 50 ]; do sleep 0.1; k=\$((k + 1)); done; ! kill -0 $B 2>/dev/null"
check "the watchdog quarantined MW-BROKEN" \
	wait_for '"id":"MW-BROKEN","version":1,"state":"quarantined"'
stop_kpld

# 3. Both refused: kpld runs on, and says what it lacks.
start_kpld none hold,watchdog
check "without either: kpld says so at start-up" \
	startup_is "hold=none \\($NO_HOLD\\) watchdog=off \\($NO_WATCH\\)"
check "in kpl store --json" store_is none "$NO_HOLD" off "$NO_WATCH"
check "and in kpl status" \
	status_is "hold=none \\($NO_HOLD\\) watchdog=off \\($NO_WATCH\\)"
stop_kpld
