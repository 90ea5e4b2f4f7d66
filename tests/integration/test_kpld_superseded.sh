#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The library on disk is replaced by an update (a new build-id): kpld
# marks the patch superseded, the old process keeps its patch, and a
# process started from the new file runs it unpatched, needing none.
. "$(dirname "$0")/lib.sh"
MW_SRC=tests/targets
PATCHES=${MW_PATCHES:?}
KPLD=${KPLD:?}
mkdir -p "$T/app" "$T/store"
cp -P "${MW_BIN:?}/miniweb-server" "${MW_BIN:?}/libminiweb.so" \
	"${MW_BIN:?}/libminiweb.so.1" "${MW_BIN:?}/libmwcss.so" \
	"${MW_BIN:?}/libmwcss.so.1" "$T/app/"
MW_BIN=$T/app
. "$(dirname "$0")/mw.sh"

export KPLD_SOCKET=$T/kpld.sock
"$KPLD" --store "$T/store" --state "$T/state" --socket "$KPLD_SOCKET" \
	--keys "$TRUSTED" --auto-install -c /dev/null >"$T/kpld.log" 2>&1 &
PIDS="$PIDS $!"
mw_start 2 old || exit 1
OLD=$MW_PID
cp "$PATCHES/MW-2026-0001.kpl" "$T/store/"
k=0
until "$KPL" store 2>/dev/null | grep -q '"state":"installed".*"active":1'; do
	k=$((k + 1)); [ $k -gt 100 ] && break; sleep 0.1
done
check "installed in the running server" grep -q "kpl:MW-2026-0001" "/proc/$OLD/maps"

# The update: a new file (new inode) with another build-id.
objcopy -R .note.gnu.build-id "$T/app/libminiweb.so" "$T/app/new.so"
mv "$T/app/new.so" "$T/app/libminiweb.so"
k=0
until "$KPL" store >"$T/store.json" 2>/dev/null &&
	grep -q '"state":"superseded"' "$T/store.json"; do
	k=$((k + 1)); [ $k -gt 100 ] && break; sleep 0.1
done
check "kpld marks the patch superseded" grep -q '"state":"superseded"' "$T/store.json"
check "status says why" grep -q 'replaced on disk' "$T/store.json"
check "the old process keeps its patch" grep -q "kpl:MW-2026-0001" "/proc/$OLD/maps"
mw_start 2 new || exit 1
NEW=$MW_PID
sleep 1.5
check "a process started from the new file is left alone" \
	sh -c "! grep -q 'kpl:' /proc/$NEW/maps"
