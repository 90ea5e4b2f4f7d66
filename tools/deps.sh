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
ninja-build debhelper dkms lintian fakeroot dpkg-dev"

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
