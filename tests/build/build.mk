# SPDX-License-Identifier: GPL-2.0
# kpl-build build, tested two ways:
#
#   $(BUILD)/built/MW-2026-000N.kpl   each MW fix built from its diff in
#       tests/targets/fixes/ against the shipped libminiweb.so, signed
#       with the test key; tests/integration/test_build_mw.sh applies
#       them to a live miniweb-server (part of check-integration)
#   check-build   the builder fixture cases in tests/build/cases/: small
#       libraries and diffs with an expected outcome each (run.sh)
#   check-buildsys  kpl-build build --build-cmd on an autotools+libtool
#       and a CMake+Ninja library in tests/build/projects/, each with
#       per-file flags, patched live (buildsys.sh)
#
# Both use the ASan+UBSan kpl-build, so the builder's own memory errors
# and leaks fail the tests.

KB_BIN := $(BUILD)/asan/kpl-build
KB_MW_DIR := $(BUILD)/built
KB_MW_PATCHES := $(addprefix $(KB_MW_DIR)/,$(addsuffix .kpl,$(MW_FIXES)))

$(KB_MW_DIR)/%.kpl: $(MW_DIR)/fixes/%.diff $(MW_LIB_SRCS) $(MW_LIB_HDRS) \
		$(MW_OUT)/libminiweb.so $(KB_BIN) $(KPL_TEST_KEY)
	@mkdir -p $(@D)
	$(KB_BIN) build -q --lib $(MW_OUT)/libminiweb.so \
		--sources '$(MW_DIR)/libminiweb/*.c' --cflags '$(MW_LIB_CFLAGS)' \
		--cc $(CC) --diff $< --id $* --version 1 \
		--description "$$(sed -n 's/^description //p' \
			$(MW_DIR)/patches/$*.manifest) (built from $*.diff)" \
		--key $(KPL_TEST_KEY) -o $@

.PHONY: mw-built-patches check-build check-buildsys
mw-built-patches: $(KB_MW_PATCHES)
check-integration: $(KB_MW_PATCHES)

# The fixture libraries are built as a distribution would build them,
# with the flags kpl-build is then given.
KB_CASES := $(sort $(wildcard tests/build/cases/*/expect))
KB_FIX_CFLAGS := -O2 -g -std=gnu11 -fPIC -fcf-protection \
	-fstack-protector-strong -D_FORTIFY_SOURCE=2 -fvisibility=hidden \
	-ffunction-sections -fdata-sections -Wall -Wextra $(WERROR)

# C++ cases: the same flags as C++ takes them.
KB_FIX_CXXFLAGS := $(filter-out -std=%,$(KB_FIX_CFLAGS)) -std=gnu++17

check-build: $(KB_BIN) $(BUILD)/asan/kpl test-keys
	@KB=$(KB_BIN) KPL=$(BUILD)/asan/kpl CC=$(CC) CXX=$(CXX) \
		KB_CFLAGS='$(KB_FIX_CFLAGS)' \
		KB_CXXFLAGS='$(KB_FIX_CXXFLAGS)' KPL_KEYS=$(KPL_KEYS) \
		OUT=$(BUILD)/build-cases \
		sh tests/build/run.sh $(dir $(KB_CASES))

CHECK_TARGETS += check-build

KB_PROJECTS := $(sort $(dir $(wildcard tests/build/projects/*/expect)))

check-buildsys: $(KB_BIN) $(BUILD)/asan/kpl test-keys
	@KB=$(KB_BIN) KPL=$(BUILD)/asan/kpl CC=$(CC) KPL_KEYS=$(KPL_KEYS) \
		OUT=$(BUILD)/build-projects \
		sh tests/build/buildsys.sh $(KB_PROJECTS)

# Not in CHECK_TARGETS: make check-long runs it (integration.mk).
