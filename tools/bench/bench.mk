# SPDX-License-Identifier: GPL-2.0
# Benchmarks: `make bench`.  Not tests: nothing here asserts on a time.
#
#   bench-ptrace   pause and apply time of the ptrace backend on kpl-spin
#                  targets: 1, 4, 16, 64 threads whose main thread spins
#                  (patches of 1 and 10 functions) and 8 threads that all
#                  spin (BENCH_BUSY); table on stdout,
#                  $(BENCH_OUT)/ptrace.json, plots beside it
#   bench-fleet    kpl apply --all / revert --all on many idle processes
#   bench-kmod     kpl-bench in a QEMU guest (tools/vm/vm.mk's VM_RUN), with
#                  ptrace and with kmod: build/bench/ptrace-vm.json and
#                  kmod.json, printed in one table beside the host's
#                  ptrace.json (in the VM, compare ratios only)
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

.PHONY: bench-kmod
# Fewer runs than on the host: under TCG one run takes about a second.
BENCH_VM_RUNS ?= 7
BENCH_VM_THREADS ?= 1,4,16,64
BENCH_VM_JSON = sed -n '/^KPL-BENCH-JSON-BEGIN $(1)$$/,/^KPL-BENCH-JSON-END $(1)$$/p' \
	$(VM_OUT)/bench-kmod.clean.log | sed '1d;$$d' >$(BUILD)/bench/$(2)

# After bench-ptrace, so the table has the host's figures too; under the
# same lock, so nothing else runs on the two cores meanwhile.
bench-kmod: bench-ptrace module $(BUILD)/release/kpl-bench $(BUILD)/release/kpl \
		$(BUILD)/it/kpl-spin $(BUILD)/it/spin1.kpl $(BUILD)/it/spin10.kpl
	@mkdir -p $(BUILD)/bench
	@flock $(BUILD)/bench/.lock $(VM_RUN) --name bench-kmod --out $(VM_OUT) \
		--kernel $(VM_KERNEL) --timeout 1800 --module $(KPL_KO) \
		--bin $(BUILD)/release/kpl-bench --bin $(BUILD)/release/kpl \
		--bin $(BUILD)/it/kpl-spin \
		--file $(BUILD)/it/spin1.kpl:/root/spin1.kpl \
		--file $(BUILD)/it/spin10.kpl:/root/spin10.kpl \
		$(if $(wildcard $(BUILD)/keys/trusted),--file $(BUILD)/keys/trusted:/root/keys) \
		--env BENCH_RUNS=$(BENCH_VM_RUNS) --env BENCH_THREADS=$(BENCH_VM_THREADS) \
		--env BENCH_REV='$(BENCH_REV)' tools/bench/vm-bench.sh \
		>$(BUILD)/bench/vm.out 2>&1 || { tail -n 30 $(BUILD)/bench/vm.out; exit 1; }
	@grep '^kpl-bench:' $(BUILD)/bench/vm.out || true
	@$(call BENCH_VM_JSON,ptrace,ptrace-vm.json)
	@$(call BENCH_VM_JSON,kmod,kmod.json)
	@awk -f tools/bench/table.awk $(wildcard $(BUILD)/bench/ptrace.json) \
		$(BUILD)/bench/ptrace-vm.json $(BUILD)/bench/kmod.json
	@echo "bench-kmod: results in $(BUILD)/bench/ptrace-vm.json and kmod.json" \
		"(the VM's; compare ratios, not times, with the host's)"

BENCH_TARGETS += bench-kmod
