#!/bin/bash
# VM test: ranges that are not NFIT NVDIMMs are claimable like them.
# A legacy e820 pmem range (memmap=512M!1G, served by nd_e820) next to an
# NVDIMM: claim both, create a namespace in each, data round-trips through
# daxio, names are unique across the two regions.
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
echo PASS
