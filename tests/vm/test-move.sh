#!/bin/bash
# VM test: namespaces survive physical moves of their NVDIMMs.
# Boot 1 creates four namespaces (map dev/mem x align 2M/4K, one with a
# size that is not a 2 MiB multiple) on a labelled and a label-less DIMM
# and fills each with 64 MiB of random data through daxio. Boots 2-4 move
# both DIMMs by 4 KiB, 1 MiB and 2 MiB + 4 KiB from where they were
# created, run `devmemctl assemble`, and read every namespace back: same
# name, uuid and size, identical sha256.
# DEVMEM_MOVES="BYTES ..." replaces the list of moves (4 KiB multiples).
. "$(dirname "$0")/testlib.sh"
require_build

G=$((1 << 30))
base0=$((4 * G)) base1=$((6 * G))
dimms() { # $1 = move in bytes
	printf -- '--nvdimm %s,size=1G,addr=0x%x,label-size=128K ' "$WORK/nv0.img" $((base0 + $1))
	printf -- '--nvdimm %s,size=512M,addr=0x%x ' "$WORK/nv1.img" $((base1 + $1))
}

step "1. create and fill namespaces at the original placement"
# shellcheck disable=SC2046
vm boot1 $(dimms 0) --shared "$WORK" -- tests/vm/guest/move-create.sh "$WORK" \
	"$base0" "$base1"

n=2
for move in ${DEVMEM_MOVES:-4096 1048576 $((2097152 + 4096))}; do
	[ $((move % 4096)) -eq 0 ] && [ "$move" -lt $((G * 8)) ] ||
		fail "DEVMEM_MOVES: $move is not a 4 KiB multiple below 8 GiB"
	step "$n. move both DIMMs by $move bytes, assemble, verify"
	# shellcheck disable=SC2046
	vm "boot$n" $(dimms "$move") --shared "$WORK" -- \
		tests/vm/guest/move-verify.sh "$WORK" "boot$n"
	n=$((n + 1))
done
echo PASS
