# devmem: kernel module, library and CLI. See README.md.
#   make            build kmod/devmem.ko, libdevmem and devmemctl, and the
#                   P2P API sample kmod/samples/devmem-ivshmem.ko
#   make demo       the main job: stock ndctl vs devmem in a VM (installs deps)
#   make check      unit tests + VM tests (installs deps)
#   make check-fuzz run each libFuzzer target FUZZ_TIME seconds (default 60)
#   make check-powercut  the power-cut test over every cut point of every
#                   metadata update, plus tears inside pieces (make check
#                   runs a subset); DEVMEM_POWERCUT_CUTS="create:7 ..."
#                   picks others (docs/reliability.md)
#   make check-matrix  the full reboot matrix, regenerates docs/reboot-matrix.md
#   make bench      devmem vs stock in a VM: docs/performance.md, docs/perf/

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
# libdevmem loads libndctl and libkmod with dlopen() on first use (ctx.c,
# module.c): libdevmem.so and devmemctl link neither, so a process start
# does not load them (nor libdaxctl, libudev, libcrypto, zstd, lzma)
DL_LIBS = $(shell pkg-config --libs $(filter-out libndctl libkmod,$(LIB_PKGS)) 2>/dev/null)
CLI_LIBS = $(shell pkg-config --libs $(filter-out libndctl libkmod,$(PKGS)) 2>/dev/null)

LIB_PURE := libdevmem/format.c libdevmem/layout.c
LIB_SYS := $(filter-out $(LIB_PURE),$(wildcard libdevmem/*.c))
LIB_OBJS := $(patsubst %.c,%.o,$(LIB_PURE) $(LIB_SYS))
LIB_SONAME := libdevmem.so.1
CLI_OBJS := $(patsubst %.c,%.o,$(wildcard cli/*.c))
UNIT_TESTS := $(patsubst %.c,%,$(wildcard tests/unit/test-*.c))

all: kmod samples lib cli

.PHONY: all kmod samples lib cli deps check check-unit check-vm check-fuzz \
	check-powercut check-matrix demo bench clean distclean

deps:
	@scripts/deps

kmod:
	@test -d "$(KDIR)" || { echo "no kernel headers at KDIR=$(KDIR); run 'make deps'" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR)/kmod modules

# another out-of-tree module using the exported API, as a driver would
samples: kmod
	$(MAKE) -C $(KDIR) M=$(CURDIR)/kmod/samples \
		KBUILD_EXTRA_SYMBOLS=$(CURDIR)/kmod/Module.symvers modules

lib: libdevmem/libdevmem.a libdevmem/$(LIB_SONAME) libdevmem/libdevmem.pc

libdevmem/%.o: libdevmem/%.c libdevmem/*.h include/uapi/linux/devmem.h
	$(CC) $(CPPFLAGS) $(WARN) $(CFLAGS) -fPIC $(PKG_CFLAGS) -c -o $@ $<

libdevmem/libdevmem.a: $(LIB_OBJS)
	$(AR) rcs $@ $^

libdevmem/$(LIB_SONAME): $(LIB_OBJS) libdevmem/libdevmem.sym
	$(CC) -shared -Wl,-soname,$(LIB_SONAME) \
		-Wl,--version-script=libdevmem/libdevmem.sym -o $@ $(LIB_OBJS) $(DL_LIBS)
	ln -sf $(LIB_SONAME) libdevmem/libdevmem.so

libdevmem/libdevmem.pc: libdevmem/libdevmem.pc.in
	sed -e 's,@PREFIX@,$(or $(PREFIX),/usr/local),' $< > $@

cli: cli/devmemctl

cli/%.o: cli/%.c cli/*.h libdevmem/*.h include/uapi/linux/devmem.h
	$(CC) $(CPPFLAGS) $(WARN) $(CFLAGS) $(PKG_CFLAGS) -c -o $@ $<

cli/devmemctl: $(CLI_OBJS) libdevmem/libdevmem.a
	$(CC) -o $@ $(CLI_OBJS) libdevmem/libdevmem.a $(CLI_LIBS)

tests/unit/test-%: tests/unit/test-%.c tests/unit/*.h $(LIB_PURE) libdevmem/*.h
	$(CC) $(CPPFLAGS) $(WARN) $(CFLAGS) -o $@ $< $(LIB_PURE) -lcmocka

tests/kmod/ioctl-test: tests/kmod/ioctl-test.c include/uapi/linux/devmem.h
	$(CC) $(CPPFLAGS) $(WARN) $(CFLAGS) -o $@ $<

# seeded random-argument ioctl fuzzer and the mapped-writer helper of
# tests/vm/test-stress.sh
tests/kmod/ioctl-fuzz: tests/kmod/ioctl-fuzz.c include/uapi/linux/devmem.h
	$(CC) $(CPPFLAGS) $(WARN) $(CFLAGS) -o $@ $<

tests/vm/guest/stress-writer: tests/vm/guest/stress-writer.c
	$(CC) $(WARN) $(CFLAGS) -o $@ $<

tests/kmod/dax-stamp: tests/kmod/dax-stamp.c
	$(CC) $(WARN) $(CFLAGS) -o $@ $<

tests/kmod/dax-fault: tests/kmod/dax-fault.c
	$(CC) $(WARN) $(CFLAGS) -o $@ $<

tests/kmod/p2p-user: tests/kmod/p2p-user.c kmod/samples/devmem-ivshmem.h
	$(CC) $(CPPFLAGS) -Ikmod/samples $(WARN) $(CFLAGS) -o $@ $<

CLI_TESTS := $(wildcard tests/cli/test-*.sh tests/lint/test-*.sh) \
	tests/fuzz/test-fuzz-regress.sh
VM_TESTS := $(wildcard tests/vm/test-*.sh)
# the programs the VM tests run in the guest
VM_TOOLS := tests/kmod/ioctl-test tests/kmod/p2p-user tests/kmod/dax-stamp \
	tests/kmod/dax-fault tests/kmod/ioctl-fuzz tests/vm/guest/stress-writer
FUZZ_REPLAY := tests/fuzz/replay-meta tests/fuzz/replay-layout tests/fuzz/replay-cli

# corpus + crash reproducers of the fuzz targets, replayed in make check
$(FUZZ_REPLAY): tests/fuzz/*.c tests/fuzz/*.h libdevmem/*.c libdevmem/*.h cli/*.c cli/*.h
	$(MAKE) -C tests/fuzz REPLAY_CC=$(CC) $(@F)

check-unit: $(UNIT_TESTS) cli $(FUZZ_REPLAY)
	@tests/run-tests $(UNIT_TESTS) $(CLI_TESTS)

check-vm: all $(VM_TOOLS)
	@tests/run-tests $(VM_TESTS)

check-fuzz: deps
	@$(MAKE) --no-print-directory -C tests/fuzz run

check-powercut: all
	@DEVMEM_POWERCUT_CUTS=$${DEVMEM_POWERCUT_CUTS:-all tears} tests/run-tests tests/vm/test-powercut.sh

check-matrix: all
	@tests/vm/reboot-matrix --report docs/reboot-matrix.md $(MATRIX_ARGS)

check: deps
	@$(MAKE) --no-print-directory all $(UNIT_TESTS) $(FUZZ_REPLAY) $(VM_TOOLS)
	@tests/run-tests $(UNIT_TESTS) $(CLI_TESTS) $(VM_TESTS)

demo: deps
	@$(MAKE) --no-print-directory all
	@tests/vm/demo

bench/bench-tool: bench/bench-tool.c include/uapi/linux/devmem.h
	$(CC) $(CPPFLAGS) $(WARN) $(CFLAGS) -o $@ $<

# bench/make-bench: bench/run (one VM, every part) + a 16 GiB bring-up VM,
# then bench/report
bench: deps
	@$(MAKE) --no-print-directory all bench/bench-tool
	@bench/make-bench

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR)/kmod clean 2>/dev/null
	-$(MAKE) -C $(KDIR) M=$(CURDIR)/kmod/samples clean 2>/dev/null
	rm -f libdevmem/*.o libdevmem/*.a libdevmem/*.so* libdevmem/*.pc \
		cli/*.o cli/devmemctl $(UNIT_TESTS) $(VM_TOOLS) bench/bench-tool
	-$(MAKE) -C tests/fuzz clean
	rm -rf build/test-logs

distclean: clean
	rm -rf build

# make install, uninstall, man, dkms-install: see install.mk
include install.mk
