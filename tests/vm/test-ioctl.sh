#!/bin/bash
# VM test: every devmem.ko ioctl with good and hostile input (wrong ABI,
# unaligned, overflowing, RAM, overlapping, out of window, busy teardown),
# on an NVDIMM placed 4 KiB off a sub-section boundary; a range nd_pmem
# owns; a caller without CAP_SYS_ADMIN; then rmmod. The guest kernel log
# must stay free of warnings.
. "$(dirname "$0")/testlib.sh"
require_build
[ -x "$TOP/tests/kmod/ioctl-test" ] || fail "tests/kmod/ioctl-test not built"

step "1. ioctl-test on regions at 0x100001000 and 0x180000000, then module unload"
vm ioctl --nvdimm "$WORK/nv0.img,size=1G,addr=0x100001000" \
	--nvdimm "$WORK/nv1.img,size=512M,addr=0x180000000" -- bash -c '
	set -e
	. tests/vm/lib.sh
	R0=$(vm_region_at 0x100001000)
	R1=$(vm_region_at 0x180000000)
	S=$(cat "/sys/bus/nd/devices/$R0/size")
	insmod "$DEVMEM_KMOD"
	# nd_pmem owns the label-less namespace: the claim must be refused
	grep -q namespace.\.0 /proc/iomem
	tests/kmod/ioctl-test --busy 0x100001000 "$S"
	# the node is root-only; root without CAP_SYS_ADMIN gets EPERM
	test "$(stat -c %a /dev/devmem)" = 600
	setpriv --bounding-set=-sys_admin --inh-caps=-sys_admin \
		tests/kmod/ioctl-test --no-cap 0x100001000 "$S"
	ndctl disable-region "$R0"
	tests/kmod/ioctl-test 0x100001000 "$S"
	# a section-aligned region: a pgmap from offset 0 covers the metadata
	ndctl disable-region "$R1"
	tests/kmod/ioctl-test 0x180000000 "$(cat "/sys/bus/nd/devices/$R1/size")"
	rmmod devmem
	test ! -e /dev/devmem'
echo PASS
