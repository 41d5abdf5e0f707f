#!/bin/bash
# VM test: region identity comes from the on-media layout, not from the
# kernel's regionN number, the DIMM's slot or the label-area size.
# Boot 1 creates four namespaces on a labelled DIMM A and a label-less
# DIMM B (tests/vm/guest/move-create.sh). Boot 2 swaps the DIMMs' slots
# (B first) and moves both by 4 KiB. Boot 3 inserts a blank DIMM C in
# front of both (slot 0, lowest address) and doubles A's label area (its
# region shrinks by 128 KiB at the end). After each `devmemctl assemble`
# every namespace is back with the same name, uuid, size and /dev/daxN.M,
# and identical data; C is left alone. Boot 3 also checks that a name used
# in one region is refused in another.
. "$(dirname "$0")/testlib.sh"
require_build

A=$WORK/nvA.img B=$WORK/nvB.img C=$WORK/nvC.img

step "1. A (labelled, 4 GiB) and B (label-less, 6 GiB): create and fill"
vm boot1 --nvdimm "$A,size=1G,addr=0x100000000,label-size=128K" \
	--nvdimm "$B,size=512M,addr=0x180000000" --shared "$WORK" -- \
	tests/vm/guest/move-create.sh "$WORK" 0x100000000 0x180000000

step "2. slots swapped (B in slot 0), both moved by 4 KiB"
vm boot2 --nvdimm "$B,size=512M,addr=0x100001000" \
	--nvdimm "$A,size=1G,addr=0x140001000,label-size=128K" \
	--shared "$WORK" -- tests/vm/guest/move-verify.sh "$WORK" boot2

step "3. blank C inserted in front, A's label area 128 KiB -> 256 KiB"
truncate -s 256M "$C"
sum_c=$(sha256sum <"$C")
vm boot3 --nvdimm "$C,size=256M,addr=0x100000000" \
	--nvdimm "$A,size=1G,addr=0x110003000,label-size=256K" \
	--nvdimm "$B,size=512M,addr=0x150005000" --shared "$WORK" -- bash -c '
	set -e
	tests/vm/guest/move-verify.sh "$1" boot3
	. tests/vm/lib.sh
	rc=$(vm_region_at 0x100000000)
	# C holds no layout: assemble left it to the kernel, unclaimed
	test "$(devmemctl list -R | jq -r ".[] | select(.dev == \"$rc\") | .claimed")" = false
	ra=$(vm_region_at 0x110003000)
	# "gamma" lives in B: the same name in A is refused, naming both
	if devmemctl create-namespace -r "$ra" -s 4M -n gamma 2>"$1/clash.err"; then
		echo "a second gamma was created" >&2; exit 1
	fi
	cat "$1/clash.err"
	grep -q "gamma" "$1/clash.err"
	grep -q "already used in region" "$1/clash.err"' _ "$WORK"
[ "$(sha256sum <"$C")" = "$sum_c" ] || fail "assemble wrote to the blank DIMM C"
echo PASS
