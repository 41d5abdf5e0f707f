#!/bin/bash
# VM test: fsdax namespaces survive a physical move with their filesystems.
# Boot 1 (a 2 MiB-aligned DIMM base): ext4 on a map=dev, -a 2M namespace
# and xfs on a map=mem, -a 4K namespace of an odd size, both mounted
# -o dax; files written through write() and through MAP_SYNC mappings;
# statx reports DAX; the 2M namespace takes PMD faults; destroy is refused
# while mounted. Boot 2 (the DIMM moved by 4 KiB): assemble, fsck clean,
# both mount -o dax again, every file and mapping identical; the 2M
# namespace now falls back to 4 KiB faults; destroy after umount.
. "$(dirname "$0")/testlib.sh"
require_build
command -v mkfs.xfs >/dev/null || fail "mkfs.xfs absent: run 'make deps' (xfsprogs)"

base=$((4 << 30))
dimm() { # $1 = move in bytes
	printf -- '--nvdimm %s,size=1G,addr=0x%x,label-size=128K' "$WORK/nv0.img" $((base + $1))
}

step "1. ext4 and xfs on fsdax namespaces, at a 2 MiB-aligned base"
# shellcheck disable=SC2046
vm boot1 $(dimm 0) --shared "$WORK" -- tests/vm/guest/fsdax.sh create "$WORK" "$base"

step "2. the DIMM moved by 4 KiB: assemble, fsck, mount, every file identical"
# shellcheck disable=SC2046
vm boot2 $(dimm 4096) --shared "$WORK" -- tests/vm/guest/fsdax.sh verify "$WORK" $((base + 4096))
echo PASS
