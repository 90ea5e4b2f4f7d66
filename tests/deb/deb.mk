# SPDX-License-Identifier: GPL-2.0
# make check-deb: build the Debian packages from a copy of the tree,
# lintian them, install them here, apply and revert a patch with the
# installed kpl, build the module through DKMS against $(KVER) and boot
# that module in the VM, then purge (tests/deb/check-deb.sh; as root).
# It takes several minutes, so it is not part of `make check`: .ci/run
# runs it after.  KPL_LOCK=FILE holds FILE (flock) while the packages
# are installed and a live process is patched.

.PHONY: check-deb
check-deb: $(IT_DIR)/kpl-spin $(IT_DIR)/spin10.kpl $(IT_DIR)/spin1.kpl \
		$(KPL_TEST_KEY)
	@BUILD=$(BUILD) KVER=$(KVER) KPL_LOCK=$(KPL_LOCK) sh tests/deb/check-deb.sh
