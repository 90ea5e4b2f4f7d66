# SPDX-License-Identifier: GPL-2.0
# libkpl (the engine), kpl (the CLI), kpld (the daemon).  kpl-build's
# rules are in tools/kpl-build/kpl-build.mk.
# Every object is built twice: $(BUILD)/release and $(BUILD)/asan.

# The arch layer of the machine the compiler builds for: x86_64 builds
# arch/x86_64*.c; a port adds its own files there (docs/design.md).
KPL_ARCH := $(shell $(CC) -dumpmachine | cut -d- -f1)
LIBKPL_SRCS := $(sort $(wildcard userland/lib/*.c \
	userland/lib/arch/$(KPL_ARCH)*.c userland/lib/backend/*.c))
KPL_SRCS    := $(sort $(wildcard userland/cli/*.c))

VARIANTS := release asan
CFLAGS_release := $(REL_CFLAGS) -fPIC -fvisibility=hidden
CFLAGS_asan    := $(ASAN_CFLAGS) -fPIC -fvisibility=hidden
LDFLAGS_release :=
LDFLAGS_asan   := $(ASAN_LDFLAGS)

# kpl and kpld are clients of libkpl's public API, <kpl/*.h>, like any
# program linked with -lkpl: their objects see neither userland/lib (the
# engine's internal headers) nor include/ (the module's uapi, which only
# libkpl's kmod files speak).  `make check-layers` proves the compiler
# refuses every internal header there.  kpl-build still uses documented
# internal headers (elfobj.h, patch.h, sign.h, arch.h).
CLIENT_CFLAGS = $(filter-out -Iinclude,$(CFLAGS_$(1)))
KPLD_CFLAGS = $(call CLIENT_CFLAGS,$(1)) -I$(BPF_DIR) -Iuserland/daemon

define variant_rules
$(BUILD)/$(1)/%.o: %.c
	@mkdir -p $$(@D)
	$$(CC) $$(CFLAGS_$(1)) -Iuserland/lib -MMD -MP -c $$< -o $$@

$(BUILD)/$(1)/userland/cli/%.o: userland/cli/%.c
	@mkdir -p $$(@D)
	$$(CC) $$(call CLIENT_CFLAGS,$(1)) -MMD -MP -c $$< -o $$@

$(BUILD)/$(1)/libkpl.a: $$(patsubst %.c,$(BUILD)/$(1)/%.o,$$(LIBKPL_SRCS))
	@rm -f $$@
	ar rcs $$@ $$^

$(BUILD)/$(1)/kpl: $$(patsubst %.c,$(BUILD)/$(1)/%.o,$$(KPL_SRCS)) $(BUILD)/$(1)/libkpl.a
	$$(CC) $$(LDFLAGS_$(1)) $(EXE_LDFLAGS) -o $$@ $$^ $$(EXE_LIBS)

-include $$(patsubst %.c,$(BUILD)/$(1)/%.d,$$(LIBKPL_SRCS) $$(KPL_SRCS))
endef
$(foreach v,$(VARIANTS),$(eval $(call variant_rules,$(v))))

# The shared library for test harnesses: only kpl_* symbols marked
# KPL_API are exported (-fvisibility=hidden above).
$(BUILD)/release/libkpl.so.0: $(patsubst %.c,$(BUILD)/release/%.o,$(LIBKPL_SRCS))
	$(CC) -shared -Wl,-soname,libkpl.so.0 -o $@ $^ $(PKG_LIBS)

$(BUILD)/release/libkpl.so: $(BUILD)/release/libkpl.so.0
	ln -sf libkpl.so.0 $@

# kpld and its BPF programs, one object each (the hold, the watchdog) so
# that a kernel refusing one still runs the other: each skeleton is
# generated from its object, the object against the running kernel's BTF
# (CO-RE relocates it).
KPLD_SRCS := $(sort $(wildcard userland/daemon/*.c))
KPLD_SRCS := $(filter-out %.bpf.c,$(KPLD_SRCS))
BPF_DIR := $(BUILD)/bpf
KPLD_BPFS := $(BPF_DIR)/hold.bpf.o $(BPF_DIR)/watch.bpf.o
KPLD_SKELS := $(KPLD_BPFS:.bpf.o=.skel.h)

$(BPF_DIR)/vmlinux.h:
	@mkdir -p $(@D)
	bpftool btf dump file /sys/kernel/btf/vmlinux format c > $@.tmp
	mv $@.tmp $@

$(KPLD_BPFS): $(BPF_DIR)/%.bpf.o: userland/daemon/%.bpf.c userland/daemon/watch.h \
		userland/daemon/pidns.bpf.h $(BPF_DIR)/vmlinux.h
	clang -O2 -g -target bpf -D__TARGET_ARCH_x86 -Wall $(WERROR) \
		-I$(BPF_DIR) -Iuserland/daemon -c $< -o $@

$(KPLD_SKELS): $(BPF_DIR)/%.skel.h: $(BPF_DIR)/%.bpf.o
	bpftool gen skeleton $< name $*_bpf > $@.tmp
	mv $@.tmp $@

define kpld_rules
$(BUILD)/$(1)/userland/daemon/%.o: userland/daemon/%.c $(KPLD_SKELS)
	@mkdir -p $$(@D)
	$$(CC) $$(call KPLD_CFLAGS,$(1)) -MMD -MP -c $$< -o $$@

$(BUILD)/$(1)/kpld: $$(patsubst %.c,$(BUILD)/$(1)/%.o,$$(KPLD_SRCS)) $(BUILD)/$(1)/libkpl.a
	$$(CC) $$(LDFLAGS_$(1)) $(EXE_LDFLAGS) -o $$@ $$^ $$(EXE_LIBS)

-include $$(patsubst %.c,$(BUILD)/$(1)/%.d,$$(KPLD_SRCS))
endef
$(foreach v,$(VARIANTS),$(eval $(call kpld_rules,$(v))))

# Each of libkpl's internal headers, and the uapi, included with kpld's
# flags, must not be found there (a system header of the same name, such
# as GCC's unwind.h, may be); the public ones must compile.  kpl's flags
# are kpld's without its two directories: what kpld cannot see, kpl
# cannot either.
LAYER_PROBE := $(BUILD)/layers/probe.c
LIB_HEADERS := $(notdir $(wildcard userland/lib/*.h)) \
	$(patsubst userland/lib/%,%,$(wildcard userland/lib/backend/*.h)) \
	uapi/linux/kpatch_lite.h
PUBLIC_HEADERS := $(patsubst userland/include/%,%,\
	$(wildcard userland/include/kpl/*.h))

.PHONY: check-layers
check-layers:
	@mkdir -p $(dir $(LAYER_PROBE))
	@for h in $(LIB_HEADERS); do \
		printf '#include "%s"\n' "$$h" >$(LAYER_PROBE); \
		if $(CC) $(call KPLD_CFLAGS,release) -M $(LAYER_PROBE) \
				2>/dev/null | grep -q 'userland/lib/\|uapi/'; \
		then \
			echo "check-layers: kpld's flags let it include $$h"; \
			exit 1; \
		fi; \
	done
	@printf '#include "%s"\n' $(PUBLIC_HEADERS) kpld.h >$(LAYER_PROBE)
	@$(CC) $(call KPLD_CFLAGS,release) -fsyntax-only $(LAYER_PROBE) || \
		{ echo "check-layers: kpld cannot include the public API"; \
		  exit 1; }
	@echo "check-layers: kpl and kpld refuse $(words $(LIB_HEADERS))" \
		"internal headers, take $(words $(PUBLIC_HEADERS)) public ones"
	@python3 tools/callgraph.py --quiet \
		$(addprefix --allow ,$(CALLGRAPH_ALLOW)) $(CALLGRAPH_DIRS)
	@d=$(BUILD)/layers/circle; rm -rf $$d && mkdir -p $$d && \
	printf 'int b(void);\nint a(void)\n{\n\treturn b();\n}\n' >$$d/a.c && \
	printf 'int a(void);\nint b(void)\n{\n\treturn a();\n}\n' >$$d/b.c && \
	if python3 tools/callgraph.py --quiet $$d >/dev/null 2>&1; then \
		echo "check-layers: callgraph.py missed a.c <-> b.c"; exit 1; \
	fi
	@sh tools/check-arch.sh userland/lib
	@d=$(BUILD)/layers/arch; rm -rf $$d && mkdir -p $$d/arch && \
	printf 'struct user_regs_struct r;\n' >$$d/arch/x86_64.c && \
	printf 'int pc(void);\n' >$$d/ok.c && \
	sh tools/check-arch.sh $$d >/dev/null || \
		{ echo "check-layers: check-arch.sh refused arch/ itself"; \
		  exit 1; } && \
	printf 'long pc(struct r *r)\n{\n\treturn r->rip;\n}\n' >$$d/bad.c && \
	if sh tools/check-arch.sh $$d >/dev/null; then \
		echo "check-layers: check-arch.sh missed r->rip in bad.c"; \
		exit 1; \
	fi
	@echo "check-layers: no x86 name in userland/lib outside arch/"

# Who calls whom inside each component (tools/callgraph.py): a file that
# A calls must not call back into A.  The circles docs/design.md explains
# ("Layers") are allowed, and no other: check-layers fails on a new one.
# `make callgraph` prints every file's includes and callees.
CALLGRAPH_DIRS := kpatch-lite userland/lib userland/cli userland/daemon \
	tools/kpl-build tools/bench
CALLGRAPH_ALLOW := userland/lib:backend/ptrace.c,backend/ptrace_inject.c,backend/ptrace_call.c,backend/ptrace_map.c,backend/ptrace_chain.c

.PHONY: callgraph
callgraph:
	@python3 tools/callgraph.py $(addprefix --allow ,$(CALLGRAPH_ALLOW)) \
		$(CALLGRAPH_DIRS)

CHECK_TARGETS += check-layers

USERLAND_BINS := $(if $(KPL_SRCS),$(BUILD)/release/kpl $(BUILD)/asan/kpl) \
	$(BUILD)/release/kpld $(BUILD)/asan/kpld

.PHONY: userland
userland: $(BUILD)/release/libkpl.a $(BUILD)/asan/libkpl.a \
	$(BUILD)/release/libkpl.so $(USERLAND_BINS)

ALL_TARGETS += userland
