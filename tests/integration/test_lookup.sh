#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# A patch's references bind where the dynamic linker binds the patched
# library's own: to a preloaded interposer (rand), to the executable
# first in the global scope (lk_hook), to the version the library uses
# (dep_ver@DEP_2, though the preload and a library mapped lower define
# other versions), and to a non-default version when the patch names it
# (dep_ver@DEP_1); from a library dlopen'ed RTLD_LOCAL, to the global
# scope first and its own dependencies after.  A forged or looping link
# map is not trusted.  Fixtures:
# fixtures/lookup*.c.
. "$(dirname "$0")/lib.sh"

# start_lookup NAME [args]: start kpl-lookup with the shim preloaded
start_lookup() {
	name=$1
	shift
	LD_PRELOAD=$IT_DIR/libkpl-shim.so "$IT_DIR/kpl-lookup" "$@" \
		>"$T/$name.out" 2>&1 &
	LK_PID=$!
	PIDS="$PIDS $LK_PID"
	wait_ready "$T/$name.out" kpl-lookup
}

# lk_report NAME PID: ask kpl-lookup for its report line, print it
lk_report() { report "$1" "$2" own_rand; }

start_lookup a || exit 1
P=$LK_PID
maps "$P" >"$T/maps.0"
r=$(lk_report a "$P")
echo "# before: $r"
check "the library's own rand() is the shim's" [ "$(field "$r" own_rand)" -lt 0 ]
check "the library's own lk_hook() is the executable's" \
	[ "$(field "$r" own_hook)" = 300 ]
check "the library's own dep_ver() is dep_ver@@DEP_2" \
	[ "$(field "$r" own_dep)" = 2 ]
check "unpatched lk_p_* return 0" \
	[ "$(field "$r" p_rand)/$(field "$r" p_hook)/$(field "$r" p_dep)" = 0/0/0 ]

expect_rc 0 "apply LOOKUP" "$KPL" apply --keys "$TRUSTED" -p "$P" \
	"$IT_DIR/lookup.kpl"
r=$(lk_report a "$P")
echo "# LOOKUP: $r"
check "the patch's rand() is the preloaded shim's" \
	[ "$(field "$r" p_rand)" -lt 0 ]
check "the patch's lk_hook() is the executable's, as the library's" \
	[ "$(field "$r" p_hook)" = "$(field "$r" own_hook)" ]
check "the patch's dep_ver() is dep_ver@@DEP_2, as the library's" \
	[ "$(field "$r" p_dep)" = "$(field "$r" own_dep)" ]

expect_rc 0 "apply LOOKUP-OLD, which names dep_ver@DEP_1" \
	"$KPL" apply --keys "$TRUSTED" -p "$P" "$IT_DIR/lookup_old.kpl"
r=$(lk_report a "$P")
check "the patch's dep_ver@DEP_1 is the hidden old version" \
	[ "$(field "$r" p_old)" = 1 ]

expect_rc 0 "revert LOOKUP-OLD" "$KPL" revert -p "$P" LOOKUP-OLD
expect_rc 0 "revert LOOKUP" "$KPL" revert -p "$P" LOOKUP
r=$(lk_report a "$P")
check "original code runs after revert" \
	[ "$(field "$r" p_rand)/$(field "$r" p_dep)/$(field "$r" p_old)" = 0/0/0 ]
maps "$P" >"$T/maps.1"
check "mappings back to the pre-patch set" cmp -s "$T/maps.0" "$T/maps.1"

# A library dlopen'ed RTLD_LOCAL: the global scope first, then its own.
start_lookup p --plugin || exit 1
Q=$LK_PID
r=$(lk_report p "$Q")
check "the plugin's own rand() is the shim's, not its dependency's" \
	[ "$(field "$r" plug_rand)" -lt 0 ]
expect_rc 0 "apply PLUG to the dlopen'ed plugin" \
	"$KPL" apply --keys "$TRUSTED" -p "$Q" "$IT_DIR/lookup_plug.kpl"
r=$(lk_report p "$Q")
echo "# PLUG: $r"
check "the plugin patch's rand() is the shim's, as the plugin's" \
	[ "$(field "$r" plug_p_rand)" -lt 0 ]
check "the plugin patch's plugdep_val() is found in the plugin's own scope" \
	[ "$(field "$r" plug_p_dep)" = 7 ]
expect_rc 0 "revert PLUG" "$KPL" revert -p "$Q" PLUG
check "plugin target alive" alive "$Q"

# A process that points its r_debug at a forged entry.
start_lookup f --forge-link-map || exit 1
F=$LK_PID
maps "$F" >"$T/maps.f0"
expect_rc 4 "forged link map: a patch whose rand() two objects define is refused" \
	"$KPL" apply --keys "$TRUSTED" -p "$F" "$IT_DIR/lookup.kpl"
check "the error says the link map is unusable" \
	grep -q 'cannot use the link map.*no mapped file matches an entry' "$T/cmd.err"
check "the error names the symbol it cannot bind" \
	grep -q "symbol 'rand' is defined by 2 objects" "$T/cmd.err"
maps "$F" >"$T/maps.f1"
check "the refusal changed no mapping" cmp -s "$T/maps.f0" "$T/maps.f1"
r=$(lk_report f "$F")
check "the refusal changed no code" [ "$(field "$r" p_rand)" = 0 ]
expect_rc 0 "forged link map: a patch whose symbol one object defines applies" \
	"$KPL" apply --keys "$TRUSTED" -p "$F" "$IT_DIR/lookup_old.kpl"
r=$(lk_report f "$F")
check "and binds it: dep_ver@DEP_1" [ "$(field "$r" p_old)" = 1 ]
expect_rc 0 "revert it" "$KPL" revert -p "$F" LOOKUP-OLD

start_lookup l --loop-link-map || exit 1
L=$LK_PID
expect_rc 4 "a link map that loops is refused" \
	"$KPL" apply --keys "$TRUSTED" -p "$L" "$IT_DIR/lookup.kpl"
check "the error says its entries do not link back" \
	grep -q 'cannot use the link map.*entries do not link back' "$T/cmd.err"
check "looping target alive" alive "$L"
check "targets alive" alive "$P"
check "forged target alive" alive "$F"
