# SPDX-License-Identifier: GPL-2.0
# CMocka unit tests: tests/unit/test_<area>_<file>.c, one binary each,
# linked against the ASan+UBSan libkpl.  Need no root.

# The arch tests of the architecture being built only.
UNIT_SRCS := $(sort $(filter-out $(filter-out \
	tests/unit/test_arch_$(KPL_ARCH)%,$(wildcard tests/unit/test_arch_*.c)),\
	$(wildcard tests/unit/test_*.c)))
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

# identity.c proves a rebuild is the stripped library as shipped: against
# real libraries, libident.c built as is (and stripped), and with one
# function, one variable or the layout changed.
$(BUILD)/asan/tests/unit/test_kplbuild_identity: \
		tests/unit/test_kplbuild_identity.c tools/kpl-build/identity.c \
		$(BUILD)/asan/libkpl.a
	@mkdir -p $(@D)
	$(CC) $(ASAN_CFLAGS) -Iuserland/lib -Itools/kpl-build -MMD -MP -o $@ \
		$(filter %.c,$^) $(BUILD)/asan/libkpl.a $(ASAN_LDFLAGS) \
		$(PKG_LIBS) $(CMOCKA_LIBS)

$(BUILD)/asan/tests/unit/test_kplbuild_ar: tests/unit/test_kplbuild_ar.c \
		tools/kpl-build/ar.c
	@mkdir -p $(@D)
	$(CC) $(ASAN_CFLAGS) -Iuserland/lib -Itools/kpl-build -MMD -MP -o $@ \
		$(filter %.c,$^) $(ASAN_LDFLAGS) $(CMOCKA_LIBS)

$(BUILD)/asan/tests/unit/test_kplbuild_deb_pkg: \
		tests/unit/test_kplbuild_deb_pkg.c tools/kpl-build/deb_pkg.c \
		tools/kpl-build/run.c $(BUILD)/asan/libkpl.a
	@mkdir -p $(@D)
	$(CC) $(ASAN_CFLAGS) -Iuserland/lib -Itools/kpl-build -MMD -MP -o $@ \
		$(filter %.c,$^) $(BUILD)/asan/libkpl.a $(ASAN_LDFLAGS) \
		$(PKG_LIBS) $(CMOCKA_LIBS)

$(BUILD)/asan/tests/unit/test_kplbuild_deb_cmd: \
		tests/unit/test_kplbuild_deb_cmd.c tools/kpl-build/deb_cmd.c
	@mkdir -p $(@D)
	$(CC) $(ASAN_CFLAGS) -Iuserland/lib -Itools/kpl-build -MMD -MP -o $@ \
		$(filter %.c,$^) $(ASAN_LDFLAGS) $(CMOCKA_LIBS)

IDENT_DIR := $(BUILD)/unit/ident
IDENT_LIBS := $(addprefix $(IDENT_DIR)/libident,.so -shipped.so -code.so \
	-data.so -layout.so)
IDENT_VARIANT = $(patsubst -%,%,$(patsubst $(IDENT_DIR)/libident%.so,%,$@))
IDENT_DEFS.code := -DID_K=5
IDENT_DEFS.data := -DID_DATA=5
IDENT_DEFS.layout := -DID_EXTRA
$(IDENT_DIR)/libident-shipped.so: $(IDENT_DIR)/libident.so
	strip -o $@ $<
$(filter-out %-shipped.so,$(IDENT_LIBS)): tests/unit/fixtures/libident.c
	@mkdir -p $(@D)
	$(CC) -O2 -g -fPIC -shared -Wl,--build-id -Wl,-soname,libident.so.1 \
		$(IDENT_DEFS.$(IDENT_VARIANT)) -o $@ $<

# A non-PIE program with a canonical PLT entry (test_lib_elfsym.c).
CANON := $(BUILD)/unit/canon
$(CANON): tests/unit/fixtures/canon.c
	@mkdir -p $(@D)
	$(CC) -O2 -fno-pic -no-pie -o $@ $<

-include $(UNIT_BINS:=.d)

# Real ELF files some tests read, made by tests/integration/integration.mk
# (included after this file: $(IT_DIR) is not yet set here).  The tests
# need them to run, not to link, so they hang on `unit`, and their paths
# reach the tests through the environment.
UNIT_FIXTURES := $(BUILD)/it/libspin.so.1 $(BUILD)/it/spin_local.kpl \
	$(BUILD)/it/spin_unw.kpl \
	$(BUILD)/it/liblookup.so.1 $(BUILD)/it/libkpl-shim.so $(IDENT_LIBS) \
	$(CANON)

.PHONY: unit
unit: $(UNIT_BINS) $(UNIT_FIXTURES)
	@KPL_TEST_LIBSPIN=$(BUILD)/it/libspin.so.1 \
		KPL_TEST_SPIN_LOCAL=$(BUILD)/it/spin_local.kpl \
		KPL_TEST_IT_DIR=$(BUILD)/it KPL_TEST_IDENT_DIR=$(IDENT_DIR) \
		KPL_TEST_CANON=$(CANON) \
		sh tests/unit/run.sh $(UNIT_BINS)

CHECK_TARGETS += unit
