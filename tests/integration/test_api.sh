#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The C API as a test harness uses it: kpl-harness links only libkpl.so
# and the public headers, and patches a live process with it.
. "$(dirname "$0")/lib.sh"

start_spin api --threads 4 || exit 1
P=$SPIN_PID
maps "$P" >"$T/maps.0"
"$IT_DIR/kpl-harness" "$P" "$IT_DIR/spin10.kpl" "$TRUSTED" >"$T/h.out" 2>&1
rc=$?
sed 's/^/#   /' "$T/h.out"
check "kpl-harness: every API step as expected" [ "$rc" -eq 0 ]
check "kpl-harness: open, refuse unverified, verify (OpenSSL's names left), check, apply, status, mappings, repair, revert: 15 steps" \
	[ "$(grep -c '^ok ' "$T/h.out")" -eq 15 ]
maps "$P" >"$T/maps.1"
check "mappings back to the pre-patch set" cmp -s "$T/maps.0" "$T/maps.1"
r=$(report api "$P")
check "original code after the harness reverted: f0=0" [ "$(field "$r" f0)" = 0 ]
