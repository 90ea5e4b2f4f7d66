# SPDX-License-Identifier: GPL-2.0
# Integration tests, the demo and the benchmarks (tools/bench/bench.mk,
# which uses the integration fixtures) hook in here.
include tests/build/keys.mk
include tests/integration/integration.mk
include tests/targets/patches/patches.mk
include tests/build/build.mk
include tests/deb/deb.mk
include tests/fuzz/fuzz.mk
include tests/deb-src/deb-src.mk
include tests/cve/cve.mk
include tests/ansible/ansible.mk

.PHONY: demo-miniweb
demo-miniweb: $(BUILD)/targets/miniweb-server $(BUILD)/release/kpl mw-patches
	@BUILD=$(BUILD) KPL_TRUSTED=$(KPL_TRUSTED) sh tools/demo/demo.sh

DEMO_TARGETS += demo-miniweb
include tools/bench/bench.mk
