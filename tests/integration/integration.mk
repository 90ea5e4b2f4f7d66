# SPDX-License-Identifier: GPL-2.0
# Engine integration tests: real processes, real patches, the real CLI.
# The fixtures (libspin, kpl-spin, the .kpl files) also serve the
# benchmarks.

IT_DIR := $(BUILD)/it
IT_FIX := tests/integration/fixtures
# Debian's default hardening, as the libraries we patch are built.
IT_LIBFLAGS := -O2 -g -fPIC -fstack-protector-strong -fcf-protection \
	-D_FORTIFY_SOURCE=2 -Wall -Wextra $(WERROR)
IT_FIXFLAGS := -O2 -fPIC -fcf-protection -ffunction-sections \
	-fdata-sections -fno-asynchronous-unwind-tables -Wall -Wextra $(WERROR)

$(IT_DIR)/libspin.so.1: $(IT_FIX)/libspin.c $(IT_FIX)/libspin_other.c
	@mkdir -p $(@D)
	$(CC) $(IT_LIBFLAGS) -shared -Wl,--build-id -Wl,-soname,libspin.so.1 \
		-o $@ $^

# The same library built differently: another build-id.
$(IT_DIR)/other/libspin.so.1: $(IT_FIX)/libspin.c $(IT_FIX)/libspin_other.c
	@mkdir -p $(@D)
	$(CC) $(IT_LIBFLAGS) -O1 -shared -Wl,--build-id \
		-Wl,-soname,libspin.so.1 -o $@ $^

$(IT_DIR)/kpl-spin: $(IT_FIX)/spin.c $(IT_FIX)/spin_shm.h $(IT_DIR)/libspin.so.1
	$(CC) -O2 -g -Wall -Wextra $(WERROR) -o $@ $< $(IT_DIR)/libspin.so.1 \
		-Wl,-rpath,'$$ORIGIN' -lpthread

# libcfiwait twice, with different CFI at the same address, and a program
# that loads one of them from cfiwait/ (test_unwind_share.sh).
$(IT_DIR)/cfiwait%/libcfiwait.so.1: $(IT_FIX)/cfiwait.S
	@mkdir -p $(@D)
	$(CC) -DFRAME=$* -shared -Wl,--build-id -Wl,-soname,libcfiwait.so.1 \
		-o $@ $<

$(IT_DIR)/kpl-cfiwait: $(IT_FIX)/cfiwait.c $(IT_DIR)/libspin.so.1 \
		$(IT_DIR)/cfiwait8/libcfiwait.so.1 \
		$(IT_DIR)/cfiwait24/libcfiwait.so.1
	@mkdir -p $(IT_DIR)/cfiwait
	cp $(IT_DIR)/cfiwait8/libcfiwait.so.1 $(IT_DIR)/cfiwait/
	$(CC) -O2 -g -Wall -Wextra $(WERROR) -o $@ $< $(IT_DIR)/libspin.so.1 \
		$(IT_DIR)/cfiwait/libcfiwait.so.1 \
		-Wl,-rpath,'$$ORIGIN:$$ORIGIN/cfiwait'

# A single-threaded target that checks its own registers and signals.
$(IT_DIR)/kpl-victim: $(IT_FIX)/victim.c $(IT_DIR)/libspin.so.1
	$(CC) -O2 -g -Wall -Wextra $(WERROR) -o $@ $< $(IT_DIR)/libspin.so.1 \
		-Wl,-rpath,'$$ORIGIN'

# Forks children that inherit its patch mappings mid-apply.
$(IT_DIR)/kpl-forker: $(IT_FIX)/forker.c $(IT_DIR)/libspin.so.1
	$(CC) -O2 -g -Wall -Wextra $(WERROR) -o $@ $< $(IT_DIR)/libspin.so.1 \
		-Wl,-rpath,'$$ORIGIN'

# A target that forbids itself W+X memory (MemoryDenyWriteExecute).
$(IT_DIR)/kpl-mdwe: $(IT_FIX)/mdwe.c $(IT_DIR)/libspin.so.1
	$(CC) -O2 -g -Wall -Wextra $(WERROR) -o $@ $< $(IT_DIR)/libspin.so.1 \
		-Wl,-rpath,'$$ORIGIN'

$(IT_DIR)/kpl-sigstorm: $(IT_FIX)/sigstorm.c
	$(CC) -O2 -g -Wall -Wextra $(WERROR) -o $@ $<

# Built the way a test harness would: public header, shared library.
$(IT_DIR)/kpl-harness: $(IT_FIX)/harness.c $(BUILD)/release/libkpl.so
	$(CC) -O2 -g -Wall -Wextra $(WERROR) -Iuserland/include -o $@ $< \
		-L$(BUILD)/release -lkpl -lcrypto \
		-Wl,-rpath,'$$ORIGIN/../release'

# A hostile target that forges patch records (test_hostile.sh): with the
# library's own record layout, so the format is known in one place.
$(IT_DIR)/kpl-evil: $(IT_FIX)/evil.c userland/lib/state.h \
		userland/include/kpl/format.h
	@mkdir -p $(@D)
	$(CC) -O2 -g -Wall -Wextra $(WERROR) -Iuserland/lib -Iuserland/include \
		-o $@ $< -lpthread -ldl

# Lookup order (test_lookup.sh): kpl-lookup runs with libkpl-shim.so
# preloaded; its liblookup.so.1 needs liblkdep.so.1, then liblkalt.so.1,
# which both define dep_ver in other versions, each by a version script.
IT_LK_LIB = $(CC) $(IT_LIBFLAGS) -shared -Wl,--build-id -Wl,-soname,$(@F) \
	-Wl,--version-script,$(word 2,$^) -o $@ $<
$(IT_DIR)/liblkdep.so.1: $(IT_FIX)/lookup_dep.c $(IT_FIX)/lookup_dep.map
	@mkdir -p $(@D)
	$(IT_LK_LIB)
$(IT_DIR)/liblkalt.so.1: $(IT_FIX)/lookup_alt.c $(IT_FIX)/lookup_alt.map
	@mkdir -p $(@D)
	$(IT_LK_LIB)
$(IT_DIR)/libkpl-shim.so: $(IT_FIX)/lookup_shim.c $(IT_FIX)/lookup_shim.map
	@mkdir -p $(@D)
	$(IT_LK_LIB)
$(IT_DIR)/liblookup.so.1: $(IT_FIX)/lookup_lib.c $(IT_DIR)/liblkdep.so.1 \
		$(IT_DIR)/liblkalt.so.1
	$(CC) $(IT_LIBFLAGS) -shared -Wl,--build-id -Wl,-soname,$(@F) -o $@ \
		$< -Wl,--no-as-needed $(IT_DIR)/liblkdep.so.1 \
		$(IT_DIR)/liblkalt.so.1 -Wl,-rpath,'$$ORIGIN'
# A plugin kpl-lookup --plugin dlopens RTLD_LOCAL, with its own dependency.
$(IT_DIR)/liblkplugdep.so: $(IT_FIX)/lookup_plugdep.c
	@mkdir -p $(@D)
	$(CC) $(IT_LIBFLAGS) -shared -Wl,--build-id -Wl,-soname,$(@F) -o $@ $<
$(IT_DIR)/liblkplug.so: $(IT_FIX)/lookup_plug.c $(IT_DIR)/liblkplugdep.so
	$(CC) $(IT_LIBFLAGS) -shared -Wl,--build-id -Wl,-soname,$(@F) -o $@ \
		$< -Wl,--no-as-needed $(IT_DIR)/liblkplugdep.so \
		-Wl,-rpath,'$$ORIGIN'
$(IT_DIR)/kpl-lookup: $(IT_FIX)/lookup.c $(IT_DIR)/liblookup.so.1 \
		$(IT_DIR)/libkpl-shim.so $(IT_DIR)/liblkplug.so
	$(CC) -O2 -g -Wall -Wextra $(WERROR) -o $@ $< \
		$(IT_DIR)/liblookup.so.1 -Wl,--export-dynamic-symbol=lk_hook \
		-Wl,-rpath,'$$ORIGIN'

# Exceptions through patch code (test_eh.sh): a C library whose
# callback throws, and its C++ host.
$(IT_DIR)/libthru.so.1: $(IT_FIX)/thru.c
	@mkdir -p $(@D)
	$(CC) $(IT_LIBFLAGS) -shared -Wl,--build-id -Wl,-soname,libthru.so.1 \
		-o $@ $<
$(IT_DIR)/kpl-thru: $(IT_FIX)/thru_host.cc $(IT_DIR)/libthru.so.1
	$(CXX) -O2 -g -Wall -Wextra $(WERROR) -o $@ $< $(IT_DIR)/libthru.so.1 \
		-Wl,-rpath,'$$ORIGIN' -lpthread

$(IT_DIR)/%.o: $(IT_FIX)/%.c
	@mkdir -p $(@D)
	$(CC) $(IT_FIXFLAGS) -c -o $@ $<

KPLBUILD := $(BUILD)/release/kpl-build

# Patches that carry their unwind tables (test_unwind.sh).
$(IT_DIR)/spin_unw_fix.o $(IT_DIR)/spin_scaled_fix.o $(IT_DIR)/thru_fix.o \
	$(IT_DIR)/spin_perf_fix.o: IT_FIXFLAGS += -fasynchronous-unwind-tables
$(IT_DIR)/spin_perf_fix.o: $(IT_FIX)/spin_fix.c

# Every patch is signed with the test key (tests/build/keys.mk).
define it_patch
$(IT_DIR)/$(1).kpl: $(IT_DIR)/$(2).o $(IT_FIX)/$(3).manifest $(4) $(KPLBUILD) \
		$(KPL_TEST_KEY)
	$(KPLBUILD) pack --lib $(4) --manifest $(IT_FIX)/$(3).manifest \
		--key $(KPL_TEST_KEY) -o $$@ $(IT_DIR)/$(2).o
endef
$(eval $(call it_patch,spin10,spin_fix,spin10,$(IT_DIR)/libspin.so.1))
$(eval $(call it_patch,spin1,spin_fix,spin1,$(IT_DIR)/libspin.so.1))
$(eval $(call it_patch,spin_cve,spin_fix,spin_cve,$(IT_DIR)/libspin.so.1))
$(eval $(call it_patch,spin_fix2,spin_fix2,spin_fix2,$(IT_DIR)/libspin.so.1))
$(eval $(call it_patch,spin_replace,spin_fix2,spin_replace,$(IT_DIR)/libspin.so.1))
$(eval $(call it_patch,spin_local,spin_local,spin_local,$(IT_DIR)/libspin.so.1))
$(eval $(call it_patch,spin_hold,spin_hold_fix,spin_hold,$(IT_DIR)/libspin.so.1))
$(eval $(call it_patch,spin_fork,spin_fix,spin_fork,$(IT_DIR)/libspin.so.1))
$(eval $(call it_patch,spin_read,spin_read_fix,spin_read,$(IT_DIR)/libspin.so.1))
$(eval $(call it_patch,spin_unw,spin_unw_fix,spin_unw,$(IT_DIR)/libspin.so.1))
$(eval $(call it_patch,spin_scaled,spin_scaled_fix,spin_scaled,$(IT_DIR)/libspin.so.1))
$(eval $(call it_patch,spin_perf,spin_perf_fix,spin_perf,$(IT_DIR)/libspin.so.1))
$(eval $(call it_patch,spin_missing,spin_missing,spin_missing,$(IT_DIR)/libspin.so.1))
$(eval $(call it_patch,spin_crash,spin_crash,spin_crash,$(IT_DIR)/libspin.so.1))
$(eval $(call it_patch,spin_wrongbuild,spin_fix,spin1,$(IT_DIR)/other/libspin.so.1))
$(eval $(call it_patch,thru,thru_fix,thru,$(IT_DIR)/libthru.so.1))
$(eval $(call it_patch,lookup,lookup_fix,lookup,$(IT_DIR)/liblookup.so.1))
$(eval $(call it_patch,lookup_old,lookup_fix_old,lookup_old,$(IT_DIR)/liblookup.so.1))
$(eval $(call it_patch,lookup_plug,lookup_plug_fix,lookup_plug,$(IT_DIR)/liblkplug.so))
# bench-fleet's patch: its own id, so that its `kpl revert --all` cannot
# touch a test's SPIN-10 in any other process on the machine.
$(eval $(call it_patch,fleet10,spin_fix,fleet10,$(IT_DIR)/libspin.so.1))

# A change to libmwcss whose functions throw, catch and clean up
# (test_cxx_exc.sh), built by `kpl-build build` from its diff as the CSS
# fixes are (tests/targets/patches/patches.mk).
$(IT_DIR)/css_exc.kpl: $(IT_FIX)/css_exc.diff $(MWCSS_SRCS) $(MWCSS_HDRS) \
		$(MW_OUT)/libmwcss.so $(KPLBUILD) $(KPL_TEST_KEY)
	@mkdir -p $(@D)
	$(KPLBUILD) build -q --lib $(MW_OUT)/libmwcss.so \
		--sources '$(MW_DIR)/libmwcss/*.cc' --cflags '$(MWCSS_CXXFLAGS)' \
		--cc $(CXX) --diff $< --id CSS-EXC --version 1 \
		--description "libmwcss: errors that throw, catch and clean up in patch code" \
		--key $(KPL_TEST_KEY) -o $@

IT_PATCHES := $(addprefix $(IT_DIR)/,spin10.kpl spin1.kpl spin_cve.kpl spin_fix2.kpl \
	spin_replace.kpl spin_local.kpl spin_hold.kpl spin_missing.kpl \
	spin_read.kpl spin_fork.kpl spin_unw.kpl spin_scaled.kpl spin_perf.kpl \
	spin_wrongbuild.kpl lookup.kpl lookup_old.kpl lookup_plug.kpl \
	thru.kpl spin_crash.kpl css_exc.kpl)

.PHONY: it-fixtures check-integration
it-fixtures: $(IT_DIR)/kpl-spin $(IT_DIR)/kpl-harness $(IT_PATCHES) \
	$(IT_DIR)/kpl-victim $(IT_DIR)/kpl-sigstorm $(IT_DIR)/kpl-evil \
	$(IT_DIR)/kpl-forker $(IT_DIR)/kpl-lookup $(IT_DIR)/kpl-mdwe \
	$(IT_DIR)/kpl-thru $(IT_DIR)/kpl-cfiwait \
	$(BUILD)/asan/kpl

# The long suites run in their own target, check-long, which .ci/run
# runs right after make check (make check's target is 20 minutes on 2
# cores): the 150-cycle soak and the 200 apply/revert cycles of spin and
# of the C++ fixes under load (about 6 minutes), and check-buildsys
# (tests/build/build.mk: real autotools and CMake builds, twice each,
# with the ASan kpl-build; 5 to 15 minutes).
IT_LONG := tests/integration/test_soak.sh tests/integration/test_cycles.sh
IT_ALL := $(sort $(wildcard tests/integration/test_*.sh))
IT_ENV = KPL=$(BUILD)/asan/kpl IT_DIR=$(IT_DIR) MW_BIN=$(BUILD)/targets \
	KPL_BENCH=$(BUILD)/release/kpl-bench KPLD=$(BUILD)/asan/kpld \
	MW_PATCHES=$(BUILD)/patches KPL_KEYS=$(KPL_KEYS) \
	MW_BUILT=$(BUILD)/built KPLBUILD=$(BUILD)/asan/kpl-build
IT_DEPS = it-fixtures mw-patches $(BUILD)/targets/miniweb-server \
	test-keys $(BUILD)/asan/kpl-build $(BUILD)/asan/kpld \
	$(BUILD)/release/kpl-bench

.PHONY: check-long check-long-run
check-integration: $(IT_DEPS)
	@$(IT_ENV) sh tests/integration/run.sh $(filter-out $(IT_LONG),$(IT_ALL))

check-long: deps
	@$(MAKE) --no-print-directory check-long-run

check-long-run: check-long-it check-buildsys

.PHONY: check-long-it
check-long-it: $(IT_DEPS)
	@$(IT_ENV) sh tests/integration/run.sh $(IT_LONG)

CHECK_TARGETS += check-integration

# The soak: 10,000 cycles with the release kpl, as users run
# it; make check-long runs the same script with 150 cycles and the ASan kpl.
.PHONY: soak
soak: deps
	@$(MAKE) --no-print-directory soak-run

.PHONY: soak-run
soak-run: it-fixtures mw-patches $(BUILD)/targets/miniweb-server test-keys \
		$(BUILD)/release/kpl
	@KPL=$(BUILD)/release/kpl IT_DIR=$(IT_DIR) MW_BIN=$(BUILD)/targets \
		MW_PATCHES=$(BUILD)/patches KPL_KEYS=$(KPL_KEYS) \
		KPL_SOAK_CYCLES=$${KPL_SOAK_CYCLES:-10000} \
		sh tests/integration/run.sh tests/integration/test_soak.sh
