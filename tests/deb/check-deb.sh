#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# shellcheck disable=SC2317 # functions called through check and trap
#
# The Debian packages, end to end (make check-deb, as root, from the top
# of the tree):
#   1. dpkg-buildpackage -b in a copy of the tracked files (the tree is
#      never written to), lintian with no error, the packages' contents;
#   2. dpkg -i on this machine: the installed kpl applies and reverts a
#      patch in a live process (tests/integration/test_apply_revert.sh
#      with KPL=/usr/bin/kpl), a program builds against the installed
#      libkpl through pkg-config, a patch package made by kpl-patch-deb
#      installs and removes a patch through the dpkg triggers and kpld
#      (tests/deb/test_patch_package.sh), and DKMS builds the module
#      for $KVER;
#   3. dpkg --purge: the machine is left as it was found;
#   4. the DKMS-built kpatch_lite.ko boots in the VM and passes the
#      engine's suite with the kmod backend (make check-kmod-it KPL_KO=).
# Phase 2 and 3 hold $KPL_LOCK (flock) when it is set, so that nothing
# else patches live processes meanwhile.  TAP-like output, then
# "check-deb: N passed, M failed"; exit status 1 if anything failed.
#
# Needs: KVER (the kernel whose headers DKMS builds against), BUILD, the
# integration fixtures and test keys in $BUILD (deb.mk makes them).

set -u
: "${KVER:?}" "${BUILD:?}"
PKGS="kpatch-lite libkpl0 libkpl-dev kpatch-lite-dkms"
top=$(pwd)
w=$(mktemp -d /tmp/kpl-deb.XXXXXX)
installed=0
mok=0
[ -e /var/lib/dkms/mok.key ] || mok=1

TAP_NAME=check-deb
# shellcheck source=tests/tap.sh
. tests/tap.sh
purge() {
	# shellcheck disable=SC2086
	dpkg --purge $PKGS >"$w/purge.log" 2>&1
	rc=$?
	installed=0
	return $rc
}
cleanup() {
	[ "$installed" = 1 ] && purge
	# DKMS makes a signing key the first time it signs a module.
	[ "$mok" = 1 ] && rm -f /var/lib/dkms/mok.key /var/lib/dkms/mok.pub
	rm -rf "$w"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

if [ "$(id -u)" != 0 ]; then
	echo "check-deb: needs root (it installs the packages with dpkg -i)" >&2
	exit 1
fi
for p in $PKGS; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)
	case "$st" in
	"" | *not-installed) ;;
	*)
		echo "check-deb: $p is on this machine ($st): purge it first" >&2
		exit 1 ;;
	esac
done
if [ -e /usr/src/kpatch-lite-"$(dpkg-parsechangelog -S Version)" ]; then
	echo "check-deb: /usr/src/kpatch-lite-* exists: remove it first" >&2
	exit 1
fi

# --- 1. build from a copy of the tracked files ---------------------------
mkdir "$w/src"
git ls-files -z | tar --null -T - -cf - | tar -xf - -C "$w/src" || {
	echo "check-deb: cannot copy the tree" >&2
	exit 1
}
before=$(git status --porcelain --ignored)
(cd "$w/src" && DEB_BUILD_OPTIONS="parallel=2 ${DEB_BUILD_OPTIONS:-}" \
	dpkg-buildpackage -b -uc -us) >"$w/build.log" 2>&1
rc=$?
[ $rc -eq 0 ] || sed 's/^/# /' "$w/build.log" | tail -n 40
check "dpkg-buildpackage -b -uc -us builds" [ $rc -eq 0 ]
check "the build left the source tree as it was" \
	[ "$(git status --porcelain --ignored)" = "$before" ]
check "the build ran check-install, not make check" \
	sh -c "grep -q '^check-install: 1 passed' '$w/build.log' &&
		! grep -Eq 'make check: all|vm-run|tests/integration/run.sh' '$w/build.log'"

# What dh_auto_test runs, with and without nocheck (make -n: printed).
t_on=$(cd "$w/src" && DEB_BUILD_OPTIONS='' make -s -n -f debian/rules override_dh_auto_test)
t_off=$(cd "$w/src" && DEB_BUILD_OPTIONS=nocheck make -s -n -f debian/rules override_dh_auto_test)
check "the package's test is check-install" \
	sh -c "printf '%s\n' \"\$1\" | grep -q ' check-install\$'" - "$t_on"
check "DEB_BUILD_OPTIONS=nocheck skips it" \
	sh -c "! printf '%s\n' \"\$1\" | grep -q check-install" - "$t_off"

VER=$(cd "$w/src" && dpkg-parsechangelog -S Version)
deb() { echo "$w/${1}_${VER}_${2:-amd64}.deb"; }
for p in kpatch-lite libkpl0 libkpl-dev; do
	check "$p $VER built" [ -f "$(deb $p)" ]
done
check "kpatch-lite-dkms $VER built" [ -f "$(deb kpatch-lite-dkms all)" ]
[ "$failed" -eq 0 ] || finish
check "debian/changelog and kpl.pc carry one version" \
	[ "$(sed -n 's/^KPL_VERSION ?= //p' packaging/install.mk)" = "$VER" ]
check "debian/libkpl0.symbols lists every exported symbol" \
	sh -c "! grep -q 'dpkg-gensymbols: warning' '$w/build.log'"

lintian --fail-on error "$w"/kpatch-lite_"$VER"_amd64.changes >"$w/lintian.log" 2>&1
rc=$?
sed 's/^/# lintian: /' "$w/lintian.log"
check "lintian reports no error" [ $rc -eq 0 ]

has() { # has PACKAGE ARCH PATH...: the package ships every PATH
	_d=$(deb "$1" "$2")
	shift 2
	dpkg-deb -c "$_d" | awk '{ print $6 }' | sed 's|^\.||; s|/$||' >"$w/list"
	for _p in "$@"; do
		grep -qx "$_p" "$w/list" || { echo "# missing $_p"; return 1; }
	done
}
MA=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
check "kpatch-lite ships the tools, kpld, its unit and the man pages" \
	has kpatch-lite amd64 /usr/bin/kpl /usr/bin/kpl-build /usr/sbin/kpld \
	/usr/bin/kpl-patch-deb /usr/lib/kpatch-lite/kpl-patch-sync \
	/usr/lib/kpatch-lite/patches /usr/share/man/man1/kpl-patch-deb.1.gz \
	/lib/systemd/system/kpld.service /etc/kpatch-lite/kpld.conf \
	/etc/kpatch-lite/keys /usr/share/man/man8/kpl.8.gz \
	/usr/share/man/man8/kpld.8.gz /usr/share/man/man1/kpl-build.1.gz
check "kpatch-lite's trigger watches the patch packages' directory" \
	sh -c "dpkg-deb -I '$(deb kpatch-lite)' triggers | grep -qx 'interest-noawait /usr/lib/kpatch-lite/patches'"
check "kpld.conf is a conffile" \
	sh -c "dpkg-deb -I '$(deb kpatch-lite)' conffiles | grep -qx /etc/kpatch-lite/kpld.conf"
check "libkpl0 ships the shared library" \
	has libkpl0 amd64 /usr/lib/"$MA"/libkpl.so.0
check "libkpl0 has a symbols file" \
	sh -c "dpkg-deb -I '$(deb libkpl0)' symbols | grep -q '^libkpl.so.0 libkpl0 #MINVER#'"
check "libkpl-dev ships the headers, the .so link, the .a and kpl.pc" \
	has libkpl-dev amd64 /usr/include/kpl/kpl.h /usr/include/kpl/target.h \
	/usr/lib/"$MA"/libkpl.so /usr/lib/"$MA"/libkpl.a \
	/usr/lib/"$MA"/pkgconfig/kpl.pc
check "kpatch-lite-dkms ships the module source and dkms.conf" \
	has kpatch-lite-dkms all /usr/src/kpatch-lite-"$VER"/dkms.conf \
	/usr/src/kpatch-lite-"$VER"/Kbuild \
	/usr/src/kpatch-lite-"$VER"/kpatch-lite/main.c \
	/usr/src/kpatch-lite-"$VER"/include/uapi/linux/kpatch_lite.h

# The library exports its API and nothing else.
mkdir "$w/x"
dpkg-deb -x "$(deb libkpl0)" "$w/x"
nm -D --defined-only "$w/x/usr/lib/$MA/libkpl.so.0" | awk '{ print $3 }' \
	>"$w/exports"
check "libkpl.so.0 exports kpl_ symbols" grep -q '^kpl_target__apply$' "$w/exports"
check "libkpl.so.0 exports only kpl_ symbols" \
	sh -c "! grep -v '^kpl_' '$w/exports'"
[ "$failed" -eq 0 ] || finish

# --- 2. install, use, purge ----------------------------------------------
installed_phase() {
	installed=1
	dpkg -i "$(deb libkpl0)" "$(deb kpatch-lite)" "$(deb libkpl-dev)" \
		"$(deb kpatch-lite-dkms all)" >"$w/install.log" 2>&1
	rc=$?
	sed 's/^/# dpkg -i: /' "$w/install.log" | grep -v '^# dpkg -i: (Reading' | tail -n 30
	check "dpkg -i installs the four packages" [ $rc -eq 0 ]
	check "/usr/bin/kpl belongs to kpatch-lite" \
		sh -c "dpkg -S /usr/bin/kpl | grep -q '^kpatch-lite: '"

	# The engine's apply/revert test, every kpl call the installed one.
	KPL=/usr/bin/kpl IT_DIR=$top/$BUILD/it KPL_KEYS=$top/$BUILD/keys \
		sh tests/integration/run.sh tests/integration/test_apply_revert.sh \
		>"$w/it.log" 2>&1
	rc=$?
	sed 's/^/# /' "$w/it.log"
	check "the installed kpl applies and reverts a patch in a live process" \
		sh -c "[ $rc -eq 0 ] && grep -q '^ok .* - apply 10 functions' '$w/it.log' &&
			grep -q '^ok .* - original code runs after revert' '$w/it.log'"

	# Patch packages: kpl-patch-deb, the dpkg triggers, kpld.
	KPL=/usr/bin/kpl KPLD=/usr/sbin/kpld IT_DIR=$top/$BUILD/it \
		KPL_KEYS=$top/$BUILD/keys sh tests/integration/run.sh \
		tests/deb/test_patch_package.sh >"$w/pp.log" 2>&1
	rc=$?
	sed 's/^/# /' "$w/pp.log"
	check "a patch package installs and removes a patch on a live process" \
		sh -c "[ $rc -eq 0 ] && grep -q '^integration: [1-9][0-9]* passed, 0 failed' '$w/pp.log'"

	printf '%s\n' '#include <kpl/kpl.h>' '#include <stdio.h>' \
		'int main(void) { puts(kpl_strerror(-KPL_E_VERSION)); return 0; }' >"$w/pc.c"
	# shellcheck disable=SC2046
	cc -o "$w/pc" "$w/pc.c" $(pkg-config --cflags --libs kpl) 2>&1 | sed 's/^/# /'
	check "a program builds against the installed libkpl with pkg-config" \
		sh -c "'$w/pc' | grep -q . &&
			ldd '$w/pc' | grep -Eq '=> (/usr)?/lib/$MA/libkpl.so.0 '"

	# The postinst added the source to DKMS (and built it for the newest
	# kernel with headers); build it for $KVER here, as an admin would.
	check "the postinst added kpatch-lite $VER to DKMS" \
		sh -c "dkms status -m kpatch-lite -v '$VER' | grep -q ."
	dkms build --force -m kpatch-lite -v "$VER" -k "$KVER" >"$w/dkms.log" 2>&1
	rc=$?
	sed 's/^/# dkms: /' "$w/dkms.log" | tail -n 20
	ko=/var/lib/dkms/kpatch-lite/$VER/$KVER/x86_64/module/kpatch_lite.ko
	check "dkms build -k $KVER builds kpatch_lite.ko" sh -c "[ $rc -eq 0 ] && [ -f $ko ]"
	cp "$ko" "$w/kpatch_lite.ko" 2>/dev/null
	check "the DKMS module is built for $KVER" \
		sh -c "modinfo -F vermagic '$w/kpatch_lite.ko' | grep -q '^$KVER '"

	purge
	rc=$?
	sed 's/^/# dpkg --purge: /' "$w/purge.log" | tail -n 20
	check "dpkg --purge removes the four packages" [ $rc -eq 0 ]
	left=""
	for f in /usr/bin/kpl /usr/sbin/kpld /usr/lib/"$MA"/libkpl.so.0 /usr/lib/kpatch-lite \
		/usr/include/kpl /etc/kpatch-lite /usr/src/kpatch-lite-"$VER" \
		/var/lib/dkms/kpatch-lite /lib/modules/"$KVER"/updates/dkms/kpatch_lite.ko; do
		[ -e "$f" ] && left="$left $f"
	done
	[ -z "$left" ] || echo "# left behind:$left"
	check "nothing is left behind" [ -z "$left" ]
}
if [ -n "${KPL_LOCK:-}" ]; then
	exec 9>"$KPL_LOCK"
	flock 9
fi
installed_phase
[ -n "${KPL_LOCK:-}" ] && exec 9>&-

# --- 4. the DKMS-built module in the VM ---------------------------------
if [ -f "$w/kpatch_lite.ko" ]; then
	make --no-print-directory check-kmod-it KPL_KO="$w/kpatch_lite.ko" \
		>"$w/vm.log" 2>&1
	rc=$?
	grep -E '^(ok|not ok|kmod-it:|integration:)' "$w/vm.log" | sed 's/^/# vm: /'
	[ $rc -eq 0 ] || tail -n 20 "$w/vm.log" | sed 's/^/# /'
	check "the DKMS-built module passes the engine's suite in the VM" \
		sh -c "[ $rc -eq 0 ] && grep -q 'integration: [0-9]* passed, 0 failed' '$w/vm.log'"
else
	notok "the DKMS-built module passes the engine's suite in the VM (no module)"
fi
finish
