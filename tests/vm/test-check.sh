#!/bin/bash
# VM test: devmemctl check, check --repair and release. Two label-less
# DIMMs, so each region is its whole image file: the 2.0 anchor in the
# first 4 KiB, the two 64 KiB slots at the start of the tail guard (size -
# 2 MiB + 4 KiB).
# Boot 1 claims A (namespace a1 over random data) and B (b1, b2); check is
# clean. The host then tears A's slot 1 (one byte). Boot 2: check names
# slot 1 and exits 1 without writing (A's image byte-identical after the
# boot); release B is refused naming b1 and b2; release -f B gives B back
# (/dev/pmemN, a raw namespace). Host: B's first 128 KiB and slots are
# zero, the rest of B untouched. Boot 3: assemble leaves B alone; check --repair rewrites
# slot 1; check is clean. Host: A's two slots are equal, A's data area
# untouched; a2 is created (generation 4). The host puts A's slot 0 of
# boot 2 (generation 2) into slot 1. Boot 4: check names slot 1 as stale
# and, after a2 is unmapped behind devmemctl's back, entry 1 as not
# mapped; --repair rewrites the slot and leaves the rest to assemble.
# The host also writes into B a layout with a duplicate name: assemble
# refuses it, check (through a temporary claim) names entry 1, writes
# nothing, and gives B back.
# Namespaces keep their struct pages in RAM (-M mem) so that no
# memmap is written into the device.
. "$(dirname "$0")/testlib.sh"
require_build

M=$((128 * 1024)) S=$((64 * 1024)) GUARD=$((2 * 1024 * 1024 - 4096))
nvA="$WORK/nvA.img" nvB="$WORK/nvB.img"
A_base=$((512 * 1024 * 1024 - GUARD)) B_base=$((256 * 1024 * 1024 - GUARD))
truncate -s 512M "$nvA"
truncate -s 256M "$nvB"
# data where namespace a1 will live, to see that nothing touches it
head -c 8M /dev/urandom | dd of="$nvA" bs=1M seek=2 conv=notrunc status=none
head -c 4M /dev/urandom | dd of="$nvB" bs=1M seek=8 conv=notrunc status=none
dimms=(--nvdimm "$nvA,size=512M,addr=0x100003000"
	--nvdimm "$nvB,size=256M,addr=0x140000000")
base() { case $1 in "$nvA") echo $A_base ;; *) echo $B_base ;; esac; } # IMG
# data_sum IMG: the image but its first 128 KiB and its slots
data_sum() {
	local b
	b=$(base "$1")
	{
		dd if="$1" bs=4096 skip=$((M / 4096)) count=$(((b - M) / 4096)) status=none
		dd if="$1" bs=4096 skip=$(((b + M) / 4096)) status=none
	} | sha256sum
}
slot() { dd if="$1" bs=4096 skip=$((($(base "$1") + $2 * S) / 4096)) count=$((S / 4096)) status=none | sha256sum; }

step "1. claim A and B, create a1 on A and b1, b2 on B; check is clean"
vm boot1 "${dimms[@]}" -- tests/vm/guest/check.sh create
[ "$(slot "$nvA" 0)" = "$(slot "$nvA" 1)" ] || fail "A: slots differ after create"
A_tail=$(data_sum "$nvA") B_tail=$(data_sum "$nvB")

step "2. tear A's slot 1: one byte of its header"
printf '\xa5' | dd of="$nvA" bs=1 seek=$((A_base + S + 200)) conv=notrunc status=none
A_torn=$(sha256sum <"$nvA")

step "3. check reports slot 1, writes nothing; release B refused, then -f"
vm boot2 "${dimms[@]}" -- tests/vm/guest/check.sh torn
[ "$(sha256sum <"$nvA")" = "$A_torn" ] || fail "A's image changed during boot 2 (check without --repair wrote?)"
cmp -n $M "$nvB" /dev/zero || fail "B's first 128 KiB are not zero after release"
cmp -n $M <(tail -c +$((B_base + 1)) "$nvB") /dev/zero || fail "B's slots are not zero after release"
[ "$(data_sum "$nvB")" = "$B_tail" ] || fail "B's data area changed by release"
B_after=$(sha256sum <"$nvB")
dd if="$nvA" of="$WORK/gen2.slot" bs=4096 skip=$((A_base / 4096)) count=$((S / 4096)) status=none # generation 2

step "4. assemble leaves B alone; check --repair rewrites slot 1"
vm boot3 "${dimms[@]}" -- tests/vm/guest/check.sh repair
[ "$(slot "$nvA" 0)" = "$(slot "$nvA" 1)" ] || fail "A: slots differ after repair"
[ "$(data_sum "$nvA")" = "$A_tail" ] || fail "A's data area changed"
[ "$(sha256sum <"$nvB")" = "$B_after" ] || fail "B's image changed in boot 3"

step "5. an old generation in slot 1 (as after an update torn before it)"
dd if="$WORK/gen2.slot" of="$nvA" bs=4096 seek=$(((A_base + S) / 4096)) conv=notrunc status=none
A_stale=$(sha256sum <"$nvA")
# B: A's generation 4 layout resized to B and moved to B's slots, entry 1
# renamed to "a1" (a duplicate name), checksums recomputed, in both slots,
# under A's anchor pointed at B's slots
python3 - "$nvA" "$nvB" "$A_base" "$B_base" <<'PY'
import struct, sys
a, b, a_base, b_base = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
def seal(d, n, at=32):
    struct.pack_into("<Q", d, at, 0)
    lo = hi = 0
    for i in range(0, n, 4):
        lo = (lo + struct.unpack_from("<I", d, i)[0]) & 0xFFFFFFFF
        hi = (hi + lo) & 0xFFFFFFFF
    struct.pack_into("<Q", d, at, hi << 32 | lo)
with open(a, "rb") as f:
    anchor = bytearray(f.read(4096))
    f.seek(a_base)
    d = bytearray(f.read(65536))
struct.pack_into("<Q", d, 56, 256 << 20)
struct.pack_into("<Q", d, 92, b_base)
e = 4096 + 128 * 1
d[e + 16:e + 80] = b"a1".ljust(64, b"\0")
seal(d, 65536)
for c in (0, 2048):
    cp = bytearray(anchor[c:c + 2048])
    struct.pack_into("<Q", cp, 56, b_base)
    seal(cp, 2048, 24)
    anchor[c:c + 2048] = cp
with open(b, "r+b") as f:
    f.write(anchor)
    f.seek(b_base)
    f.write(d + d)
PY
B_bad=$(sha256sum <"$nvB")

step "6. check: slot 1 stale, a namespace unmapped, a bad layout on unclaimed B"
vm boot4 "${dimms[@]}" -- tests/vm/guest/check.sh stale
[ "$(slot "$nvA" 0)" = "$(slot "$nvA" 1)" ] || fail "A: slots differ after repair"
[ "$(sha256sum <"$nvA")" != "$A_stale" ] || fail "A: repair wrote nothing"
[ "$(sha256sum <"$nvB")" = "$B_bad" ] || fail "B's image changed (check of an unclaimed region wrote?)"
echo PASS
