# devmem: kernel module, library and CLI. See README.md.
#   make            build kmod/devmem.ko, libdevmem and devmemctl
#   make demo       the main job: stock ndctl vs devmem in a VM (installs deps)
#   make check      unit tests + VM tests (installs deps)
#   make check-matrix  the full reboot matrix, regenerates docs/reboot-matrix.md

KVER ?= $(shell scripts/kernel-version 2>/dev/null)
KDIR ?= /lib/modules/$(KVER)/build

CC ?= cc
CFLAGS ?= -O2 -g
WARN := -std=c11 -Wall -Wextra -Werror -D_GNU_SOURCE
CPPFLAGS += -Iinclude/uapi -Ilibdevmem
LIB_PKGS := libndctl libkmod uuid
PKGS := $(LIB_PKGS) json-c
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LIB_LIBS = $(shell pkg-config --libs $(LIB_PKGS) 2>/dev/null)
PKG_LIBS = $(shell pkg-config --libs $(PKGS) 2>/dev/null)

LIB_PURE := libdevmem/format.c libdevmem/layout.c
LIB_SYS := $(filter-out $(LIB_PURE),$(wildcard libdevmem/*.c))
LIB_OBJS := $(patsubst %.c,%.o,$(LIB_PURE) $(LIB_SYS))
LIB_SONAME := libdevmem.so.1
CLI_OBJS := $(patsubst %.c,%.o,$(wildcard cli/*.c))
UNIT_TESTS := $(patsubst %.c,%,$(wildcard tests/unit/test-*.c))

all: kmod lib cli

.PHONY: all kmod lib cli deps check check-unit check-vm check-matrix demo clean distclean

deps:
	@scripts/deps

kmod:
	@test -d "$(KDIR)" || { echo "no kernel headers at KDIR=$(KDIR); run 'make deps'" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR)/kmod modules

lib: libdevmem/libdevmem.a libdevmem/$(LIB_SONAME) libdevmem/libdevmem.pc

libdevmem/%.o: libdevmem/%.c libdevmem/*.h include/uapi/linux/devmem.h
	$(CC) $(CPPFLAGS) $(WARN) $(CFLAGS) -fPIC $(PKG_CFLAGS) -c -o $@ $<

libdevmem/libdevmem.a: $(LIB_OBJS)
	$(AR) rcs $@ $^

libdevmem/$(LIB_SONAME): $(LIB_OBJS) libdevmem/libdevmem.sym
	$(CC) -shared -Wl,-soname,$(LIB_SONAME) \
		-Wl,--version-script=libdevmem/libdevmem.sym -o $@ $(LIB_OBJS) $(LIB_LIBS)
	ln -sf $(LIB_SONAME) libdevmem/libdevmem.so

libdevmem/libdevmem.pc: libdevmem/libdevmem.pc.in
	sed -e 's,@PREFIX@,$(or $(PREFIX),/usr/local),' $< > $@

cli: cli/devmemctl

cli/%.o: cli/%.c cli/*.h libdevmem/*.h include/uapi/linux/devmem.h
	$(CC) $(CPPFLAGS) $(WARN) $(CFLAGS) $(PKG_CFLAGS) -c -o $@ $<

cli/devmemctl: $(CLI_OBJS) libdevmem/libdevmem.a
	$(CC) -o $@ $(CLI_OBJS) libdevmem/libdevmem.a $(PKG_LIBS)

tests/unit/test-%: tests/unit/test-%.c tests/unit/*.h $(LIB_PURE) libdevmem/*.h
	$(CC) $(CPPFLAGS) $(WARN) $(CFLAGS) -o $@ $< $(LIB_PURE) -lcmocka

tests/kmod/ioctl-test: tests/kmod/ioctl-test.c include/uapi/linux/devmem.h
	$(CC) $(CPPFLAGS) $(WARN) $(CFLAGS) -o $@ $<

CLI_TESTS := $(wildcard tests/cli/test-*.sh tests/lint/test-*.sh)
VM_TESTS := $(wildcard tests/vm/test-*.sh)

check-unit: $(UNIT_TESTS) cli
	@tests/run-tests $(UNIT_TESTS) $(CLI_TESTS)

check-vm: all tests/kmod/ioctl-test
	@tests/run-tests $(VM_TESTS)

check-matrix: all
	@tests/vm/reboot-matrix --report docs/reboot-matrix.md $(MATRIX_ARGS)

check: deps
	@$(MAKE) --no-print-directory all $(UNIT_TESTS) tests/kmod/ioctl-test
	@tests/run-tests $(UNIT_TESTS) $(CLI_TESTS) $(VM_TESTS)

demo: deps
	@$(MAKE) --no-print-directory all
	@tests/vm/demo

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR)/kmod clean 2>/dev/null
	rm -f libdevmem/*.o libdevmem/*.a libdevmem/*.so* libdevmem/*.pc \
		cli/*.o cli/devmemctl $(UNIT_TESTS) tests/kmod/ioctl-test
	rm -rf build/test-logs

distclean: clean
	rm -rf build
