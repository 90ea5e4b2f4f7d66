#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# kpl apply --all: 50 miniweb-server processes, 5 of them under load,
# patched at once with no failed request; --atomic rolls every one back
# when one process fails (it already has the patch); revert --all.
. "$(dirname "$0")/lib.sh"
MW_BIN=${MW_BIN:?}
MW_SRC=tests/targets
PATCHES=${MW_PATCHES:?}
. "$(dirname "$0")/mw.sh"

N=50
i=0
all=""
while [ $i -lt $N ]; do
	mw_start 2 "s$i" || exit 1
	all="$all $MW_PID"
	[ $i -eq 0 ] && URL0=$MW_URL
	[ $i -eq 25 ] && P25=$MW_PID
	i=$((i + 1))
done
check "$N servers running" [ "$(echo $all | wc -w)" -eq $N ]
MW_URL=$URL0
wrk_start 8
ID=MW-2026-0001
expect_rc 0 "apply --all patches every server" \
	"$KPL" apply --all --json --keys "$TRUSTED" "$PATCHES/$ID.kpl"
# Other processes on the machine may map the same library: count ours.
ours_with() { n_=0; for p in $all; do grep -q "kpl:$1" "/proc/$p/maps" && n_=$((n_ + 1)); done; echo $n_; }
check "report: every process done, none failed" \
	python3 -c "import json,sys; d=json.load(open('$T/cmd.out')); sys.exit(0 if d['ok'] and d['done']==d['processes']>=$N else 1)"
check "all $N of our servers have the patch" [ "$(ours_with $ID)" -eq $N ]
mw_exploit $ID
check "exploit rejected on a patched server ($MW_CODE)" [ "$MW_VERDICT" = rejected ]
expect_rc 0 "revert --all" "$KPL" revert --all "$ID"
check "no server keeps the patch" [ "$(ours_with $ID)" -eq 0 ]
wait "$WRK_PID"
set -- $(wrk_result)
check "load during fleet apply and revert: $1 requests, $2 failed" \
	[ "$1" -gt 0 ] && [ "$2" = 0 ]

# --atomic: one server already has the patch, so it fails there.
expect_rc 0 "pre-apply to one server" \
	"$KPL" apply --keys "$TRUSTED" -p "$P25" "$PATCHES/$ID.kpl"
expect_rc 6 "apply --all --atomic fails as a whole" \
	"$KPL" apply --all --atomic --json --keys "$TRUSTED" "$PATCHES/$ID.kpl"
check "report: the others were rolled back, none left done" \
	python3 -c "import json,sys; d=json.load(open('$T/cmd.out')); sys.exit(0 if d['rolled_back']>=$N-1 and d['done']==0 else 1)"
have=$(ours_with $ID)
check "only the pre-patched server has the patch ($have)" \
	[ "$have" -eq 1 ] && grep -q "kpl:$ID" "/proc/$P25/maps"
expect_rc 6 "best effort (no --atomic) still exits non-zero on a failure" \
	"$KPL" apply --all --keys "$TRUSTED" "$PATCHES/$ID.kpl"
check "best effort patched the rest: all $N of ours" [ "$(ours_with $ID)" -eq $N ]
check "best effort report names the failed pid and why" \
	grep -q "pid $P25 .*already applied" "$T/cmd.out"
expect_rc 0 "revert --all" "$KPL" revert --all "$ID"
for p in $all; do alive "$p" || { notok "server $p died"; break; }; done
ok "every server alive"
