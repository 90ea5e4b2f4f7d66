# SPDX-License-Identifier: GPL-2.0
# The test signing key.  Every .kpl the build makes for tests, the demo
# and the benchmarks is signed with it, and kpl is pointed at the
# directory holding its public half (--keys $(KPL_TRUSTED)).  It is made
# afresh in each build tree and never committed.
#
#   $(KPL_TEST_KEY)         private key (PEM, 0600)
#   $(KPL_TRUSTED)/test.pub its public key, the only trusted one
#   $(KPL_KEYS)/other.key   a second key nobody trusts (wrong-key tests)

KPL_KEYS     := $(BUILD)/keys
KPL_TEST_KEY := $(KPL_KEYS)/test.key
KPL_OTHER_KEY := $(KPL_KEYS)/other.key
KPL_TRUSTED  := $(KPL_KEYS)/trusted

# Order-only on kpl-build: a rebuilt kpl-build must not change the key
# (and with it re-sign every patch).
$(KPL_TEST_KEY): | $(BUILD)/release/kpl-build
	@mkdir -p $(KPL_TRUSTED)
	@rm -f $(KPL_KEYS)/test.key $(KPL_KEYS)/test.pub
	$(BUILD)/release/kpl-build keygen -o $(KPL_KEYS)/test
	cp $(KPL_KEYS)/test.pub $(KPL_TRUSTED)/test.pub

$(KPL_OTHER_KEY): | $(BUILD)/release/kpl-build
	@mkdir -p $(KPL_KEYS)
	@rm -f $(KPL_KEYS)/other.key $(KPL_KEYS)/other.pub
	$(BUILD)/release/kpl-build keygen -o $(KPL_KEYS)/other

.PHONY: test-keys
test-keys: $(KPL_TEST_KEY) $(KPL_OTHER_KEY)
