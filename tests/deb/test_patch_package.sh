#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Patches shipped as Debian packages (issue 15.2), with the installed
# kpatch-lite package (tests/deb/check-deb.sh runs this while it is
# installed; KPL=/usr/bin/kpl, KPLD=/usr/sbin/kpld):
#   - kpl-patch-deb turns a signed patch into a package and refuses what
#     is not a signed patch;
#   - installing the package installs the patch in a running process
#     through kpld (kpatch-lite's dpkg trigger, kpl-patch-sync), removing
#     it takes the patch out everywhere and out of the store;
#   - upgrading the patched library's own package marks the patch
#     superseded (the patch package's trigger on the library's file),
#     and the process already running keeps it;
#   - a patch an admin dropped into the store is never deleted.
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/../integration/kpld.sh"
PATCH=$IT_DIR/spin1.kpl
ID=SPIN-1
LIBPKG=kpl-test-libspin
PATCHPKG=kpl-patch-spin-1
LIBDIR=/usr/lib/kpl-test-spin

for p in $LIBPKG $PATCHPKG; do
	if dpkg-query -W "$p" >/dev/null 2>&1; then
		echo "# $p is installed on this machine: purge it first"
		exit 1
	fi
done
trap 'dpkg --purge $PATCHPKG $LIBPKG >/dev/null 2>&1; cleanup' EXIT INT TERM

mkdir -p "$T/store" "$T/dist"
cat >"$T/kpld.conf" <<EOF
store = $T/store
state = $KPLD_STATE
keys = $TRUSTED
socket = $KPLD_SOCKET
rescan_ms = 60000
EOF
# kpl-patch-sync runs inside dpkg and finds kpld's store through this.
export KPL_CONF="$T/kpld.conf"

# libpkg VERSION: a package that installs kpl-spin and its library in
# $LIBDIR; version 2's library is another build (another build-id)
libpkg() {
	r=$T/lib$1
	mkdir -p "$r/DEBIAN" "$r$LIBDIR"
	cp "$IT_DIR/kpl-spin" "$IT_DIR/libspin.so.1" "$r$LIBDIR/"
	if [ "$1" = 2 ]; then
		objcopy -O binary --only-section=.note.gnu.build-id \
			"$IT_DIR/libspin.so.1" "$T/note"
		printf '\252' | dd of="$T/note" bs=1 seek=$(($(wc -c <"$T/note") - 1)) \
			conv=notrunc 2>/dev/null
		objcopy --update-section .note.gnu.build-id="$T/note" \
			"$r$LIBDIR/libspin.so.1"
	fi
	printf '%s\n' "Package: $LIBPKG" "Version: $1" "Architecture: amd64" \
		"Maintainer: kpatch-lite tests <root@localhost>" \
		"Description: kpatch-lite test library" \
		" The library the patch package test patches." >"$r/DEBIAN/control"
	dpkg-deb --root-owner-group --build "$r" "$T/dist/lib$1.deb" >/dev/null
}
libpkg 1 && libpkg 2 || exit 1
check "the second build of the library has another build-id" \
	sh -c "! cmp -s '$T/lib1$LIBDIR/libspin.so.1' '$T/lib2$LIBDIR/libspin.so.1'"

# --- kpl-patch-deb -------------------------------------------------------
kpl-patch-deb -o "$T/dist" /etc/passwd >"$T/bad.out" 2>&1
rc=$?
check "kpl-patch-deb refuses a file that is not a patch (exit $rc)" \
	sh -c "[ $rc -eq 2 ] && grep -q '/etc/passwd is not a patch' '$T/bad.out'"
kpl-patch-deb -o "$T/dist" -n Bad_Name "$PATCH" >"$T/bad.out" 2>&1
rc=$?
check "and a name that is not a package name (exit $rc)" \
	sh -c "[ $rc -eq 2 ] && grep -q 'not a Debian package name' '$T/bad.out'"
mkdir "$T/nokeys"
kpl-patch-deb -o "$T/dist" -k "$T/nokeys" "$PATCH" >"$T/bad.out" 2>&1
rc=$?
check "and, with --keys, a patch that does not verify with them (exit $rc)" \
	sh -c "[ $rc -eq 2 ] && grep -q 'does not verify with the keys' '$T/bad.out'"
DEB=$(kpl-patch-deb -o "$T/dist" -k "$TRUSTED" -l "$LIBDIR/libspin.so.1" "$PATCH" 2>"$T/deb.err")
check "kpl-patch-deb builds $PATCHPKG" [ "$DEB" = "$T/dist/${PATCHPKG}_1_amd64.deb" ]
check "the package ships the patch where the trigger looks" \
	sh -c "dpkg-deb -c '$DEB' | grep -q ' ./usr/lib/kpatch-lite/patches/$ID.kpl\$'"
check "and watches the library's file" \
	sh -c "dpkg-deb -I '$DEB' triggers | grep -qx 'interest-noawait $LIBDIR/libspin.so.1'"

# --- install, remove ------------------------------------------------------
cp "$IT_DIR/spin10.kpl" "$T/store/admin.kpl"
dpkg -i "$T/dist/lib1.deb" >"$T/dpkg.log" 2>&1 || { cat "$T/dpkg.log"; exit 1; }
start_kpld
IT_DIR=$LIBDIR start_spin spin || exit 1
P=$SPIN_PID

dpkg -i "$DEB" >"$T/dpkg.log" 2>&1
rc=$?
sed 's/^/# dpkg -i: /' "$T/dpkg.log"
check "dpkg -i installs the patch package (exit $rc)" [ $rc -eq 0 ]
check "its trigger copied the patch into kpld's store" cmp -s "$PATCH" "$T/store/$ID.kpl"
check "and kpld installed it" wait_store "\"id\":\"$ID\",\"version\":[0-9]*,\"state\":\"installed\"" 50
check "in the running process" has_patch "$P" "$ID"

dpkg -r "$PATCHPKG" >"$T/dpkg.log" 2>&1
rc=$?
sed 's/^/# dpkg -r: /' "$T/dpkg.log"
check "dpkg -r removes the patch package (exit $rc)" [ $rc -eq 0 ]
check "the patch is out of the running process" no_patch "$P" "$ID"
check "and out of the store" [ ! -e "$T/store/$ID.kpl" ]
check "a patch the admin put in the store stays" [ -f "$T/store/admin.kpl" ]

# --- the library's package is upgraded ------------------------------------
dpkg -i "$DEB" >"$T/dpkg.log" 2>&1
rc=$?
check "installed again (exit $rc)" sh -c "[ $rc -eq 0 ] && $KPL status -p $P | grep -q '$ID .*applied'"
dpkg -i "$T/dist/lib2.deb" >"$T/dpkg.log" 2>&1
rc=$?
sed 's/^/# dpkg -i (library 2): /' "$T/dpkg.log"
check "the library's package upgrades (exit $rc)" [ $rc -eq 0 ]
# rescan_ms is a minute: only the trigger's `kpl rescan` can do this.
check "its trigger made kpld mark the patch superseded" \
	wait_store "\"id\":\"$ID\",\"version\":[0-9]*,\"state\":\"superseded\"" 400
check "the process already running keeps the patch" has_patch "$P" "$ID"

dpkg -r "$PATCHPKG" >"$T/dpkg.log" 2>&1
rc=$?
sed 's/^/# dpkg -r: /' "$T/dpkg.log"
check "removing the package takes a superseded patch out too (exit $rc)" \
	sh -c "[ $rc -eq 0 ] && ! $KPL status -p $P | grep -q '$ID .*applied'"
check "the store is as the admin left it" \
	sh -c "[ \"\$(ls '$T/store')\" = admin.kpl ]"
stop_kpld
