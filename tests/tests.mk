# SPDX-License-Identifier: GPL-2.0
# Integration tests, the demo and the benchmarks hook in here.
include tests/integration/integration.mk
include tests/targets/patches/patches.mk
