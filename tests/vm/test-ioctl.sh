#!/bin/bash
# VM test: every devmem.ko ioctl with good and hostile input (wrong ABI,
# unaligned, overflowing, RAM, overlapping, out of window, busy teardown),
# on an NVDIMM placed 4 KiB off a sub-section boundary; then rmmod. The
# guest kernel log must stay free of warnings.
. "$(dirname "$0")/testlib.sh"
require_build
[ -x "$TOP/tests/kmod/ioctl-test" ] || fail "tests/kmod/ioctl-test not built"

step "1. ioctl-test on region0 at 0x100001000, then module unload"
vm ioctl --nvdimm "$WORK/nv0.img,size=1G,addr=0x100001000" -- bash -c '
	set -e
	R=$(cat /sys/bus/nd/devices/region0/resource)
	S=$(cat /sys/bus/nd/devices/region0/size)
	test "$R" = 0x100001000
	ndctl disable-region region0
	insmod "$DEVMEM_KMOD"
	tests/kmod/ioctl-test "$R" "$S"
	rmmod devmem
	test ! -e /dev/devmem'
echo PASS
