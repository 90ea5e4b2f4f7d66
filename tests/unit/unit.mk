# SPDX-License-Identifier: GPL-2.0
# CMocka unit tests: tests/unit/test_<area>_<file>.c, one binary each,
# linked against the ASan+UBSan libkpl.  Need no root.

UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/asan/tests/unit/%,$(UNIT_SRCS))

$(BUILD)/asan/tests/unit/%: tests/unit/%.c $(BUILD)/asan/libkpl.a
	@mkdir -p $(@D)
	$(CC) $(ASAN_CFLAGS) -Iuserland/lib -Itests/unit -MMD -MP -o $@ $< \
		$(BUILD)/asan/libkpl.a $(ASAN_LDFLAGS) $(PKG_LIBS) $(CMOCKA_LIBS)

# kpl-build's pieces that stand alone are linked in directly.
$(BUILD)/asan/tests/unit/test_kplbuild_cc_log: tests/unit/test_kplbuild_cc_log.c \
		tools/kpl-build/cc_log.c
	@mkdir -p $(@D)
	$(CC) $(ASAN_CFLAGS) -Itools/kpl-build -MMD -MP -o $@ $(filter %.c,$^) \
		$(ASAN_LDFLAGS) $(CMOCKA_LIBS)

-include $(UNIT_BINS:=.d)

# Real ELF files some tests read, made by tests/integration/integration.mk
# (included after this file: $(IT_DIR) is not yet set here).  The tests
# need them to run, not to link, so they hang on `unit`, and their paths
# reach the tests through the environment.
UNIT_FIXTURES := $(BUILD)/it/libspin.so.1 $(BUILD)/it/spin_local.kpl \
	$(BUILD)/it/spin_unw.kpl \
	$(BUILD)/it/liblookup.so.1 $(BUILD)/it/libkpl-shim.so

.PHONY: unit
unit: $(UNIT_BINS) $(UNIT_FIXTURES)
	@KPL_TEST_LIBSPIN=$(BUILD)/it/libspin.so.1 \
		KPL_TEST_SPIN_LOCAL=$(BUILD)/it/spin_local.kpl \
		KPL_TEST_IT_DIR=$(BUILD)/it \
		sh tests/unit/run.sh $(UNIT_BINS)

CHECK_TARGETS += unit
