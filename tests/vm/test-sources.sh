#!/bin/bash
# VM test: ranges that are not NFIT NVDIMMs are claimable like them.
# 1. A legacy e820 pmem range (memmap=512M!1G, served by nd_e820) next to
#    an NVDIMM: claim both, create a namespace in each, data round-trips
#    through daxio, names are unique across the two regions.
# 2-3. A virtio-pmem-pci device 4 KiB off a sub-section boundary (the stock
#    nd_pmem cannot map it: "misaligned"): claim, create, write; moved by
#    another 8 KiB on the next boot, assemble brings the namespace back with
#    identical data.
. "$(dirname "$0")/testlib.sh"
require_build

step "1. e820 pmem (memmap=512M!0x40000000) and an NVDIMM"
vm e820 --mem 3G --append 'memmap=512M!0x40000000' \
	--nvdimm "$WORK/nv0.img,size=512M,addr=0x100000000" -- bash -c '
	set -e
	. tests/vm/lib.sh
	re=$(vm_region_at 0x40000000) rn=$(vm_region_at 0x100000000)
	grep -q "40000000-5fffffff : Persistent Memory (legacy)" /proc/iomem
	devmemctl claim "$re" >/dev/null
	devmemctl claim "$rn" >/dev/null
	for r in "$re" "$rn"; do
		j=$(devmemctl create-namespace -r "$r" -s 48M -M mem -n "ns-$r")
		dev=/dev/$(jq -r .chardev <<<"$j")
		head -c 48M /dev/urandom >/tmp/d
		daxio -i /tmp/d -o "$dev" -l 48M 2>/dev/null
		daxio -i "$dev" -o /tmp/b -l 48M 2>/dev/null
		cmp /tmp/d /tmp/b
		echo "$r: $dev, 48 MiB round trip ok"
	done
	if devmemctl create-namespace -r "$rn" -s 4M -n "ns-$re" 2>/tmp/err; then
		echo "a name from the e820 region was reused" >&2; exit 1
	fi
	grep -q "already used in $re" /tmp/err
	devmemctl list -R | jq -e "[.[] | select(.claimed)] | length == 2" >/dev/null'

step "2. virtio-pmem at 0x100001000: claim, create, write"
vm vp1 --virtio-pmem "$WORK/vp.img,size=512M,addr=0x100001000" --shared "$WORK" -- bash -c '
	set -e
	. tests/vm/lib.sh
	r=$(vm_region_at 0x100001000)
	test "$(cat /sys/bus/nd/devices/ndbus*/provider)" = virtio-pmem
	devmemctl claim "$r" >/dev/null
	if devmemctl create-namespace -r "$r" -s 64M -m fsdax 2>/tmp/err; then
		echo "fsdax created on virtio-pmem" >&2; exit 1
	fi
	cat /tmp/err
	grep -q "is virtio-pmem: .*use -m devdax" /tmp/err
	test "$(devmemctl list -N)" = "[]"
	j=$(devmemctl create-namespace -r "$r" -s 64M -M dev -n vp)
	jq -c "{chardev, size, map, align_effective}" <<<"$j"
	head -c 64M /dev/urandom >/tmp/d
	daxio -i /tmp/d -o "/dev/$(jq -r .chardev <<<"$j")" -l 64M 2>/dev/null
	sha256sum </tmp/d >"$1/vp.sum"' _ "$WORK"

step "3. moved to 0x100003000: assemble, read back"
vm vp2 --virtio-pmem "$WORK/vp.img,size=512M,addr=0x100003000" --shared "$WORK" -- bash -c '
	set -e
	devmemctl assemble >/dev/null
	j=$(devmemctl list -N -n vp)
	jq -c ".[0] | {chardev, size, state}" <<<"$j"
	daxio -i "/dev/$(jq -r ".[0].chardev" <<<"$j")" -o /tmp/b -l 64M 2>/dev/null
	test "$(sha256sum </tmp/b)" = "$(cat "$1/vp.sum")"
	echo "64 MiB read back identical after the move"' _ "$WORK"
echo PASS
