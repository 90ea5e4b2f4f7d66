#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# A process in its own mount namespace (issue 15.6), as in a container:
# it maps its library by a path that names no file in kpld's namespace
# (a tmpfs mounted only inside).  kpld must still
#   - patch it at install;
#   - not take that foreign path for its own and mark the patch
#     superseded because "the file is gone" (it did: the superseded
#     check read the path in kpld's namespace);
#   - hold a new process started in that namespace at the library's
#     first code and patch it at once (the uprobe went on a path that
#     does not exist here, so nothing held it until the next rescan).
# rescan_ms is a minute: only the hold can patch the new process in time.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/kpld.sh"
PATCH=$IT_DIR/spin1.kpl
ID=SPIN-1

C=$(mktemp -d /tmp/kpl-ctr.XXXXXX)
mkdir "$C/lib"
trap 'cleanup; rm -rf "$C"' EXIT INT TERM

# The "container": a private mount of $C/lib holding kpl-spin and its
# library, seen by nobody else.
unshare -m --propagation private sh -c "mount -t tmpfs kpl-ctr '$C/lib' &&
	cp '$IT_DIR/kpl-spin' '$IT_DIR/libspin.so.1' '$C/lib/' &&
	exec '$C/lib/kpl-spin'" >"$T/a.out" 2>&1 &
A=$!
PIDS="$PIDS $A"
wait_ready "$T/a.out" "the container's kpl-spin" || exit 1
check "the container's library is not visible to kpld" \
	[ ! -e "$C/lib/libspin.so.1" ]
check "the container's process maps it by that path" \
	grep -q "$C/lib/libspin.so.1" "/proc/$A/maps"

mkdir -p "$T/store"
printf 'rescan_ms = 60000\n' >"$T/kpld.conf"
start_kpld
cp "$PATCH" "$T/store/"
wait_store "\"id\":\"$ID\"" >/dev/null
"$KPL" install "$ID" >"$T/install.out" 2>&1
check "kpl install succeeds" grep -q '"ok":true' "$T/install.out"
check "the container's process is patched" has_patch "$A" "$ID"

"$KPL" rescan >/dev/null 2>&1
"$KPL" store >"$T/store.json"
check "the patch stays installed after a rescan (not superseded)" \
	grep -q "\"id\":\"$ID\",\"version\":[0-9]*,\"state\":\"installed\"" "$T/store.json"
check "kpld holds the container's file (through map_files)" \
	grep -q "holding new processes of /proc/$A/map_files/" "$T/kpld.log"

nsenter -t "$A" -m "$C/lib/kpl-spin" >"$T/b.out" 2>&1 &
B=$!
PIDS="$PIDS $B"
wait_ready "$T/b.out" "a new kpl-spin in the container" || exit 1
check "a new process in the container is patched before its first code" \
	has_patch "$B" "$ID"
check "kpld says it held it" grep -q "pid $B held at" "$T/kpld.log"
stop_kpld
