#!/bin/bash
# Guest side of test-p2p.sh: the devmem P2P API through the devmem-ivshmem
# sample on QEMU's ivshmem-plain. Prints KEY=VALUE lines on stdout, which
# the host checks (test-p2p.sh); fails itself only when a step cannot run.
# Needs an ivshmem-plain device (BAR2 16 MiB) and two label-less NVDIMMs
# (/dev/pmem0 for O_DIRECT, region1 for an fsdax namespace).
set -euo pipefail
trap 'echo "guest FAIL line $LINENO: $BASH_COMMAND" >&2' ERR

U=tests/kmod/p2p-user
say() { echo "$*" >&2; }
kv() { sed "s/^/$1_/"; } # prefix the helper's KEY=VALUE lines
meminfo() { awk -v k="$1:" '$1 == k { print $2 }' /proc/meminfo; }

say "1. the sample binds and runs its checks on the pages"
insmod kmod/devmem.ko
insmod kmod/samples/devmem-ivshmem.ko
dev=$(basename "$(readlink -f /sys/bus/pci/drivers/devmem_ivshmem/0000:*)")
echo "pci_dev=$dev"
$U info | tee /tmp/info.txt | kv info
bar=$(sed -n 's/^bar_phys=//p' /tmp/info.txt)
echo "iomem=$(grep -c devmem_ivshmem /proc/iomem)"

say "2. mmap, pin_user_pages, O_DIRECT read into and write from the mapping"
$U io /dev/pmem0 | kv io

say "3. error cases give the documented errno"
try() { $U try "$2" "$3" "$4" | kv "$1"; }
try ram 1 0x1000000 0x1000             # System RAM (16 MiB)
try unaligned 1 $((bar + 0x200001)) 0x1000
try unaligned_size 1 $((bar + 0x201000)) 0x800
try empty 1 $((bar + 0x201000)) 0
try overlap 1 $((bar + 0x1000)) 0x100000    # the probe's own range
try subsection 1 $((bar + 0x101000)) 0x1000 # no byte shared, a sub-section is
try outside_bar 1 $((bar + 0xfff000)) 0x2000
# each registered range holds a reference on devmem.ko
echo "refcnt_before=$(cat /sys/module/devmem/refcnt)"
try keep 3 $((bar + 0x401000)) 0x1000
echo "refcnt_kept=$(cat /sys/module/devmem/refcnt)"
try keep_overlap 1 $((bar + 0x400000)) 0x1000
try drop 4 0 0
echo "refcnt_dropped=$(cat /sys/module/devmem/refcnt)"
try after_drop 1 $((bar + 0x400000)) 0x1000
# another driver's pgmap: an fsdax namespace on the second NVDIMM
ndctl create-namespace -f -e namespace1.0 -m fsdax -M mem >/dev/null
nv1=$(cat /sys/bus/nd/devices/region1/resource)
try foreign_pgmap 1 $((nv1 + 0x200000)) 0x1000
# every page of the range and none of its sub-section slack is handed out;
# unregister with pages allocated is refused
try exhaust 2 $((bar + 0x801000)) 0x7000

say "4. 1,000 register/unregister cycles: MemFree and slab before and after"
$U loop 20 $((bar + 0x601000)) 0x200000 >/dev/null # warm up caches
sync
echo 3 >/proc/sys/vm/drop_caches
echo "leak_memfree_before=$(meminfo MemFree)"
echo "leak_slab_before=$(meminfo Slab)"
echo "leak_sunreclaim_before=$(meminfo SUnreclaim)"
$U loop 1000 $((bar + 0x601000)) 0x200000 | kv leak
sync
echo 3 >/proc/sys/vm/drop_caches
echo "leak_memfree_after=$(meminfo MemFree)"
echo "leak_slab_after=$(meminfo Slab)"
echo "leak_sunreclaim_after=$(meminfo SUnreclaim)"

say "5. teardown with pages allocated and a live user mapping"
$U hold 60 >/tmp/hold.txt &
pid=$!
for _ in $(seq 100); do
	grep -q mapped /tmp/hold.txt && break
	sleep 0.1
done
echo "hold_$(head -n1 /tmp/hold.txt)"
if rmmod devmem_ivshmem 2>/tmp/rmmod.err; then
	echo "rmmod_sample_mapped=ok"
else
	echo "rmmod_sample_mapped=refused"
fi
if rmmod devmem 2>/dev/null; then
	echo "rmmod_devmem_in_use=ok"
else
	echo "rmmod_devmem_in_use=refused"
fi
echo "$dev" >/sys/bus/pci/drivers/devmem_ivshmem/unbind
rc=0
wait "$pid" || rc=$?
echo "hold_rc=$rc"
sed 's/^/hold_/' /tmp/hold.txt | tail -n +2
echo "unbind_log=$(dmesg | grep -c 'mappings revoked, range unregistered: 0')"
rmmod devmem_ivshmem && echo "rmmod_sample_after=ok"

say "6. rmmod with pages allocated (no user), then devmem itself"
# elsewhere in the BAR, so that the host still finds the first probe's bytes
insmod kmod/samples/devmem-ivshmem.ko offset=0xa01000
[ -e "/sys/bus/pci/drivers/devmem_ivshmem/$dev" ] && echo "rebind=1"
rmmod devmem_ivshmem && echo "rmmod_sample_allocated=ok"
echo "unbind_log2=$(dmesg | grep -c 'mappings revoked, range unregistered: 0')"
rmmod devmem && echo "rmmod_devmem=ok"
