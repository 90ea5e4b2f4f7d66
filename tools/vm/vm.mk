# SPDX-License-Identifier: GPL-2.0
# The QEMU-based module tests.  Included by the top-level Makefile, which
# exports KVER/KDIR and defines BUILD, CC and REL_CFLAGS; the module
# itself (`make module`) is built by kpatch-lite/module.mk.
#
#   make check-kmod  boot /boot/vmlinuz-$(KVER) in QEMU, one guest per
#                    test script: load (tests/kmod/test_load.sh), stop
#                    (test_stop.sh: requests, fuzz, kpl CLI), guard
#                    (test_guard.sh: guards, status, unload) and stress
#                    (test_stress.sh: targets dying mid-apply, thread
#                    churn, requests from many processes at once) and
#                    it (tests/kmod/test_it.sh: the engine's spin-based
#                    integration tests with --backend kmod) and kpld
#                    (test_kpld.sh: kpld holds a process started after
#                    an install with the module's guard, and without
#                    the module with its BPF hold; its BPF watchdog
#                    journals a crash); the guests
#                    run in parallel under make -j
#   make bench-kmod  (tools/bench/bench.mk) kpl-bench in this guest
#   make vm-shell    same guest with the module, an interactive shell on
#                    the terminal (for debugging; never used by CI)

# Every guest gets the TAP helpers its script sources.
VM_RUN     := tools/vm/vm-run --file tests/kmod/tap.sh:/root/tap.sh
VM_OUT     := $(BUILD)/vm
VM_KERNEL  ?= /boot/vmlinuz-$(KVER)
VM_TIMEOUT ?= 300
# The module the guests load: the tree's, built by `make module`, unless
# KPL_KO names another one (check-deb boots the one DKMS built).
KPL_KO     ?= kpatch-lite/kpatch_lite.ko
KMOD_BUILD := $(if $(filter kpatch-lite/kpatch_lite.ko,$(KPL_KO)),module)
KMOD_BIN   := $(BUILD)/kmod

KMOD_HELPERS := $(KMOD_BIN)/kpl_ioctl_version $(KMOD_BIN)/kpl_kmod_test \
	$(KMOD_BIN)/kpl_kmod_refuse $(KMOD_BIN)/kpl_kmod_batch \
	$(KMOD_BIN)/kpl_kmod_head $(KMOD_BIN)/kpl_kmod_fuzz
# What test_stop.sh drives with the CLI: the release kpl and the
# integration fixtures; the test key's public half goes along when the
# build signs patches (tests/build/keys.mk makes it with spin10.kpl).
KMOD_CLI := $(BUILD)/release/kpl $(BUILD)/it/kpl-spin $(BUILD)/it/spin10.kpl
KMOD_FUZZ_ITERS ?= 20000

# Test programs that map libspin (targets exec'd from themselves, see
# tests/kmod/kmod_spin.h), and the patch of its spin_guard.
KMOD_SPIN_HELPERS := $(KMOD_BIN)/kpl_kmod_guard $(KMOD_BIN)/kpl_kmod_stress
KMOD_GUARD_PATCH := $(KMOD_BIN)/spin_guard.kpl
# Defined by fragments included after this one: spelled out here.
KMOD_LIBSPIN := $(BUILD)/it/libspin.so.1
KMOD_KEY := $(BUILD)/keys/test.key

# The integration tests check-kmod-it runs with the kmod backend: the
# spin-based ones that need nothing the guest lacks (test_cycles' 200
# rounds would take minutes under TCG; kpl_kmod_stress cycles instead),
# and eh_kmod, a C++ process (kpl-thru) given a patch that may throw,
# and eustack, eu-stack naming the frames of a patch the module mapped
# (with the image page below it: KPL_IOC_MAP's head, ABI 2.3).
KMOD_IT_TESTS ?= apply_revert stacking refusals safety journal api eh_kmod \
	eustack
KMOD_IT_BINS := kpl-spin kpl-harness kpl-thru
KMOD_IT_FIX := $(addprefix $(BUILD)/it/,$(KMOD_IT_BINS) spin10.kpl \
	spin1.kpl spin_fix2.kpl spin_replace.kpl spin_local.kpl spin_hold.kpl \
	spin_missing.kpl spin_wrongbuild.kpl libthru.so.1 thru.kpl \
	spin_unw.kpl)

.PHONY: check-kmod check-kmod-load check-kmod-stop check-kmod-guard \
	check-kmod-stress check-kmod-it check-kmod-kpld vm-shell

$(KMOD_BIN)/%: tests/kmod/%.c include/uapi/linux/kpatch_lite.h \
		tests/kmod/kmod_target.h tests/kmod/kmod_util.h
	@mkdir -p $(@D)
	$(CC) $(REL_CFLAGS) -o $@ $< -lpthread

$(KMOD_SPIN_HELPERS): $(KMOD_BIN)/%: tests/kmod/%.c tests/kmod/kmod_spin.h \
		tests/kmod/kmod_util.h include/uapi/linux/kpatch_lite.h \
		$(KMOD_LIBSPIN)
	@mkdir -p $(@D)
	$(CC) $(REL_CFLAGS) -o $@ $< $(KMOD_LIBSPIN) -Wl,-rpath,'$$ORIGIN/../it' \
		-lpthread

$(KMOD_BIN)/kpl_kmod_guard: tests/kmod/kmod_guard.h

$(KMOD_BIN)/spin_guard_fix.o: tests/kmod/spin_guard_fix.c
	@mkdir -p $(@D)
	$(CC) $(IT_FIXFLAGS) -c -o $@ $<

$(KMOD_GUARD_PATCH): $(KMOD_BIN)/spin_guard_fix.o tests/kmod/spin_guard.manifest \
		$(KMOD_LIBSPIN) $(BUILD)/release/kpl-build $(KMOD_KEY)
	$(BUILD)/release/kpl-build pack --lib $(KMOD_LIBSPIN) \
		--manifest tests/kmod/spin_guard.manifest --key $(KMOD_KEY) \
		-o $@ $<

check-kmod: check-kmod-load check-kmod-stop check-kmod-guard \
	check-kmod-stress check-kmod-it check-kmod-kpld

check-kmod-load: $(KMOD_BUILD) $(KMOD_HELPERS)
	$(VM_RUN) --name kmod-load --out $(VM_OUT) --kernel $(VM_KERNEL) \
		--timeout $(VM_TIMEOUT) --module $(KPL_KO) \
		$(addprefix --bin ,$(KMOD_HELPERS)) tests/kmod/test_load.sh

check-kmod-stop: $(KMOD_BUILD) $(KMOD_HELPERS) $(KMOD_CLI)
	$(VM_RUN) --name kmod-stop --out $(VM_OUT) --kernel $(VM_KERNEL) \
		--timeout $(VM_TIMEOUT) --module $(KPL_KO) \
		$(addprefix --bin ,$(KMOD_HELPERS)) \
		--bin $(BUILD)/release/kpl --bin $(BUILD)/it/kpl-spin \
		--file $(BUILD)/it/spin10.kpl:/root/spin10.kpl \
		$(if $(wildcard $(BUILD)/keys/trusted),--file $(BUILD)/keys/trusted:/root/keys) \
		--env KPL_FUZZ_ITERS=$(KMOD_FUZZ_ITERS) tests/kmod/test_stop.sh

check-kmod-guard: $(KMOD_BUILD) $(KMOD_SPIN_HELPERS) $(KMOD_GUARD_PATCH) $(KMOD_CLI)
	$(VM_RUN) --name kmod-guard --out $(VM_OUT) --kernel $(VM_KERNEL) \
		--timeout $(VM_TIMEOUT) --module $(KPL_KO) \
		$(addprefix --bin ,$(KMOD_SPIN_HELPERS)) \
		--bin $(BUILD)/release/kpl --bin $(BUILD)/it/kpl-spin \
		--file $(KMOD_GUARD_PATCH):/root/spin_guard.kpl \
		--file $(BUILD)/it/spin10.kpl:/root/spin10.kpl \
		$(if $(wildcard $(BUILD)/keys/trusted),--file $(BUILD)/keys/trusted:/root/keys) \
		tests/kmod/test_guard.sh

check-kmod-stress: $(KMOD_BUILD) $(KMOD_SPIN_HELPERS) $(KMOD_CLI)
	$(VM_RUN) --name kmod-stress --out $(VM_OUT) --kernel $(VM_KERNEL) \
		--timeout $(VM_TIMEOUT) --module $(KPL_KO) \
		$(addprefix --bin ,$(KMOD_SPIN_HELPERS)) \
		--bin $(BUILD)/release/kpl \
		--file $(BUILD)/it/spin10.kpl:/root/spin10.kpl \
		$(if $(wildcard $(BUILD)/keys/trusted),--file $(BUILD)/keys/trusted:/root/keys) \
		tests/kmod/test_stress.sh

# kpld (its libbpf and libelf come along) with a store holding
# spin_guard.kpl; kpl_kmod_guard's "target" mode is the process started
# after the install.  kpld's BPF hold and watchdog must load in the
# guest's 6.1 too: the test asserts its start-up protections line.
check-kmod-kpld: $(KMOD_BUILD) $(KMOD_BIN)/kpl_kmod_guard $(KMOD_GUARD_PATCH) \
		$(BUILD)/release/kpld
	$(VM_RUN) --name kmod-kpld --out $(VM_OUT) --kernel $(VM_KERNEL) \
		--timeout $(VM_TIMEOUT) --module $(KPL_KO) \
		--bin $(KMOD_BIN)/kpl_kmod_guard --bin $(BUILD)/release/kpld \
		--bin /usr/bin/od \
		--file $(KMOD_GUARD_PATCH):/root/spin_guard.kpl \
		$(if $(wildcard $(BUILD)/keys/trusted),--file $(BUILD)/keys/trusted:/root/keys) \
		tests/kmod/test_kpld.sh

# The fixtures and keys go to the paths they have here, so the scripts
# run unchanged, and /bin/sh is dash, as on the host: busybox's sh runs
# its own applets before anything on PATH, and test_refusals needs
# util-linux's setpriv (--reuid), not busybox's.  test_eustack needs
# eu-stack (elfutils, which make deps installs) and forges its page with
# kpl_kmod_head (the guest has no gdb).
check-kmod-it: $(KMOD_BUILD) $(KMOD_IT_FIX) $(BUILD)/release/kpl $(KMOD_KEY) \
		$(KMOD_BIN)/kpl_kmod_head
	$(VM_RUN) --name kmod-it --out $(VM_OUT) --kernel $(VM_KERNEL) \
		--timeout $(VM_TIMEOUT) --module $(KPL_KO) \
		--bin $(BUILD)/release/kpl --bin /usr/bin/setpriv \
		--bin /usr/bin/eu-stack --bin $(KMOD_BIN)/kpl_kmod_head \
		--bin /bin/dash:/bin/sh \
		--file $(BUILD)/it:$(abspath $(BUILD)/it) \
		$(foreach f,$(KMOD_IT_BINS),--file $(BUILD)/it/$(f):$(abspath $(BUILD)/it/$(f))) \
		--file $(BUILD)/keys:$(abspath $(BUILD)/keys) \
		--file tests/integration:/root/tests/integration \
		--env KPL=/bin/kpl --env IT_DIR=$(abspath $(BUILD)/it) \
		--env KPL_KEYS=$(abspath $(BUILD)/keys) \
		--env 'KPL_IT_TESTS=$(KMOD_IT_TESTS)' tests/kmod/test_it.sh

vm-shell: module $(KMOD_HELPERS)
	$(VM_RUN) --shell --name shell --out $(VM_OUT) --kernel $(VM_KERNEL) \
		--module $(KPL_KO) $(addprefix --bin ,$(KMOD_HELPERS))

CHECK_TARGETS += check-kmod
