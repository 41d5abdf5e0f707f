#!/bin/bash
# VM test: capacity side by side with the stock nvdimm stack on the same
# region (tests/vm/guest/capacity.sh). For every size, devmem gives the
# usable bytes of `ndctl create-namespace -m devdax -s SIZE` using no more
# of the region; one namespace filling the region matches the formula of
# docs/format.md. The table is kept in build/capacity.md.
. "$(dirname "$0")/testlib.sh"
require_build

step "1. stock and devmem namespaces of the same sizes on one region"
vm cap --nvdimm "$WORK/nv0.img,size=1G,addr=0x100000000,label-size=128K" \
	--shared "$WORK" -- tests/vm/guest/capacity.sh "$WORK" 0x100000000
mkdir -p "$TOP/build"
cp "$WORK/capacity.md" "$TOP/build/capacity.md"
echo PASS
