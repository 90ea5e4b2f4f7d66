#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# CVE metadata (issue 12.4) and what scanners read (issue 15.4): a patch
# carries the CVEs and advisory it fixes, signed; kpl-build refuses a
# malformed CVE id and the parser a tampered one; kpl info, kpl status
# and kpl store show them; kpld's OpenVEX document says "fixed" for a
# CVE only while every process mapping the library runs the patch, and
# flips as processes are patched, excluded or gone; its Prometheus
# textfile counts the same.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/kpld.sh"
KPLBUILD=${KPLBUILD:?}
PATCH=$IT_DIR/spin_cve.kpl
CVE=CVE-2026-10001
mkdir -p "$T/store" "$T/metrics" "$T/run"

# --- the patch file -------------------------------------------------------
"$KPL" info "$PATCH" >"$T/info.txt"
check "kpl info lists the CVEs" \
	grep -qx 'fixes:       CVE-2026-10001 CVE-2026-10002' "$T/info.txt"
check "and the advisory" grep -qx 'advisory:    KPLSA-2026-0001' "$T/info.txt"
check "and its URL" grep -qx \
	'  url:       https://kpatch-lite.example/advisories/KPLSA-2026-0001' \
	"$T/info.txt"
"$KPL" info --json "$PATCH" >"$T/info.json"
check "kpl info --json has them" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["cves"] == ["CVE-2026-10001", "CVE-2026-10002"], d["cves"]
assert d["advisory"]["id"] == "KPLSA-2026-0001"
assert d["advisory"]["text"] == "libspin: spin_f0 spins too little"
' "$T/info.json"

# kpl-build refuses what the parser would, naming it, and writes nothing.
expect_rc 2 "kpl-build pack refuses --cve CVE-26-1" \
	"$KPLBUILD" pack --lib "$IT_DIR/libspin.so.1" \
	--manifest tests/integration/fixtures/spin1.manifest \
	--cve CVE-26-1 -o "$T/bad.kpl" "$IT_DIR/spin_fix.o"
check "and says what is wrong" \
	grep -q "'CVE-26-1' is not a CVE id" "$T/cmd.err"
check "and writes no patch" [ ! -e "$T/bad.kpl" ]
sed 's/^cve .*/cve CVE-2026-10001 cve-2026-10002/' \
	tests/integration/fixtures/spin_cve.manifest >"$T/bad.manifest"
expect_rc 1 "kpl-build pack refuses a manifest's bad cve line" \
	"$KPLBUILD" pack --lib "$IT_DIR/libspin.so.1" \
	--manifest "$T/bad.manifest" -o "$T/bad.kpl" "$IT_DIR/spin_fix.o"
check "naming the file and line" \
	grep -q "bad.manifest:5: 'cve-2026-10002' is not a CVE id" "$T/cmd.err"
expect_rc 1 "kpl-build pack refuses a CVE given twice" \
	"$KPLBUILD" pack --lib "$IT_DIR/libspin.so.1" \
	--manifest tests/integration/fixtures/spin_cve.manifest \
	--cve CVE-2026-10002 -o "$T/bad.kpl" "$IT_DIR/spin_fix.o"
check "and writes no patch" [ ! -e "$T/bad.kpl" ]

# A CVE id changed in the file (the signature aside, the parser refuses it
# whole: a patch must not claim what it cannot state exactly).
cp "$PATCH" "$T/tampered.kpl"
python3 -c '
import sys
b = open(sys.argv[1], "rb").read()
assert b.count(b"CVE-2026-10002\0") == 1
open(sys.argv[1], "wb").write(b.replace(b"CVE-2026-10002\0", b"CVE-2026-1000\x1b\0"))
' "$T/tampered.kpl"
expect_rc 3 "kpl info refuses a patch whose CVE id is malformed" \
	"$KPL" info "$T/tampered.kpl"
check "and says which, escaped" \
	grep -q 'cve id "CVE-2026-1000\\x1b" is not CVE-YYYY-NNNN' "$T/cmd.err"

# --- kpld: VEX and metrics on real processes ------------------------------
# The metrics directory must be absolute: kpld says so and does not start.
printf 'metrics_dir = metrics\n' >"$T/bad.conf"
"$KPLD" --store "$T/store" --state "$T/state0" --socket "$T/bad.sock" \
	--keys "$TRUSTED" -c "$T/bad.conf" >"$T/bad.log" 2>&1 &
BADPID=$!
PIDS="$PIDS $BADPID"
wait "$BADPID"
rc=$?
check "kpld refuses a relative metrics_dir (exit $rc)" [ "$rc" -ne 0 ]
check "and names the line and the value" \
	grep -q "bad.conf:1: bad value 'metrics' for metrics_dir" "$T/bad.log"

# X runs a copy of kpl-spin that kpld is told never to patch: it keeps
# running the old code, as an excluded service would.
C=$(mktemp -d /tmp/kpl-cve.XXXXXX)
chmod 755 "$C"
cp "$IT_DIR/kpl-spin" "$IT_DIR/libspin.so.1" "$C/"
trap 'rm -rf "$C"; cleanup' EXIT INT TERM
printf 'never = exe=%s/kpl-spin\nrescan_ms = 200\nmetrics_dir = %s\nvex_file = %s\n' \
	"$C" "$T/metrics" "$T/run/vex.json" >"$T/kpld.conf"

start_spin a || exit 1
A=$SPIN_PID
"$C/kpl-spin" >"$T/x.out" 2>&1 &
X=$!
PIDS="$PIDS $X"
wait_ready "$T/x.out" "excluded kpl-spin" || exit 1
cp "$PATCH" "$T/store/"
start_kpld
wait_store '"id":"SPIN-CVE","version":1,"state":"available"'
check "kpl store shows the patch's CVEs" grep -q \
	'"cves":\["CVE-2026-10001","CVE-2026-10002"\],"advisory":{"id":"KPLSA-2026-0001"' \
	"$T/store.json"

expect_rc 2 "kpl vex refuses a malformed CVE id" "$KPL" vex 'CVE-2026-1 x'
check "saying so" grep -q "is not a CVE id" "$T/cmd.err"

# vex_status PID|lib: the status of CVE's statement about that process
# (or the library) in the document $T/vex.json
vex_status() {
	python3 - "$T/vex.json" "$1" "$CVE" <<'EOF'
import json, sys
doc, who, cve = json.load(open(sys.argv[1])), sys.argv[2], sys.argv[3]
for st in doc["statements"]:
    if st["vulnerability"]["name"] != cve:
        continue
    pid = st["products"][0]["@id"].rsplit(":", 1)[-1]
    if who == "lib" and st["products"][0]["@id"].startswith("pkg:generic/libspin.so.1?build-id="):
        print(st["status"])
    elif who != "lib" and st["products"][0]["@id"].startswith("urn:") and pid == who:
        print(st["status"])
EOF
}
# vex_is WHO STATUS: kpl vex says so
vex_is() {
	"$KPL" vex >"$T/vex.json" || return 1
	[ "$(vex_status "$1")" = "$2" ] && return 0
	echo "# $1: '$(vex_status "$1")', wanted $2"
	return 1
}

"$KPL" vex >"$T/vex.json"
check "the VEX document is OpenVEX" python3 - "$T/vex.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["@context"] == "https://openvex.dev/ns/v0.2.0"
assert d["@id"].startswith("urn:kpatch-lite:vex:")
for k in ("author", "timestamp", "version", "statements"):
    assert k in d, k
assert isinstance(d["version"], int) and d["version"] >= 1
names = {s["vulnerability"]["name"] for s in d["statements"]}
assert names == {"CVE-2026-10001", "CVE-2026-10002"}, names
for s in d["statements"]:
    assert s["status"] in ("fixed", "affected")
    assert all("@id" in p for p in s["products"])
    if s["status"] == "affected":
        assert "apply kpatch-lite patch SPIN-CVE" in s["action_statement"]
    if s["products"][0]["@id"].startswith("urn:"):
        sub = s["products"][0]["subcomponents"][0]["@id"]
        assert sub.startswith("pkg:generic/libspin.so.1?build-id="), sub
EOF
V1=$(sed -n 's/.*"version":\([0-9]*\),"tooling".*/\1/p' "$T/vex.json")
check "an available patch: the library is affected" vex_is lib affected
check "and so is each process" sh -c "[ '$(vex_status "$A")' = affected ] && [ '$(vex_status "$X")' = affected ]"
"$KPL" vex CVE-2026-10002 >"$T/vex2.json"
check "kpl vex CVE-ID gives only that CVE's statements" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert {s["vulnerability"]["name"] for s in d["statements"]} == {"CVE-2026-10002"}
' "$T/vex2.json"

# metric NAME{LABELS}: its value in the textfile
metric() {
	awk -v k="$1" '$1 == k { print $2 }' "$T/metrics/kpld.prom" 2>/dev/null
}
# wait_metric SERIES VALUE: until the textfile says so (20 s at most: a
# bound for a stuck kpld, not a timing check)
wait_metric() {
	_i=0
	while [ "$(metric "$1")" != "$2" ] && [ $_i -lt 200 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	[ "$(metric "$1")" = "$2" ] || { echo "# $1 is '$(metric "$1")', wanted $2"; return 1; }
}
COV='kpld_patch_processes{patch="SPIN-CVE",state="%s",coverage="%s"}'
# shellcheck disable=SC2059
cov() { printf "$COV" "$1" "$2"; }
check "metrics: one available patch" \
	wait_metric 'kpld_patches{state="available"}' 1
check "metrics: both processes uncovered" wait_metric "$(cov available uncovered)" 2
check "metrics: none covered" wait_metric "$(cov available covered)" 0

expect_rc 0 "kpl install SPIN-CVE" "$KPL" install SPIN-CVE
check "A has the patch" has_patch "$A" SPIN-CVE
check "X, excluded, does not" no_patch "$X" SPIN-CVE
check "VEX: A is fixed" vex_is "$A" fixed
check "VEX: X still runs the old code: affected" vex_is "$X" affected
check "VEX: so the library is affected" vex_is lib affected
V2=$(sed -n 's/.*"version":\([0-9]*\),"tooling".*/\1/p' "$T/vex.json")
check "the document's version went up by one ($V1 -> $V2)" \
	[ "$V2" -eq $((V1 + 1)) ]
"$KPL" vex >"$T/vex.json"
V3=$(sed -n 's/.*"version":\([0-9]*\),"tooling".*/\1/p' "$T/vex.json")
check "and not again while nothing changed ($V3)" [ "$V3" -eq "$V2" ]
check "metrics: one covered" wait_metric "$(cov installed covered)" 1
check "metrics: one uncovered" wait_metric "$(cov installed uncovered)" 1
check "metrics: the apply's pause is recorded" \
	awk '$1 == "kpld_last_apply_pause_seconds" && $2 > 0 { f = 1 } END { exit !f }' \
	"$T/metrics/kpld.prom"

"$KPL" status >"$T/status.txt"
check "kpl status shows what A's patch fixes" \
	grep -q "^ *fixes CVE-2026-10001 CVE-2026-10002$" "$T/status.txt"
"$KPL" status --json >"$T/status.json"
check "kpl status --json too" python3 - "$T/status.json" "$A" <<'EOF'
import json, sys
procs = {p["pid"]: p for p in json.load(open(sys.argv[1]))}
ps = [x for x in procs[int(sys.argv[2])]["patches"] if x["id"] == "SPIN-CVE"]
assert ps and ps[0]["cves"] == ["CVE-2026-10001", "CVE-2026-10002"], ps
EOF
"$KPL" status --cve "$CVE" >"$T/status-cve.txt"
check "kpl status --cve: A runs the fix" grep -q "^pid $A: 1 patch$" "$T/status-cve.txt"
check "and X still runs the old code" grep -qx \
	"$CVE: 1 process patched, 1 still runs the old code: $X" "$T/status-cve.txt"
"$KPL" status --cve CVE-2026-99999 >"$T/status-none.txt"
check "a CVE no patch fixes: no process shown" \
	sh -c "! grep -q '^pid ' '$T/status-none.txt'"
expect_rc 2 "kpl status --cve refuses a malformed id" "$KPL" status --cve CVE-x

# vex_file is the same document, rewritten after every rescan.
# file_vex_is WHO STATUS: until the file says so (20 s at most)
file_vex_is() {
	_i=0
	while [ $_i -lt 200 ]; do
		cp "$T/run/vex.json" "$T/vex.json" 2>/dev/null &&
			[ "$(vex_status "$1")" = "$2" ] && return 0
		sleep 0.1
		_i=$((_i + 1))
	done
	echo "# $1: '$(vex_status "$1")' in the file, wanted $2"
	return 1
}
check "vex_file: the library is affected" file_vex_is lib affected
check "vex_file: A is fixed" file_vex_is "$A" fixed

# The excluded process goes away: every process mapping it is patched.
kill -TERM "$X"
wait "$X" 2>/dev/null
check "VEX: the library is now fixed" vex_is lib fixed
check "vex_file follows: the library is fixed" file_vex_is lib fixed
check "metrics: none uncovered" wait_metric "$(cov installed uncovered)" 0

# A process started later is patched by kpld and stays fixed.
start_spin b || exit 1
B=$SPIN_PID
k=0
until has_patch "$B" SPIN-CVE || [ $k -gt 100 ]; do k=$((k + 1)); sleep 0.1; done
check "B, started later, gets the patch" has_patch "$B" SPIN-CVE
check "VEX: B is fixed" vex_is "$B" fixed
check "VEX: the library stays fixed" vex_is lib fixed
check "metrics: two covered" wait_metric "$(cov installed covered)" 2

# Reverted by the admin: the processes run the old code again.
expect_rc 0 "kpl uninstall SPIN-CVE" "$KPL" uninstall SPIN-CVE
check "VEX: A is affected again" vex_is "$A" affected
check "VEX: the library is affected again" vex_is lib affected
check "metrics: two uncovered" wait_metric "$(cov reverted uncovered)" 2
check "metrics: no quarantine" wait_metric kpld_quarantines_total 0

# A process whose executable's name is hostile: the document stays valid
# JSON and the name is percent-encoded in its purl.
EVIL=$(printf 'kpl-spin"\033[2J<x>')
cp "$IT_DIR/kpl-spin" "$C/$EVIL"
"$C/$EVIL" >"$T/evil.out" 2>&1 &
E=$!
PIDS="$PIDS $E"
wait_ready "$T/evil.out" "kpl-spin with a hostile name" || exit 1
"$KPL" vex >"$T/vex.json"
check "VEX: a hostile executable name is percent-encoded" python3 - \
	"$T/vex.json" "$E" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
p = [s["products"][0] for s in d["statements"]
     if s["products"][0]["@id"].endswith(":" + sys.argv[2])]
assert p, "no statement for the process"
assert p[0]["identifiers"]["purl"] == "pkg:generic/kpl-spin%22%1B%5B2J%3Cx%3E", p[0]
EOF
check "and its raw bytes are nowhere in the document" \
	sh -c "! grep -q \"\$(printf '\033')\" '$T/vex.json'"

# The textfile follows the exposition format: HELP and TYPE before each
# metric's samples, known types, well-formed names, labels and values,
# no series twice.
check "metrics file is in the Prometheus text format" awk '
/^# HELP / { help[$3] = 1; next }
/^# TYPE / {
	if (!($4 == "gauge" || $4 == "counter")) { print "# bad type: " $0; bad = 1 }
	type[$3] = 1; next
}
/^#/ { next }
{
	if ($0 !~ /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="[^"\\]*"(,[a-zA-Z_][a-zA-Z0-9_]*="[^"\\]*")*\})? [-+]?[0-9.]+([eE][-+]?[0-9]+)?$/) {
		print "# bad line: " $0; bad = 1
	}
	name = $1; sub(/\{.*/, "", name)
	if (!(name in help) || !(name in type)) { print "# no HELP/TYPE: " name; bad = 1 }
	if ($1 in seen) { print "# twice: " $1; bad = 1 }
	seen[$1] = 1; n++
}
END { exit bad || n < 8 }' "$T/metrics/kpld.prom"
stop_kpld
check "no temporary file left beside it" \
	sh -c "[ \"\$(ls -A '$T/metrics')\" = kpld.prom ]"
check "nor beside vex_file" sh -c "[ \"\$(ls -A '$T/run')\" = vex.json ]"
