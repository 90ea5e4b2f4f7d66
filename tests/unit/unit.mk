# SPDX-License-Identifier: GPL-2.0
# CMocka unit tests: tests/unit/test_<area>_<file>.c, one binary each,
# linked against the ASan+UBSan libkpl.  Need no root.

UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/asan/tests/unit/%,$(UNIT_SRCS))

$(BUILD)/asan/tests/unit/%: tests/unit/%.c $(BUILD)/asan/libkpl.a
	@mkdir -p $(@D)
	$(CC) $(ASAN_CFLAGS) -Iuserland/lib -Itests/unit -MMD -MP -o $@ $< \
		$(BUILD)/asan/libkpl.a $(ASAN_LDFLAGS) $(PKG_LIBS) $(CMOCKA_LIBS)

-include $(UNIT_BINS:=.d)

.PHONY: unit
unit: $(UNIT_BINS)
	@sh tests/unit/run.sh $(UNIT_BINS)

CHECK_TARGETS += unit
