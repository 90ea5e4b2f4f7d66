# SPDX-License-Identifier: GPL-2.0
# Kernel module build and the QEMU-based module tests.  Included by the
# top-level Makefile, which exports KVER/KDIR and defines BUILD, CC and
# REL_CFLAGS.
#
#   make module      build kpatch-lite/kpatch_lite.ko against $(KDIR);
#                    any compiler or modpost warning fails the build
#   make check-kmod  boot /boot/vmlinuz-$(KVER) in QEMU and run tests/kmod
#   make vm-shell    same guest with the module, an interactive shell on
#                    the terminal (for debugging; never used by CI)

VM_RUN     := tools/vm/vm-run
VM_OUT     := $(BUILD)/vm
VM_KERNEL  ?= /boot/vmlinuz-$(KVER)
VM_TIMEOUT ?= 300
KPL_KO     := kpatch-lite/kpatch_lite.ko
KMOD_BIN   := $(BUILD)/kmod

KMOD_HELPERS := $(KMOD_BIN)/kpl_ioctl_version

# The module is built by the compiler that built the kernel, whatever CC
# the userland build uses: a `make CC=clang` on the command line would
# otherwise reach Kbuild through MAKEFLAGS.
KMOD_CC ?= $(firstword $(shell sed -n 's/^CONFIG_CC_VERSION_TEXT="*//p' \
	$(KDIR)/include/config/auto.conf 2>/dev/null))

.PHONY: module check-kmod vm-shell

# Kbuild decides what to rebuild, so this always descends.  The log is
# scanned as well because modpost warnings (section mismatches, missing
# symbol versions) do not go through the compiler.
module:
	@mkdir -p $(BUILD)
	@$(MAKE) --no-print-directory -C $(KDIR) M=$(CURDIR) KCFLAGS=-Werror \
		$(if $(KMOD_CC),CC=$(KMOD_CC)) modules >$(BUILD)/module.log 2>&1; rc=$$?; \
	cat $(BUILD)/module.log; \
	if [ $$rc -ne 0 ]; then echo "module: build failed" >&2; exit 1; fi; \
	if grep -Eqi '(^|[[:space:]:])warning:' $(BUILD)/module.log; then \
		echo "module: build printed warnings (treated as errors)" >&2; \
		exit 1; \
	fi

$(KMOD_BIN)/%: tests/kmod/%.c include/uapi/linux/kpatch_lite.h
	@mkdir -p $(@D)
	$(CC) $(REL_CFLAGS) -o $@ $<

check-kmod: module $(KMOD_HELPERS)
	$(VM_RUN) --name kmod-load --out $(VM_OUT) --kernel $(VM_KERNEL) \
		--timeout $(VM_TIMEOUT) --module $(KPL_KO) \
		$(addprefix --bin ,$(KMOD_HELPERS)) tests/kmod/test_load.sh

vm-shell: module $(KMOD_HELPERS)
	$(VM_RUN) --shell --name shell --out $(VM_OUT) --kernel $(VM_KERNEL) \
		--module $(KPL_KO) $(addprefix --bin ,$(KMOD_HELPERS))

ALL_TARGETS   += module
CHECK_TARGETS += check-kmod
