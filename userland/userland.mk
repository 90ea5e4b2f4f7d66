# SPDX-License-Identifier: GPL-2.0
# libkpl (the engine), kpl (the CLI), kpl-build (the patch builder).
# Every object is built twice: $(BUILD)/release and $(BUILD)/asan.

LIBKPL_SRCS := $(sort $(wildcard userland/lib/*.c userland/lib/arch/*.c))
KPL_SRCS    := $(sort $(wildcard userland/cli/*.c))
KPLBUILD_SRCS := $(sort $(wildcard tools/kpl-build/*.c))

VARIANTS := release asan
CFLAGS_release := $(REL_CFLAGS) -fPIC -fvisibility=hidden
CFLAGS_asan    := $(ASAN_CFLAGS) -fPIC -fvisibility=hidden
LDFLAGS_release :=
LDFLAGS_asan   := $(ASAN_LDFLAGS)

define variant_rules
$(BUILD)/$(1)/%.o: %.c
	@mkdir -p $$(@D)
	$$(CC) $$(CFLAGS_$(1)) -Iuserland/lib -MMD -MP -c $$< -o $$@

$(BUILD)/$(1)/libkpl.a: $$(patsubst %.c,$(BUILD)/$(1)/%.o,$$(LIBKPL_SRCS))
	@rm -f $$@
	ar rcs $$@ $$^

$(BUILD)/$(1)/kpl: $$(patsubst %.c,$(BUILD)/$(1)/%.o,$$(KPL_SRCS)) $(BUILD)/$(1)/libkpl.a
	$$(CC) $$(LDFLAGS_$(1)) -o $$@ $$^ $$(PKG_LIBS)

$(BUILD)/$(1)/kpl-build: $$(patsubst %.c,$(BUILD)/$(1)/%.o,$$(KPLBUILD_SRCS)) $(BUILD)/$(1)/libkpl.a
	$$(CC) $$(LDFLAGS_$(1)) -o $$@ $$^ $$(PKG_LIBS)

-include $$(patsubst %.c,$(BUILD)/$(1)/%.d,$$(LIBKPL_SRCS) $$(KPL_SRCS) $$(KPLBUILD_SRCS))
endef
$(foreach v,$(VARIANTS),$(eval $(call variant_rules,$(v))))

# The shared library for test harnesses: only kpl_* symbols marked
# KPL_API are exported (-fvisibility=hidden above).
$(BUILD)/release/libkpl.so.0: $(patsubst %.c,$(BUILD)/release/%.o,$(LIBKPL_SRCS))
	$(CC) -shared -Wl,-soname,libkpl.so.0 -o $@ $^ $(PKG_LIBS)

$(BUILD)/release/libkpl.so: $(BUILD)/release/libkpl.so.0
	ln -sf libkpl.so.0 $@

USERLAND_BINS := $(if $(KPL_SRCS),$(BUILD)/release/kpl $(BUILD)/asan/kpl) \
	$(if $(KPLBUILD_SRCS),$(BUILD)/release/kpl-build $(BUILD)/asan/kpl-build)

.PHONY: userland
userland: $(BUILD)/release/libkpl.a $(BUILD)/asan/libkpl.a \
	$(BUILD)/release/libkpl.so $(USERLAND_BINS)

ALL_TARGETS += userland
