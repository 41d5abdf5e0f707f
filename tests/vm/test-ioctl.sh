#!/bin/bash
# VM test: every devmem.ko ioctl with good and hostile input (wrong ABI,
# unaligned, overflowing, RAM, overlapping, out of window, busy teardown),
# on an NVDIMM placed 4 KiB off a sub-section boundary; a range nd_pmem
# owns; a caller without CAP_SYS_ADMIN; then rmmod. The guest kernel log
# must stay free of warnings.
. "$(dirname "$0")/testlib.sh"
require_build
[ -x "$TOP/tests/kmod/ioctl-test" ] || fail "tests/kmod/ioctl-test not built"

step "1. ioctl-test on region0 at 0x100001000, then module unload"
vm ioctl --nvdimm "$WORK/nv0.img,size=1G,addr=0x100001000" -- bash -c '
	set -e
	R=$(cat /sys/bus/nd/devices/region0/resource)
	S=$(cat /sys/bus/nd/devices/region0/size)
	test "$R" = 0x100001000
	insmod "$DEVMEM_KMOD"
	# nd_pmem owns the label-less namespace: the claim must be refused
	grep -q namespace0.0 /proc/iomem
	tests/kmod/ioctl-test --busy "$R" "$S"
	# the node is root-only; root without CAP_SYS_ADMIN gets EPERM
	test "$(stat -c %a /dev/devmem)" = 600
	setpriv --bounding-set=-sys_admin --inh-caps=-sys_admin \
		tests/kmod/ioctl-test --no-cap "$R" "$S"
	ndctl disable-region region0
	tests/kmod/ioctl-test "$R" "$S"
	rmmod devmem
	test ! -e /dev/devmem'
echo PASS
