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

# The libmwcss (C++) fixes: built by `kpl-build build` from their diffs
# against the built libmwcss.so, as a vendor builds them; the description
# is the diff's title line.
MWCSS_PATCHES := $(MWCSS_FIXES:%=$(MW_PATCH_DIR)/%.kpl)

$(MW_PATCH_DIR)/CSS-%.kpl: $(MW_DIR)/fixes/CSS-%.diff $(MWCSS_SRCS) \
		$(MWCSS_HDRS) $(MW_OUT)/libmwcss.so $(BUILD)/release/kpl-build \
		$(KPL_TEST_KEY)
	@mkdir -p $(@D)
	$(BUILD)/release/kpl-build build -q --lib $(MW_OUT)/libmwcss.so \
		--sources '$(MW_DIR)/libmwcss/*.cc' --cflags '$(MWCSS_CXXFLAGS)' \
		--cc $(CXX) --diff $< --id CSS-$* --version 1 \
		--description "$$(sed -n 's/^# CSS-[0-9-]*: //p' $<)" \
		--key $(KPL_TEST_KEY) -o $@

mw-patches: $(MWCSS_PATCHES)
