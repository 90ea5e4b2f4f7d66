#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Install what the build, the tests and the demo need, and nothing twice.
# Idempotent: when every package is present it only runs dpkg-query.
set -eu

PKGS="build-essential pkg-config gcc make cpio gzip xz-utils kmod
libelf-dev libdw-dev elfutils libcapstone-dev libbpf-dev libcmocka-dev
libssl-dev clang llvm bpftool linux-headers-amd64 linux-image-amd64
qemu-system-x86 busybox-static wrk curl patch python3 binutils
util-linux bc man-db gnuplot-nox time autoconf automake libtool cmake strace
gdb
ninja-build debhelper dkms lintian fakeroot dpkg-dev
ansible-core openssh-server openssh-client sshpass"
# The CVE corpus (make check-cve): its source packages' build
# dependencies (expat: docbook-to-man, docbook2x; zlib: debhelper,
# dpkg-dev), so that kpl-build deb need not install them as it goes;
# and its consumers' Python modules: lxml (the libxml2 cases), Pillow
# (libtiff's and libpng's: its _imaging and _imagingft load them).
PKGS="$PKGS docbook-to-man docbook2x python3-lxml python3-pil"

# kpl-build deb fetches source packages: add a deb-src entry beside
# every Debian deb entry (same URIs, suites, components and key), once.
SRC_LIST=/etc/apt/sources.list.d/kpatch-lite-deb-src.sources
have_deb_src() {
	grep -qs '^[[:space:]]*deb-src[[:space:]]' /etc/apt/sources.list \
		/etc/apt/sources.list.d/*.list ||
		grep -qsi '^Types:.*deb-src' /etc/apt/sources.list.d/*.sources
}
# Debian's deb822 stanzas, Types: deb -> deb-src; one-line entries become
# stanzas too.  Other vendors' repositories often have no source index.
deb_src_stanzas() {
	awk 'BEGIN { RS = ""; ORS = "\n\n" }
	     /URIs:[^\n]*debian\.org/ && /(^|\n)Types:[ \t]*deb[ \t]*(\n|$)/ {
		sub(/(^|\n)Types:[ \t]*deb[ \t]*(\n|$)/, "\nTypes: deb-src\n");
		sub(/^\n/, ""); print }' /etc/apt/sources.list.d/*.sources \
		2>/dev/null || true
	awk '$1 == "deb" && $0 ~ /debian\.org/ {
		opts = ""; i = 2
		if ($2 ~ /^\[/) { opts = $2; i = 3
			while ($i !~ /\]$/ && opts !~ /\]$/) opts = opts " " $(i++)
			if (opts !~ /\]$/) { opts = opts " " $i; i++ } }
		printf "Types: deb-src\nURIs: %s\nSuites: %s\nComponents:", $i, $(i + 1)
		for (j = i + 2; j <= NF; j++) printf " %s", $j
		if (opts ~ /signed-by=/) { sub(/.*signed-by=/, "", opts)
			sub(/[ \]].*/, "", opts); printf "\nSigned-By: %s", opts }
		printf "\n\n" }' /etc/apt/sources.list 2>/dev/null || true
}
if ! have_deb_src; then
	if [ "$(id -u)" != 0 ]; then
		echo "deps: no deb-src entry for kpl-build deb (run make deps as root)" >&2
	else
		stanzas=$(deb_src_stanzas)
		if [ -n "$stanzas" ]; then
			echo "deps: adding $SRC_LIST (deb-src for kpl-build deb)"
			{
				echo "# Added by kpatch-lite's make deps: source packages for kpl-build deb."
				echo
				printf '%s\n' "$stanzas"
			} >"$SRC_LIST"
			apt-get update -qq
		else
			echo "deps: no Debian apt source to add a deb-src entry beside" >&2
		fi
	fi
fi

missing=""
for p in $PKGS; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$st" in
	*"install ok installed"*) ;;
	*) missing="$missing $p" ;;
	esac
done

if [ -z "$missing" ]; then
	echo "deps: all packages present"
	exit 0
fi

echo "deps: installing:$missing"
if [ "$(id -u)" != 0 ]; then
	echo "deps: need root to install packages (run: sudo make deps)" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing
