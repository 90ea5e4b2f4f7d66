# SPDX-License-Identifier: GPL-2.0
# kpl-build, the patch builder, twice like the rest of userland:
# $(BUILD)/release/kpl-build and $(BUILD)/asan/kpl-build.  Its objects
# are built by userland/userland.mk's pattern rule (with -Iuserland/lib:
# kpl-build uses libkpl's documented internal headers), and it links
# libkpl.a.  Included by the top-level Makefile after userland.mk.

KPLBUILD_SRCS := $(sort $(wildcard tools/kpl-build/*.c))

define kplbuild_rules
$(BUILD)/$(1)/kpl-build: $$(patsubst %.c,$(BUILD)/$(1)/%.o,$$(KPLBUILD_SRCS)) $(BUILD)/$(1)/libkpl.a
	$$(CC) $$(LDFLAGS_$(1)) $(EXE_LDFLAGS) -o $$@ $$^ $$(EXE_LIBS)

-include $$(patsubst %.c,$(BUILD)/$(1)/%.d,$$(KPLBUILD_SRCS))
endef
$(foreach v,$(VARIANTS),$(eval $(call kplbuild_rules,$(v))))

userland: $(if $(KPLBUILD_SRCS),$(BUILD)/release/kpl-build $(BUILD)/asan/kpl-build)
