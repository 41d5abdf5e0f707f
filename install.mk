# make install / uninstall / dkms-install / man. Included by the Makefile.
#   make install [DESTDIR=/stage] [PREFIX=/usr/local] [BINDIR=...] [LIBDIR=...]
#   make uninstall (same variables): removes exactly the files install wrote
#   make install-files: print them, one a line
# With DESTDIR set nothing outside DESTDIR is touched (no depmod, no
# ldconfig, no udevadm). The udev rule and the systemd unit go where udev
# and systemd read them (pkg-config udev/systemd, else /lib/...), not under
# PREFIX: /usr/local/lib/udev is read by nobody.

VERSION := $(shell sed -n 's/^\#define DEVMEMCTL_VERSION "\(.*\)"/\1/p' cli/devmemctl.h)
PREFIX ?= /usr/local
EXEC_PREFIX ?= $(PREFIX)
BINDIR ?= $(EXEC_PREFIX)/bin
SBINDIR ?= $(EXEC_PREFIX)/sbin
LIBDIR ?= $(EXEC_PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
DATADIR ?= $(PREFIX)/share
MANDIR ?= $(DATADIR)/man
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
# bash-completion also reads $XDG_DATA_DIRS/bash-completion/completions,
# and /usr/local/share is in XDG_DATA_DIRS by default
BASHCOMPDIR ?= $(DATADIR)/bash-completion/completions
UDEVDIR ?= $(or $(shell pkg-config --variable=udevdir udev 2>/dev/null),/lib/udev)
UDEVRULESDIR ?= $(UDEVDIR)/rules.d
SYSTEMDUNITDIR ?= $(or $(shell pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null),/lib/systemd/system)
# modprobe.d of the distribution (kmod reads it, like /etc/modprobe.d)
MODPROBEDIR ?= /lib/modprobe.d
MODDIR ?= /lib/modules/$(KVER)/extra
DKMSSRCDIR ?= /usr/src/devmem-$(VERSION)

MAN_SRC := $(wildcard docs/man/*.md)
MAN_PAGES := $(patsubst docs/man/%.md,build/man/%.8,$(MAN_SRC))

INST_MAN = $(patsubst build/man/%,$(MANDIR)/man8/%,$(MAN_PAGES))
INST_FILES = $(BINDIR)/devmemctl \
	$(LIBDIR)/libdevmem.so.1 $(LIBDIR)/libdevmem.so $(LIBDIR)/libdevmem.a \
	$(INCLUDEDIR)/libdevmem.h $(INCLUDEDIR)/linux/devmem.h \
	$(PKGCONFIGDIR)/libdevmem.pc $(INST_MAN) \
	$(UDEVRULESDIR)/80-devmem.rules $(SYSTEMDUNITDIR)/devmem-assemble@.service \
	$(BASHCOMPDIR)/devmemctl $(MODDIR)/devmem.ko $(MODPROBEDIR)/devmem.conf

# DESTDIR set: stage only; unset: also refresh the module and library caches
REAL_INSTALL = $(if $(DESTDIR),,1)

.PHONY: man install uninstall install-files dkms-install dkms-uninstall

man: $(MAN_PAGES)

build/man/%.8: docs/man/%.md scripts/md2man scripts/md2man.lua cli/devmemctl.h
	@mkdir -p build/man
	scripts/md2man $< $@ $(VERSION)

# @BINDIR@ and friends in the udev rule, the unit and the pkg-config file
SUBST = sed -e 's,@BINDIR@,$(BINDIR),g' -e 's,@VERSION@,$(VERSION),g' \
	-e 's,@PREFIX@,$(PREFIX),g' -e 's,^libdir=.*,libdir=$(LIBDIR),' \
	-e 's,^includedir=.*,includedir=$(INCLUDEDIR),'

install: all man
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR) $(DESTDIR)$(PKGCONFIGDIR) \
		$(DESTDIR)$(INCLUDEDIR)/linux $(DESTDIR)$(MANDIR)/man8 \
		$(DESTDIR)$(UDEVRULESDIR) $(DESTDIR)$(SYSTEMDUNITDIR) \
		$(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(MODDIR) $(DESTDIR)$(MODPROBEDIR)
	install -m 755 cli/devmemctl $(DESTDIR)$(BINDIR)/devmemctl
	install -m 755 libdevmem/libdevmem.so.1 $(DESTDIR)$(LIBDIR)/libdevmem.so.1
	ln -sf libdevmem.so.1 $(DESTDIR)$(LIBDIR)/libdevmem.so
	install -m 644 libdevmem/libdevmem.a $(DESTDIR)$(LIBDIR)/libdevmem.a
	install -m 644 libdevmem/libdevmem.h $(DESTDIR)$(INCLUDEDIR)/libdevmem.h
	install -m 644 include/uapi/linux/devmem.h $(DESTDIR)$(INCLUDEDIR)/linux/devmem.h
	$(SUBST) libdevmem/libdevmem.pc.in >$(DESTDIR)$(PKGCONFIGDIR)/libdevmem.pc
	chmod 644 $(DESTDIR)$(PKGCONFIGDIR)/libdevmem.pc
	install -m 644 $(MAN_PAGES) $(DESTDIR)$(MANDIR)/man8/
	$(SUBST) udev/80-devmem.rules.in >$(DESTDIR)$(UDEVRULESDIR)/80-devmem.rules
	$(SUBST) udev/devmem-assemble@.service.in >$(DESTDIR)$(SYSTEMDUNITDIR)/devmem-assemble@.service
	chmod 644 $(DESTDIR)$(UDEVRULESDIR)/80-devmem.rules $(DESTDIR)$(SYSTEMDUNITDIR)/devmem-assemble@.service
	install -m 644 contrib/bash-completion/devmemctl $(DESTDIR)$(BASHCOMPDIR)/devmemctl
	install -m 644 kmod/devmem.ko $(DESTDIR)$(MODDIR)/devmem.ko
	install -m 644 udev/devmem-modprobe.conf $(DESTDIR)$(MODPROBEDIR)/devmem.conf
ifeq ($(REAL_INSTALL),1)
	depmod -a $(KVER)
	-ldconfig
	-udevadm control --reload 2>/dev/null
	-systemctl daemon-reload 2>/dev/null
endif

uninstall:
	rm -f $(addprefix $(DESTDIR),$(INST_FILES))
	-rmdir --ignore-fail-on-non-empty $(DESTDIR)$(MODDIR) $(DESTDIR)$(INCLUDEDIR)/linux 2>/dev/null
ifeq ($(REAL_INSTALL),1)
	-depmod -a $(KVER)
	-ldconfig
	-udevadm control --reload 2>/dev/null
	-systemctl daemon-reload 2>/dev/null
endif

install-files:
	@printf '%s\n' $(addprefix $(DESTDIR),$(INST_FILES))

# dkms: the module's source (kmod/ + the headers it includes) and
# dkms.conf under /usr/src/devmem-VERSION; then dkms add/build/install.
DKMS_SRC := dkms.conf $(filter-out %.mod.c,$(wildcard kmod/*.c)) $(wildcard kmod/*.h) kmod/Kbuild include/uapi/linux/devmem.h include/linux/devmem.h

dkms-install:
	install -d $(DESTDIR)$(DKMSSRCDIR)/kmod $(DESTDIR)$(DKMSSRCDIR)/include/uapi/linux \
		$(DESTDIR)$(DKMSSRCDIR)/include/linux
	sed -e 's,^PACKAGE_VERSION=.*,PACKAGE_VERSION="$(VERSION)",' dkms.conf >$(DESTDIR)$(DKMSSRCDIR)/dkms.conf
	install -m 644 $(filter kmod/%,$(DKMS_SRC)) $(DESTDIR)$(DKMSSRCDIR)/kmod/
	install -m 644 include/uapi/linux/devmem.h $(DESTDIR)$(DKMSSRCDIR)/include/uapi/linux/
	install -m 644 include/linux/devmem.h $(DESTDIR)$(DKMSSRCDIR)/include/linux/
ifeq ($(REAL_INSTALL),1)
	dkms add -m devmem -v $(VERSION)
	dkms install -m devmem -v $(VERSION) -k $(KVER)
endif

dkms-uninstall:
ifeq ($(REAL_INSTALL),1)
	-dkms remove -m devmem -v $(VERSION) --all
endif
	rm -rf $(DESTDIR)$(DKMSSRCDIR)

clean: clean-install
.PHONY: clean-install
clean-install:
	rm -rf build/man
