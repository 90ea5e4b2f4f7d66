# SPDX-License-Identifier: GPL-2.0
# Benchmarks: `make bench`.  Not tests: nothing here asserts on a time.
#
#   bench-ptrace   pause and apply time of the ptrace backend on kpl-spin
#                  targets: 1, 4, 16, 64 threads whose main thread spins
#                  (patches of 1 and 10 functions) and 8 threads that all
#                  spin (BENCH_BUSY); table on stdout,
#                  $(BENCH_OUT)/ptrace.json, plots beside it
#
# BENCH_RUNS=N (environment or command line) sets the runs per cell.
# BENCH_NICE=N (default -10): the priority everything runs at, so that
# other work on the machine stays out of the measured windows; on a
# quiet machine it changes nothing.  0 measures at normal priority.
# Every bench-* recipe runs its measurement under flock on
# $(BENCH_OUT)/.lock, so `make -j bench` never runs two side by side on
# the 2 cores they measure.

BENCH_OUT   := $(BUILD)/bench
BENCH_BIN   := $(BUILD)/release/kpl-bench
BENCH_SRCS  := $(sort $(wildcard tools/bench/*.c))
BENCH_RUNS  ?= 21
BENCH_BUSY  ?= 8
BENCH_FLEET_SIZES ?= 100 500 1000
BENCH_NICE  ?= -10
BENCH_REV   := $(shell git rev-parse --short HEAD 2>/dev/null)
BENCH_TABLE := awk -f tools/bench/table.awk
# The patches are signed with the test key when the build has one
# (tests/build/keys.mk); kpl then trusts only its public half.
BENCH_KEYS   = $(if $(KPL_TRUSTED),--apply-arg=--keys=$(KPL_TRUSTED))

$(BENCH_BIN): $(BENCH_SRCS) tools/bench/bench.h $(IT_FIX)/spin_shm.h
	@mkdir -p $(@D)
	$(CC) $(REL_CFLAGS) -I$(IT_FIX) -o $@ $(BENCH_SRCS)

.PHONY: bench-ptrace
bench-ptrace: $(BENCH_BIN) $(BUILD)/release/kpl $(IT_DIR)/kpl-spin \
		$(IT_DIR)/spin1.kpl $(IT_DIR)/spin10.kpl
	@mkdir -p $(BENCH_OUT)
	@flock $(BENCH_OUT)/.lock $(BENCH_BIN) --backend ptrace \
		--kpl $(BUILD)/release/kpl $(BENCH_KEYS) \
		--spin $(IT_DIR)/kpl-spin --threads 1,4,16,64 \
		--busy $(BENCH_BUSY) \
		--patch $(IT_DIR)/spin1.kpl --patch $(IT_DIR)/spin10.kpl \
		--runs $(BENCH_RUNS) --nice $(BENCH_NICE) --rev '$(BENCH_REV)' \
		--out $(BENCH_OUT)/ptrace.json
	@$(BENCH_TABLE) $(BENCH_OUT)/ptrace.json
	@echo "bench-ptrace: results in $(BENCH_OUT)/ptrace.json"
	@sh tools/bench/plot.sh $(BENCH_OUT)

BENCH_TARGETS += bench-ptrace

# bench-fleet: kpl apply --all / revert --all on 100, 500 and 1,000 idle
# processes (tools/bench/fleet.sh); BENCH_FLEET_SIZES="100 1000 10000"
# for other sizes (10,000 takes minutes).
.PHONY: bench-fleet
bench-fleet: $(BUILD)/release/kpl $(IT_DIR)/kpl-spin $(IT_DIR)/fleet10.kpl
	@mkdir -p $(BENCH_OUT)
	@flock $(BENCH_OUT)/.lock env KPL=$(BUILD)/release/kpl \
		SPIN=$(IT_DIR)/kpl-spin PATCH=$(IT_DIR)/fleet10.kpl \
		OUT=$(BENCH_OUT) KEYS='$(if $(KPL_TRUSTED),--keys $(KPL_TRUSTED))' \
		SIZES='$(BENCH_FLEET_SIZES)' \
		sh tools/bench/fleet.sh
	@sh tools/bench/plot.sh $(BENCH_OUT)

BENCH_TARGETS += bench-fleet
