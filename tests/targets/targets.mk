# SPDX-License-Identifier: GPL-2.0
# tests/targets: libminiweb.so (the live-patching target), libmwcss.so
# (its C++ half), miniweb-server, their tests, and one fixed build per
# diff in fixes/.  Included by the
# top-level Makefile; also works alone:
#   make -f tests/targets/targets.mk BUILD=build targets check-targets

BUILD ?= build

MW_DIR := tests/targets
MW_OUT := $(BUILD)/targets
MW_WERROR := $(if $(filter undefined,$(origin WERROR)),-Werror,$(WERROR))

# Debian's default hardening, plus a section per function and object so a
# patch builder can compare builds function by function.
MW_HARDEN := -O2 -g -fstack-protector-strong -fcf-protection \
	-D_FORTIFY_SOURCE=2 -ffunction-sections -fdata-sections
MW_WARN := -std=gnu11 -Wall -Wextra $(MW_WERROR) -D_GNU_SOURCE
MW_LIB_CFLAGS := $(MW_HARDEN) $(MW_WARN) -fPIC -fvisibility=hidden
MW_LIB_LDFLAGS := -shared -Wl,--build-id -Wl,-soname,libminiweb.so.1 \
	-Wl,-z,relro
# RUNPATH (not RPATH), so LD_LIBRARY_PATH can swap in a fixed build.
MW_APP_CFLAGS := $(MW_HARDEN) $(MW_WARN) -fPIE -pthread \
	-I$(MW_DIR)/libminiweb -I$(MW_DIR)/libmwcss
MW_APP_LDFLAGS := -pie -pthread -Wl,-z,relro -Wl,--enable-new-dtags \
	-Wl,-rpath,'$$ORIGIN' -L$(MW_OUT) -l:libminiweb.so

# libmwcss.so, C++: the flags a Debian package build gets from
# dpkg-buildflags (its hardening defaults; the file-prefix map, which
# names the build directory, left out), plus what a patch builder wants.
CXX ?= g++
MWCSS_DPKG := $(shell dpkg-buildflags --get CPPFLAGS 2>/dev/null) \
	$(filter-out -ffile-prefix-map=%,$(shell dpkg-buildflags --get CXXFLAGS 2>/dev/null))
MWCSS_CXXFLAGS := $(or $(strip $(MWCSS_DPKG)),-Wdate-time -D_FORTIFY_SOURCE=2 \
	-g -O2 -fstack-protector-strong -Wformat -Werror=format-security) \
	-fcf-protection -ffunction-sections -fdata-sections -std=gnu++17 \
	-Wall -Wextra $(MW_WERROR) -fPIC -fvisibility=hidden
MWCSS_LDFLAGS := -shared -Wl,--build-id -Wl,-soname,libmwcss.so.1 \
	$(or $(shell dpkg-buildflags --get LDFLAGS 2>/dev/null),-Wl,-z,relro)
MWCSS_NAMES := values sheet parser api
MWCSS_SRCS := $(MWCSS_NAMES:%=$(MW_DIR)/libmwcss/%.cc)
MWCSS_HDRS := $(MW_DIR)/libmwcss/mwcss.h $(MW_DIR)/libmwcss/css.h
MWCSS_OBJS := $(MWCSS_NAMES:%=$(MW_OUT)/obj/css/%.o)

MW_LIB_NAMES := core entities tokenizer host url expr style
MW_LIB_SRCS := $(MW_LIB_NAMES:%=$(MW_DIR)/libminiweb/%.c)
MW_LIB_HDRS := $(MW_DIR)/libminiweb/miniweb.h $(MW_DIR)/libminiweb/internal.h
MW_LIB_OBJS := $(MW_LIB_NAMES:%=$(MW_OUT)/obj/lib/%.o)

MW_SRV_NAMES := main worker http handlers
MW_SRV_OBJS := $(MW_SRV_NAMES:%=$(MW_OUT)/obj/server/%.o)
MW_SRV_HDRS := $(MW_DIR)/server/server.h $(MW_DIR)/libminiweb/miniweb.h \
	$(MW_DIR)/libmwcss/mwcss.h

MW_FIXES := $(sort $(basename $(notdir $(wildcard $(MW_DIR)/fixes/MW-*.diff))))
MWCSS_FIXES := $(sort $(basename $(notdir $(wildcard $(MW_DIR)/fixes/CSS-*.diff))))
MW_FIX_LIBS := $(MW_FIXES:%=$(MW_OUT)/fix-%/libminiweb.so) \
	$(MW_OUT)/fix-all/libminiweb.so \
	$(MWCSS_FIXES:%=$(MW_OUT)/fix-%/libmwcss.so) \
	$(MW_OUT)/fix-all-css/libmwcss.so
MW_TESTS := $(MW_OUT)/test-miniweb $(MW_OUT)/mw-exploit

ALL_TARGETS += $(MW_OUT)/libminiweb.so $(MW_OUT)/libmwcss.so \
	$(MW_OUT)/miniweb-server
CHECK_TARGETS += check-targets

.PHONY: targets targets-fixes check-targets

targets: $(MW_OUT)/libminiweb.so $(MW_OUT)/libmwcss.so \
	$(MW_OUT)/miniweb-server $(MW_TESTS)

targets-fixes: $(MW_FIX_LIBS)

$(MW_OUT)/obj/lib/%.o: $(MW_DIR)/libminiweb/%.c $(MW_LIB_HDRS)
	@mkdir -p $(@D)
	$(CC) $(MW_LIB_CFLAGS) -c $< -o $@

$(MW_OUT)/libminiweb.so: $(MW_LIB_OBJS)
	$(CC) $(MW_LIB_CFLAGS) $(MW_LIB_LDFLAGS) $^ -o $@
	ln -sf libminiweb.so $(MW_OUT)/libminiweb.so.1

$(MW_OUT)/obj/css/%.o: $(MW_DIR)/libmwcss/%.cc $(MWCSS_HDRS)
	@mkdir -p $(@D)
	$(CXX) $(MWCSS_CXXFLAGS) -c $< -o $@

$(MW_OUT)/libmwcss.so: $(MWCSS_OBJS)
	$(CXX) $(MWCSS_CXXFLAGS) $(MWCSS_LDFLAGS) $^ -o $@
	ln -sf libmwcss.so $(MW_OUT)/libmwcss.so.1

$(MW_OUT)/obj/server/%.o: $(MW_DIR)/server/%.c $(MW_SRV_HDRS)
	@mkdir -p $(@D)
	$(CC) $(MW_APP_CFLAGS) -c $< -o $@

$(MW_OUT)/miniweb-server: $(MW_SRV_OBJS) $(MW_OUT)/libminiweb.so \
		$(MW_OUT)/libmwcss.so
	$(CC) $(MW_SRV_OBJS) $(MW_APP_LDFLAGS) -l:libmwcss.so -o $@

$(MW_OUT)/obj/tests/%.o: $(MW_DIR)/tests/%.c $(MW_DIR)/libminiweb/miniweb.h
	@mkdir -p $(@D)
	$(CC) $(MW_APP_CFLAGS) -c $< -o $@

$(MW_OUT)/test-miniweb: $(MW_OUT)/obj/tests/test_miniweb.o \
		$(MW_OUT)/libminiweb.so
	$(CC) $< $(MW_APP_LDFLAGS) -o $@

$(MW_OUT)/mw-exploit: $(MW_OUT)/obj/tests/mw_exploit.o $(MW_OUT)/libminiweb.so
	$(CC) $< $(MW_APP_LDFLAGS) -o $@

# A fixed build: sources copied, the diff(s) applied with patch -p1.
$(MW_OUT)/fix-%/libminiweb.so: $(MW_DIR)/fixes/%.diff $(MW_LIB_SRCS) \
		$(MW_LIB_HDRS) $(MW_DIR)/tests/build-variant.sh
	CC="$(CC)" MW_LIB_CFLAGS="$(MW_LIB_CFLAGS)" \
	MW_LIB_LDFLAGS="$(MW_LIB_LDFLAGS)" \
		sh $(MW_DIR)/tests/build-variant.sh $(@D) $<

$(MW_OUT)/fix-all/libminiweb.so: $(MW_FIXES:%=$(MW_DIR)/fixes/%.diff) \
		$(MW_LIB_SRCS) $(MW_LIB_HDRS) $(MW_DIR)/tests/build-variant.sh
	CC="$(CC)" MW_LIB_CFLAGS="$(MW_LIB_CFLAGS)" \
	MW_LIB_LDFLAGS="$(MW_LIB_LDFLAGS)" \
		sh $(MW_DIR)/tests/build-variant.sh $(@D) \
		$(MW_FIXES:%=$(MW_DIR)/fixes/%.diff)

MWCSS_VARIANT = CC="$(CXX)" MW_LIB_CFLAGS="$(MWCSS_CXXFLAGS)" \
	MW_LIB_LDFLAGS="$(MWCSS_LDFLAGS)" MW_VARIANT_LIB=libmwcss \
	sh $(MW_DIR)/tests/build-variant.sh
$(MW_OUT)/fix-%/libmwcss.so: $(MW_DIR)/fixes/%.diff $(MWCSS_SRCS) \
		$(MWCSS_HDRS) $(MW_DIR)/tests/build-variant.sh
	$(MWCSS_VARIANT) $(@D) $<

$(MW_OUT)/fix-all-css/libmwcss.so: $(MWCSS_FIXES:%=$(MW_DIR)/fixes/%.diff) \
		$(MWCSS_SRCS) $(MWCSS_HDRS) $(MW_DIR)/tests/build-variant.sh
	$(MWCSS_VARIANT) $(@D) $(MWCSS_FIXES:%=$(MW_DIR)/fixes/%.diff)

# (a) normal behaviour, ELF properties and the shipped bugs; (b) each fix;
# (c) libmwcss's ELF properties and fixes; (d) the server with the shipped
# libraries, then with all fixes.
check-targets: targets targets-fixes
	@echo "check-targets: library"
	@sh $(MW_DIR)/tests/check-lib.sh $(MW_OUT)/libminiweb.so
	@$(MW_OUT)/test-miniweb
	@set -e; for id in $(MW_FIXES); do \
		$(MW_OUT)/mw-exploit --expect vulnerable $$id \
			$(MW_DIR)/exploits/$$id.html; \
	done
	@sh $(MW_DIR)/tests/check-fixes.sh $(MW_OUT) $(MW_FIXES)
	@sh $(MW_DIR)/tests/check-css.sh $(MW_OUT) $(MWCSS_FIXES)
	@sh $(MW_DIR)/tests/server-test.sh $(MW_OUT) vulnerable
	@sh $(MW_DIR)/tests/server-test.sh $(MW_OUT) fixed \
		$(MW_OUT)/fix-all:$(MW_OUT)/fix-all-css
	@echo "check-targets: all passed"
