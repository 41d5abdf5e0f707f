#!/bin/bash
# VM test: many namespaces in one region (tests/vm/guest/many.sh). Boot 1
# creates 64 namespaces of random 4 KiB-multiple sizes, dev and mem, 4K
# and 2M, stamps each in its first and last page, destroys 32 in random
# order and creates 32 more in the holes; every stamp stays intact. Boot 2
# moves the DIMM by 4 KiB: assemble brings all 64 back with their stamps;
# destroying them all in random order frees the whole region again (no
# capacity leak), and create without -s takes all of it.
# DEVMEM_SEED=N replays a run (the seed is printed).
. "$(dirname "$0")/testlib.sh"
require_build
[ -x "$TOP/tests/kmod/dax-stamp" ] || fail "tests/kmod/dax-stamp not built"
seed=${DEVMEM_SEED:-$((RANDOM * 32768 + RANDOM))}
echo "seed $seed"

step "1. 64 namespaces, 32 destroyed and re-created"
vm boot1 --nvdimm "$WORK/nv0.img,size=1G,addr=0x100000000" --shared "$WORK" \
	-- tests/vm/guest/many.sh "$WORK" create 0x100000000 "$seed"

step "2. moved by 4 KiB: assemble, verify, destroy all"
echo 0x100001000 >"$WORK/addr"
vm boot2 --nvdimm "$WORK/nv0.img,size=1G,addr=0x100001000" --shared "$WORK" \
	-- tests/vm/guest/many.sh "$WORK" verify
echo PASS
