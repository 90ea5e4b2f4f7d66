# SPDX-License-Identifier: GPL-2.0
# make install [PREFIX=/usr/local] [DESTDIR=]: the release binaries,
# libkpl with its headers, man pages, the systemd unit for kpld and a
# commented kpld.conf (never overwriting an existing one), and kpl.pc
# for pkg-config.  `make release` builds what install installs (and
# nothing else: debian/rules uses both, see docs/packaging.md).

PREFIX  ?= /usr/local
DESTDIR ?=
BINDIR  := $(PREFIX)/bin
SBINDIR := $(PREFIX)/sbin
LIBDIR  := $(PREFIX)/lib
INCDIR  := $(PREFIX)/include/kpl
MANDIR  := $(PREFIX)/share/man
UNITDIR ?= $(PREFIX)/lib/systemd/system
# kpl-patch-sync and the patches that patch packages ship
# (kpl-patch-deb(1)); not multiarch: the patches name their library.
PKGLIBDIR ?= $(PREFIX)/lib/kpatch-lite
CONFDIR ?= /etc/kpatch-lite
# gdb reads every *.py here at start-up (Debian's gdb is built
# --with-system-gdbinit-dir=/etc/gdb/gdbinit.d): tools/gdb/kpl.py.
GDBINITDIR ?= /etc/gdb/gdbinit.d
PCDIR   ?= $(LIBDIR)/pkgconfig
# The version kpl.pc announces; debian/changelog carries the same one.
KPL_VERSION ?= 0.1.0

INSTALL_BINS := $(BUILD)/release/kpl $(BUILD)/release/kpl-build \
	$(BUILD)/release/kpld $(BUILD)/release/libkpl.so.0 \
	$(BUILD)/release/libkpl.a

.PHONY: release install uninstall check-install
release: $(INSTALL_BINS)

install: $(INSTALL_BINS)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SBINDIR) \
		$(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCDIR) $(DESTDIR)$(PCDIR) \
		$(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man8 \
		$(DESTDIR)$(UNITDIR) $(DESTDIR)$(CONFDIR)/keys \
		$(DESTDIR)$(PKGLIBDIR)/patches $(DESTDIR)$(GDBINITDIR)
	install -m 0644 tools/gdb/kpl.py $(DESTDIR)$(GDBINITDIR)/kpatch-lite.py
	install -m 0755 $(BUILD)/release/kpl $(BUILD)/release/kpl-build \
		packaging/kpl-patch-deb $(DESTDIR)$(BINDIR)/
	install -m 0755 packaging/kpl-patch-sync $(DESTDIR)$(PKGLIBDIR)/
	install -m 0755 $(BUILD)/release/kpld $(DESTDIR)$(SBINDIR)/
	install -m 0755 $(BUILD)/release/libkpl.so.0 $(DESTDIR)$(LIBDIR)/
	ln -sf libkpl.so.0 $(DESTDIR)$(LIBDIR)/libkpl.so
	install -m 0644 $(BUILD)/release/libkpl.a $(DESTDIR)$(LIBDIR)/
	install -m 0644 userland/include/kpl/*.h $(DESTDIR)$(INCDIR)/
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
		-e 's|@INCLUDEDIR@|$(PREFIX)/include|' \
		-e 's|@VERSION@|$(KPL_VERSION)|' packaging/kpl.pc.in \
		> $(DESTDIR)$(PCDIR)/kpl.pc
	install -m 0644 docs/man/kpl-build.1 docs/man/kpl-patch-deb.1 \
		$(DESTDIR)$(MANDIR)/man1/
	install -m 0644 docs/man/kpl.8 docs/man/kpld.8 $(DESTDIR)$(MANDIR)/man8/
	sed 's|@SBINDIR@|$(SBINDIR)|' packaging/kpld.service \
		> $(DESTDIR)$(UNITDIR)/kpld.service
	test -e $(DESTDIR)$(CONFDIR)/kpld.conf || \
		install -m 0644 packaging/kpld.conf $(DESTDIR)$(CONFDIR)/kpld.conf

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/kpl $(DESTDIR)$(BINDIR)/kpl-build \
		$(DESTDIR)$(BINDIR)/kpl-patch-deb \
		$(DESTDIR)$(PKGLIBDIR)/kpl-patch-sync \
		$(DESTDIR)$(MANDIR)/man1/kpl-patch-deb.1 \
		$(DESTDIR)$(SBINDIR)/kpld $(DESTDIR)$(LIBDIR)/libkpl.so.0 \
		$(DESTDIR)$(LIBDIR)/libkpl.so $(DESTDIR)$(LIBDIR)/libkpl.a \
		$(DESTDIR)$(MANDIR)/man1/kpl-build.1 \
		$(DESTDIR)$(MANDIR)/man8/kpl.8 $(DESTDIR)$(MANDIR)/man8/kpld.8 \
		$(DESTDIR)$(UNITDIR)/kpld.service $(DESTDIR)$(PCDIR)/kpl.pc \
		$(DESTDIR)$(GDBINITDIR)/kpatch-lite.py
	rm -rf $(DESTDIR)$(INCDIR)
	-rmdir $(DESTDIR)$(PKGLIBDIR)/patches $(DESTDIR)$(PKGLIBDIR)

# Install into a scratch DESTDIR and check that what landed works: the
# installed kpl runs, the header compiles on its own, a program linked
# through kpl.pc (with libkpl.so, then with libkpl.a) runs, the unit
# names the installed kpld, the config parses, the man pages render.
check-install:
	@d=$$(mktemp -d) && trap 'rm -rf $$d' EXIT && \
	$(MAKE) --no-print-directory install DESTDIR=$$d PREFIX=/usr \
		UNITDIR=/lib/systemd/system >/dev/null && \
	$$d/usr/bin/kpl --help >/dev/null && \
	$$d/usr/bin/kpl-patch-deb --help >/dev/null && \
	sh -n $$d/usr/lib/kpatch-lite/kpl-patch-sync && \
	echo '#include <kpl/kpl.h>' | $(CC) -fsyntax-only -I$$d/usr/include -x c - && \
	lib=$$(dirname $$(find $$d -name libkpl.so.0)) && \
	pc=$(PKG_CONFIG) && export PKG_CONFIG_SYSROOT_DIR=$$d \
		PKG_CONFIG_PATH=$$lib/pkgconfig PKG_CONFIG_ALLOW_SYSTEM_CFLAGS=1 \
		PKG_CONFIG_ALLOW_SYSTEM_LIBS=1 && \
	printf '%s\n' '#include <kpl/kpl.h>' '#include <string.h>' \
		'int main(void) { return strcmp(kpl_strerror(-KPL_E_VERSION), "") == 0; }' \
		>$$d/pc.c && \
	$(CC) -o $$d/pc-shared $$d/pc.c $$($$pc --cflags --libs kpl) && \
	LD_LIBRARY_PATH=$$lib $$d/pc-shared && \
	$(CC) -o $$d/pc-static $$d/pc.c $$($$pc --cflags kpl) \
		$$lib/libkpl.a $$($$pc --static --libs-only-l kpl | sed 's/-lkpl //') && \
	$$d/pc-static && \
	grep -q '^ExecStart=/usr/sbin/kpld ' $$d/lib/systemd/system/kpld.service && \
	$$d/usr/sbin/kpld -c $$d/etc/kpatch-lite/kpld.conf --help >/dev/null && \
	{ ! command -v gdb >/dev/null || gdb -nx -batch \
		-iex "source $$d/etc/gdb/gdbinit.d/kpatch-lite.py" \
		-ex 'help kpl-symbols' 2>&1 | grep -q 'live patches'; } && \
	for m in $$d/usr/share/man/man*/*; do \
		man -l $$m >/dev/null 2>&1 || { echo "check-install: $$m does not render"; exit 1; }; done && \
	echo "check-install: 1 passed, 0 failed"

CHECK_TARGETS += check-install
