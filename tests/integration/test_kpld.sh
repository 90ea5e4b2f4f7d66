#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# kpld: auto-install from the store, a process started later gets the
# patch, a broken patch that crashes a server on one request is reverted
# everywhere and quarantined, and a kpld killed with SIGKILL resumes from
# its journal with the true state.
. "$(dirname "$0")/lib.sh"
MW_BIN=${MW_BIN:?}
MW_SRC=tests/targets
PATCHES=${MW_PATCHES:?}
KPLD=${KPLD:?}
. "$(dirname "$0")/mw.sh"

. "$(dirname "$0")/kpld.sh"

mkdir -p "$T/store"
# wait_for TEXT: until `kpl store` shows TEXT (40 s at most: a bound for
# a stuck kpld, not a timing check; on a loaded 2-core machine the
# watchdog's revert from every survivor takes seconds)
wait_for() { wait_store "$1" 400; }

mw_start 4 a || exit 1
A=$MW_PID
A_URL=$MW_URL
mw_start 4 b || exit 1
B=$MW_PID
start_kpld
check "kpld is up" [ -S "$KPLD_SOCKET" ]
# Both BPF protections load on the kernel that builds them (the build
# needs its BTF): a kpld that lost one fails here, saying which and why.
protections_ok() {
	line=$(grep '^kpld: protections:' "$T/kpld.log")
	[ "$line" = "kpld: protections: hold=bpf watchdog=on" ] && return 0
	echo "# ${line:-kpld printed no protections line}"
	return 1
}
# kpld answers once it is set up: the line is in its log by then.
wait_for '"protections"'
check "kpld runs the BPF hold and the crash watchdog" protections_ok
check "kpl store says so" grep -q \
	'"protections":{"hold":"bpf","hold_reason":"","watchdog":"on","watchdog_reason":""}' \
	"$T/store.json"
"$KPL" status >"$T/status.txt" 2>&1
check "and so does kpl status" \
	grep -qx 'kpld protections: hold=bpf watchdog=on' "$T/status.txt"
expect_rc 0 "kpl auto on" "$KPL" auto on
# Peer credentials: a user who is neither root nor in read_group is
# refused, even for status.
kplbin=$(readlink -f "$KPL")
chmod 755 "$T"
expect_rc 7 "kpld refuses an unprivileged client" \
	setpriv --reuid=65534 --regid=65534 --clear-groups \
	env KPLD_SOCKET="$KPLD_SOCKET" "$kplbin" store
check "and says why" grep -q 'permission denied' "$T/cmd.out" "$T/cmd.err"
cp "$PATCHES/MW-2026-0001.kpl" "$T/store/"
check "a new signed patch is installed with no admin action" \
	wait_for '"id":"MW-2026-0001","version":1,"state":"installed"'
check "active in both servers" \
	sh -c "grep -q kpl:MW-2026-0001 /proc/$A/maps && grep -q kpl:MW-2026-0001 /proc/$B/maps"
MW_URL=$A_URL
mw_exploit MW-2026-0001
check "exploit rejected after auto-install ($MW_CODE)" [ "$MW_VERDICT" = rejected ]

mw_start 4 c || exit 1
C=$MW_PID
# The first request the new server ever serves is the exploit.
mw_exploit MW-2026-0001
check "a server started later rejects the exploit at once ($MW_CODE)" \
	[ "$MW_VERDICT" = rejected ]
check "and never ran the vulnerable function" \
	sh -c "curl -s '$MW_URL/stats' | grep -q 'miniweb_entity_decode MW-2026-0001 original=0 '"
check "it was held at the library's DT_INIT and patched" \
	grep -q "hold.*pid $C held at .*DT_INIT: patched" "$T/state/journal"
check "a server started later is counted" wait_for '"active":3,"mapping":3'

"$KPL" auto off >/dev/null
cp "$PATCHES/MW-BROKEN.kpl" "$T/store/"
check "with auto-install off a new patch stays available" \
	wait_for '"id":"MW-BROKEN","version":1,"state":"available"'
expect_rc 0 "kpl install MW-BROKEN" "$KPL" install MW-BROKEN
curl -s -m 5 --data-binary 'hello KPL-CRASH' "$A_URL/tokenize" >/dev/null
sleep 0.5
check "the crashing request killed server A" sh -c "! kill -0 $A 2>/dev/null"
check "the watchdog quarantined MW-BROKEN" \
	wait_for '"id":"MW-BROKEN","version":1,"state":"quarantined"'
check "with the evidence: signal 11 in the patch's code" \
	grep -q 'MW-BROKEN.*signal 11 .*memfd:kpl:MW-BROKEN' "$T/store.json"
check "MW-BROKEN reverted from every survivor" \
	sh -c "! grep -q 'kpl:MW-BROKEN' /proc/$B/maps /proc/$C/maps"
check "survivors keep MW-2026-0001" \
	sh -c "grep -q 'kpl:MW-2026-0001' /proc/$B/maps && grep -q 'kpl:MW-2026-0001' /proc/$C/maps"
expect_rc 6 "a quarantined patch is not installed again" "$KPL" install MW-BROKEN

kill -KILL "$KPLD_PID"
wait "$KPLD_PID" 2>/dev/null
start_kpld
check "after SIGKILL and restart: MW-2026-0001 still installed, true counts" \
	wait_for '"id":"MW-2026-0001","version":1,"state":"installed".*"active":2,"mapping":2'
check "after restart: MW-BROKEN still quarantined" \
	grep -q '"id":"MW-BROKEN","version":1,"state":"quarantined"' "$T/store.json"
expect_rc 0 "kpl release MW-BROKEN" "$KPL" release MW-BROKEN
check "released: available again" \
	wait_for '"id":"MW-BROKEN","version":1,"state":"available"'
expect_rc 0 "kpl uninstall MW-2026-0001" "$KPL" uninstall MW-2026-0001
check "uninstalled everywhere" wait_for '"state":"reverted".*"active":0'

# A kpl killed half way through an apply: kpld's rescan repairs the
# process by itself, with no kpl command run.
start_spin j --threads 4 || exit 1
S=$SPIN_PID
KPL_FAULT_KILL_AFTER=4 "$KPL" apply --keys "$TRUSTED" -p "$S" \
	"$IT_DIR/spin10.kpl" >/dev/null 2>&1
k=0
until ! grep -q 'kpl:SPIN-10' "/proc/$S/maps" || [ $k -gt 50 ]; do
	sleep 0.1; k=$((k + 1))
done
r=$(report j "$S")
check "kpld rolled back a half-done apply: f0=0 f3=9, no patch mapping" \
	[ "$(field "$r" f0)/$(field "$r" f3)/$(grep -c 'kpl:SPIN-10' "/proc/$S/maps")" = 0/9/0 ]

# A kpld that dies between holding a process and letting it go: the
# journal says so, and the next kpld lets it go.
kill -STOP "$B"
rec=$(printf '%s\tevent\t-\theld\t%s' "$(date +%s%N)" "$B")
printf 'kj1 %s %s %s\n' "${#rec}" "$(printf %s "$rec" | cksum | cut -d' ' -f1)" \
	"$rec" >>"$T/state/journal"
kill -KILL "$KPLD_PID"
wait "$KPLD_PID" 2>/dev/null
start_kpld
# kpld answers once it has let go of what the journal says it held.
wait_for '"ok":true'
check "a process left held by a dead kpld runs again after restart" \
	sh -c "! awk '{ print \$3 }' /proc/$B/stat | grep -q T"
kill -TERM "$KPLD_PID"
