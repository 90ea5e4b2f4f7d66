# SPDX-License-Identifier: GPL-2.0
# The kernel module, kpatch-lite/kpatch_lite.ko.  Included by the
# top-level Makefile, which exports KVER/KDIR and defines BUILD.
#
#   make module      build kpatch-lite/kpatch_lite.ko against $(KDIR);
#                    any compiler or modpost warning fails the build

# The module is built by the compiler that built the kernel, whatever CC
# the userland build uses: a `make CC=clang` on the command line would
# otherwise reach Kbuild through MAKEFLAGS.
KMOD_CC ?= $(firstword $(shell sed -n 's/^CONFIG_CC_VERSION_TEXT="*//p' \
	$(KDIR)/include/config/auto.conf 2>/dev/null))

.PHONY: module

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

ALL_TARGETS   += module
