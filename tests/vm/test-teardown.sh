#!/bin/bash
# VM test: daxctl and fio's dev-dax engine work unchanged on a devmem
# namespace; destroying it while fio writes through a live mapping revokes
# the mapping (fio dies, no oops); rmmod is refused while a region is
# claimed; the region keeps working afterwards.
. "$(dirname "$0")/testlib.sh"
require_build

step "1. clients, revoke under load, rmmod refusal"
vm teardown --nvdimm "$WORK/nv0.img,size=1G,addr=0x100001000" -- tests/vm/guest/teardown.sh
echo PASS
