#!/bin/bash
# VM test: bad input to every devmemctl command gives a clear error naming
# the offending value and changes nothing on media. Boot 1 claims region0
# and creates one namespace; region1's DIMM holds foreign data; region2
# gets a stock ndctl devdax namespace. Boot 2
# assembles and feeds bad input; the DIMM images must be byte-identical
# before and after boot 2 (so neither assemble nor a refused command wrote).
# Every namespace here keeps its struct pages in RAM (the stock one with
# -M mem, "keep" is smaller than a 128 MiB section): a memmap in the device
# is rewritten by the kernel on every boot, by design, stock and devmem.
# Boot 3 then takes both other regions with --force.
. "$(dirname "$0")/testlib.sh"
require_build

nv0="$WORK/nv0.img" nv1="$WORK/nv1.img" nv2="$WORK/nv2.img"
truncate -s 256M "$nv1"
head -c 8192 /dev/urandom | dd of="$nv1" conv=notrunc status=none
dimms=(--nvdimm "$nv0,size=512M,addr=0x100003000,label-size=128K"
	--nvdimm "$nv1,size=256M,addr=0x140000000"
	--nvdimm "$nv2,size=256M,addr=0x160000000,label-size=128K")

step "1. claim region0, create namespace 'keep'"
vm boot1 "${dimms[@]}" -- tests/vm/guest/errors.sh create
before=$(sha256sum "$nv0" "$nv1" "$nv2")

step "2. assemble, then bad input to every command"
vm boot2 "${dimms[@]}" -- tests/vm/guest/errors.sh bad

step "3. media unchanged by boot 2"
after=$(sha256sum "$nv0" "$nv1" "$nv2")
[ "$before" = "$after" ] || fail "DIMM images changed: $before -> $after"

step "4. --force takes the foreign and the stock region; assemble twice"
vm boot3 "${dimms[@]}" -- tests/vm/guest/errors.sh force

step "5. reboot: all three regions assemble"
vm boot4 "${dimms[@]}" -- tests/vm/guest/errors.sh reboot
echo PASS
