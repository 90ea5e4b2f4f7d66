# SPDX-License-Identifier: GPL-2.0
# make check-deb-src: kpl-build deb end to end on Debian's zlib (as root):
# fetch and build the source package as Debian does, prove the rebuild is
# the installed, stripped libz, patch a live python3 using it, revert,
# and the refusals (tests/deb-src/check-deb-src.sh).  Downloads and the
# original build are cached in $(BUILD)/deb-src/cache: a cold run takes
# a few minutes, so it is not part of `make check`; .ci/run runs it
# after.  KPL_LOCK=FILE holds FILE (flock) while a live process is
# patched.  The plain kpl-build is the builds' compiler wrapper (see
# tests/cve/cve.mk).

.PHONY: check-deb-src
check-deb-src: $(BUILD)/asan/kpl-build $(BUILD)/release/kpl-build \
		$(BUILD)/asan/kpl $(KPL_TEST_KEY)
	@KB=$(BUILD)/asan/kpl-build KPL=$(BUILD)/asan/kpl KPL_KEYS=$(KPL_KEYS) \
		OUT=$(BUILD)/deb-src KPL_LOCK=$(KPL_LOCK) \
		KPL_BUILD_WRAPPER=$(abspath $(BUILD)/release/kpl-build) \
		sh tests/deb-src/check-deb-src.sh
