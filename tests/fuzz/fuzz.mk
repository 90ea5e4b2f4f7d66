# SPDX-License-Identifier: GPL-2.0
# The fuzzers, built with clang's libFuzzer and run briefly by `make
# check` (check-fuzz): each starts from a seed corpus of real patches
# and mutates it for FUZZ_SECONDS.  Not a search for new bugs, which
# takes hours (`make fuzz-run FUZZ_SECONDS=3600`), but proof that every
# fuzzer builds, links and survives its seeds and a few thousand
# mutations: a fuzzer nobody builds rots.
#
#   fuzz_patch_parse   kpl_patch__parse() on any bytes (a .kpl file)
#
# libkpl is compiled again with clang for them (ASan and UBSan with
# libFuzzer's coverage), into $(FUZZ_DIR)/libkpl.a: gcc's ASan runtime
# and clang's do not mix.  Crashes are written to $(FUZZ_DIR)/crash-*.

FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 5
FUZZ_DIR     := $(BUILD)/fuzz
FUZZ_SRCS    := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS    := $(patsubst tests/fuzz/%.c,$(FUZZ_DIR)/%,$(FUZZ_SRCS))
FUZZ_CFLAGS  := -std=gnu11 -g -O1 -D_GNU_SOURCE -Wall -Wextra $(WERROR) \
	-Wno-missing-field-initializers -Iinclude -Iuserland/include \
	-Iuserland/lib $(PKG_CFLAGS) -fsanitize=address,undefined \
	-fno-sanitize-recover=all
FUZZ_LIB_OBJS := $(patsubst %.c,$(FUZZ_DIR)/%.o,$(LIBKPL_SRCS))
# The seeds: patches the integration tests build, signed and not.
FUZZ_SEEDS   := $(IT_DIR)/spin1.kpl $(IT_DIR)/spin10.kpl \
	$(IT_DIR)/spin_local.kpl $(IT_DIR)/spin_replace.kpl

$(FUZZ_DIR)/%.o: %.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@

$(FUZZ_DIR)/libkpl.a: $(FUZZ_LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(FUZZ_BINS): $(FUZZ_DIR)/%: tests/fuzz/%.c $(FUZZ_DIR)/libkpl.a
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -MMD -MP -o $@ $< \
		$(FUZZ_DIR)/libkpl.a $(PKG_LIBS) -lpthread

-include $(FUZZ_LIB_OBJS:.o=.d) $(FUZZ_BINS:=.d)

.PHONY: fuzz check-fuzz fuzz-run
fuzz: $(FUZZ_BINS)

# Each fuzzer mutates a fresh copy of the seeds (libFuzzer adds what it
# finds to its first corpus directory), with a fixed seed.
check-fuzz fuzz-run: $(FUZZ_BINS) $(FUZZ_SEEDS)
	@for f in $(FUZZ_BINS); do \
		c=$(FUZZ_DIR)/corpus/$$(basename $$f); \
		rm -rf $$c && mkdir -p $$c && cp $(FUZZ_SEEDS) $$c/ || exit 1; \
		$$f -seed=1 -max_total_time=$(FUZZ_SECONDS) -timeout=10 \
			-artifact_prefix=$(FUZZ_DIR)/ $$c \
			>$(FUZZ_DIR)/$$(basename $$f).log 2>&1; rc=$$?; \
		tail -n 1 $(FUZZ_DIR)/$$(basename $$f).log; \
		if [ $$rc -ne 0 ]; then \
			tail -n 40 $(FUZZ_DIR)/$$(basename $$f).log; \
			echo "$@: $$(basename $$f) failed (exit $$rc)" >&2; \
			exit 1; \
		fi; \
	done
	@echo "$@: $(words $(FUZZ_BINS)) fuzzer(s) ran $(FUZZ_SECONDS) s each"

CHECK_TARGETS += check-fuzz
