# SPDX-License-Identifier: GPL-2.0
# The MW fixes as live patches: hand-written fixed functions packed with
# `kpl-build pack` against the built libminiweb.so (its build-id), signed
# with the test key (tests/build/keys.mk).

MW_IDS := MW-2026-0001 MW-2026-0002 MW-2026-0003 MW-BROKEN
MW_PATCH_DIR := $(BUILD)/patches
MW_PATCHES := $(addprefix $(MW_PATCH_DIR)/,$(addsuffix .kpl,$(MW_IDS)))
MW_PATCH_CFLAGS := -O2 -fPIC -fcf-protection -fstack-protector-strong \
	-ffunction-sections -fdata-sections -fvisibility=hidden \
	-fno-asynchronous-unwind-tables -Wall -Wextra $(WERROR)

$(MW_PATCH_DIR)/%.o: tests/targets/patches/%.c tests/targets/libminiweb/internal.h
	@mkdir -p $(@D)
	$(CC) $(MW_PATCH_CFLAGS) -c -o $@ $<

$(MW_PATCH_DIR)/%.kpl: $(MW_PATCH_DIR)/%.o tests/targets/patches/%.manifest \
		$(BUILD)/targets/libminiweb.so $(BUILD)/release/kpl-build \
		$(KPL_TEST_KEY)
	$(BUILD)/release/kpl-build pack --lib $(BUILD)/targets/libminiweb.so \
		--manifest tests/targets/patches/$*.manifest \
		--key $(KPL_TEST_KEY) -o $@ $<

.SECONDARY: $(MW_PATCHES:.kpl=.o)

.PHONY: mw-patches
mw-patches: $(MW_PATCHES)

ALL_TARGETS += mw-patches
