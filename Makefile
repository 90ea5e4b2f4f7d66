# SPDX-License-Identifier: GPL-2.0
# kpatch-lite top-level build.  `make help` lists the targets.
#
# Userland is built twice: $(BUILD)/release (plain -O2) and $(BUILD)/asan
# (ASan+UBSan, used by `make check`).  The kernel module is built with
# Kbuild against Debian's 6.1 headers, not the running kernel (the host
# kernel has no module support; the module runs in QEMU).

BUILD      ?= build
CC         ?= gcc
PKG_CONFIG ?= pkg-config
# Warnings are errors everywhere, so CI and a developer see the same thing.
WERROR     ?= -Werror

# The Debian kernel whose headers and image we build and boot.  Newest
# installed *-amd64 tree under /lib/modules that has a build/ directory.
KVER ?= $(shell ls -d /lib/modules/*-amd64/build 2>/dev/null | sed 's|/lib/modules/||; s|/build||' | sort -V | tail -1)
KDIR ?= /lib/modules/$(KVER)/build
export KVER KDIR

PKGS := libelf libdw capstone libbpf cmocka libcrypto
PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell $(PKG_CONFIG) --libs libelf libdw capstone libbpf libcrypto 2>/dev/null)
# The executables link capstone and libcrypto statically: dynamically,
# ld.so spends ~0.7 ms of every `kpl apply` relocating them (capstone
# alone has 77k relocations).  Statically, only x86 of capstone is linked
# (userland/lib/arch/x86_64.c stubs the other architectures out), and the
# relative relocations that remain are packed (DT_RELR, binutils 2.38 and
# glibc 2.36): see "Start-up" in tools/bench/README.md for the figures.
EXE_LDFLAGS := -Wl,-z,pack-relative-relocs
EXE_LIBS   := -Wl,-Bstatic -lcapstone -lcrypto -Wl,-Bdynamic \
	$(shell $(PKG_CONFIG) --libs libelf libdw libbpf 2>/dev/null) -lpthread -ldl
CMOCKA_LIBS := $(shell $(PKG_CONFIG) --libs cmocka 2>/dev/null)

BASE_CFLAGS := -std=gnu11 -Wall -Wextra $(WERROR) -g -D_GNU_SOURCE \
	-Wshadow -Wformat=2 -Wno-missing-field-initializers \
	-Iinclude -Iuserland/include $(PKG_CFLAGS)
REL_CFLAGS  := $(BASE_CFLAGS) -O2
ASAN_CFLAGS := $(BASE_CFLAGS) -O1 -fno-omit-frame-pointer -DKPL_FAULT_INJECT \
	-fsanitize=address,undefined -fno-sanitize-recover=all
ASAN_LDFLAGS := -fsanitize=address,undefined

# Each fragment appends to these.
CHECK_TARGETS :=
DEMO_TARGETS  :=
BENCH_TARGETS :=
ALL_TARGETS   :=

.PHONY: all help deps check check-run demo bench clean

all: build-all

include userland/userland.mk
include tools/kpl-build/kpl-build.mk
include tests/targets/targets.mk
include tests/unit/unit.mk
include kpatch-lite/module.mk
include tools/vm/vm.mk
include tests/tests.mk
include packaging/install.mk

build-all: $(ALL_TARGETS)

help:
	@echo "kpatch-lite make targets:"
	@echo "  make deps       install missing Debian packages (apt-get; idempotent)"
	@echo "  make            build userland, targets and the kernel module"
	@echo "  make demo       run the live-patch demo against miniweb-server"
	@echo "  make check      install deps, build, run every test (unit, ASan,"
	@echo "                  targets, integration, module in QEMU)"
	@echo "  make bench      run the benchmarks (pause time, apply time)"
	@echo "  make soak       10,000 apply/revert cycles under load and signals"
	@echo "  make check-long the soak's 150 cycles, the 200-cycle tests and"
	@echo "                  check-buildsys (not in check; .ci/run runs it)"
	@echo "  make module     build kpatch-lite/kpatch_lite.ko against KDIR=$(KDIR)"
	@echo "  make targets    build libminiweb.so, libmwcss.so and miniweb-server"
	@echo "  make unit       run the CMocka unit tests (ASan+UBSan build)"
	@echo "  make check-targets  run the miniweb target tests"
	@echo "  make check-kmod     boot the module tests in QEMU"
	@echo "  make check-layers   prove kpl and kpld see only libkpl's public API,"
	@echo "                  and no file calls back into a file that calls it,"
	@echo "                  and no x86 name is in userland/lib outside arch/"
	@echo "  make callgraph  who includes and calls whom, per component"
	@echo "  make check-fuzz build the fuzzers and run each for FUZZ_SECONDS (5)"
	@echo "  make install    install (PREFIX=/usr/local, DESTDIR=)"
	@echo "  make release    build only what make install installs"
	@echo "  make check-deb  build, lintian, install and test the Debian"
	@echo "                  packages, DKMS module in QEMU (root; not in check)"
	@echo "  make check-deb-src  kpl-build deb on Debian's zlib, patched live"
	@echo "                  in python3 (root, downloads; not in check)"
	@echo "  make check-cve  the CVE corpus: real fixes patched live into"
	@echo "                  python3 under load (root, downloads; not in check)"
	@echo "  make demo-cve   one CVE of the corpus end to end, explained"
	@echo "  make check-ansible  the Ansible collection's wave on 3 hosts"
	@echo "                  made of namespaces (root; not in check)"
	@echo "  make clean      remove build output"

deps:
	@sh tools/deps.sh

check: deps
	@$(MAKE) --no-print-directory check-run

# One suite after another, each timed: the summary says where make
# check's minutes go (its target is 20 on a 2-core machine).
check-run:
	@mkdir -p $(BUILD); : >$(BUILD)/check-times; \
	for t in $(CHECK_TARGETS); do \
		t0=$$(date +%s); \
		$(MAKE) --no-print-directory $$t || exit 1; \
		echo "make check: $$t took $$(($$(date +%s) - t0)) s" >>$(BUILD)/check-times; \
	done; \
	echo "make check: all suites passed"; cat $(BUILD)/check-times

demo: deps
	@$(MAKE) --no-print-directory demo-run

demo-run: $(DEMO_TARGETS)

bench: deps
	@$(MAKE) --no-print-directory bench-run

bench-run: $(BENCH_TARGETS)


clean:
	rm -rf $(BUILD)
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean >/dev/null 2>&1
