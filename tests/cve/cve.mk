# SPDX-License-Identifier: GPL-2.0
# make check-cve: the CVE corpus (tests/cve/README.md), as root: for each
# case, the real fix built by kpl-build deb from the Debian source
# package with that fix left out, and patched live into Debian's python3
# under load, then reverted.  Sources and builds are cached in
# $(BUILD)/cve/cache: a cold run builds every package once (minutes), so
# it is not part of `make check`; .ci/run runs it after check-deb-src.
# CVE_CASES='DIR ...' runs only those cases.  make demo-cve runs one
# (CVE_DEMO_CASE), saying what happens as it happens.  KPL_LOCK=FILE
# holds FILE (flock) while a live process is patched.  The sanitized
# kpl-build runs the builds; the plain one is their compiler wrapper
# (KPL_BUILD_WRAPPER: a sanitized start-up at each of the builds'
# compiler runs costs about 0.1 s of CPU; see tests/cve/README.md).

CVE_DEMO_CASE ?= zlib-CVE-2022-37434
CVE_ENV = KB=$(BUILD)/asan/kpl-build KPL=$(BUILD)/asan/kpl KPL_KEYS=$(KPL_KEYS) \
	OUT=$(BUILD)/cve KPL_LOCK=$(KPL_LOCK) \
	KPL_BUILD_WRAPPER=$(BUILD)/release/kpl-build
CVE_DEPS = $(BUILD)/asan/kpl-build $(BUILD)/release/kpl-build \
	$(BUILD)/asan/kpl $(KPL_TEST_KEY)

.PHONY: check-cve check-cve-long demo-cve
check-cve: $(CVE_DEPS)
	@$(CVE_ENV) CVE_CASES='$(CVE_CASES)' sh tests/cve/check-cve.sh

# Every case, the long ones (sqlite3's cold build, libpng's) too.
check-cve-long: $(CVE_DEPS)
	@$(CVE_ENV) CVE_CASES='$(CVE_CASES)' CVE_LONG=1 sh tests/cve/check-cve.sh

demo-cve: $(CVE_DEPS)
	@$(CVE_ENV) CVE_CASES='$(CVE_DEMO_CASE)' CVE_DEMO=1 \
		sh tests/cve/check-cve.sh
