#!/bin/bash
# VM test: the 2.0 metadata slots sit at the start of the tail guard of
# the region as it was claimed, and stay there when the region's size
# changes (QEMU keeps a DIMM's label area in its last bytes: a different
# label-size moves the region's end). Two labelled DIMMs,
# tests/vm/guest/resize.sh on each boot:
#   boot 1  A (512 MiB, label area 4 MiB) and B (256 MiB, 128 KiB):
#           claim both; a1 (map=dev, first in A), a2 on A, b1 on B; data
#   boot 2  A's label area 128 KiB (its region grows by 3.875 MiB), B's
#           4 MiB (its region shrinks by 3.875 MiB, more than the 1.87 MiB
#           its slots allow): assemble brings A up and refuses B, saying
#           the slots lie past the region's end; B's image byte-identical.
#           On A: check clean; the largest free extent, twice (a3 before
#           the slots, a4 after them, in the grown tail); then no room
#   boot 3  both at 128 KiB, both moved by 4 KiB: every namespace back
#           with identical data, check clean
# Host side: a4 lies past A's slots (read from the anchor in A's image),
# a3 before them; no namespace overlaps them.
. "$(dirname "$0")/testlib.sh"
require_build

A=$WORK/nvA.img B=$WORK/nvB.img
dimms() { # A-LABEL B-LABEL SHIFT
	echo "--nvdimm $A,size=512M,addr=$(printf '0x%x' $((0x100000000 + $3))),label-size=$1"
	echo "--nvdimm $B,size=256M,addr=$(printf '0x%x' $((0x140000000 + $3))),label-size=$2"
}
guest() { # SHIFT: the guest arguments after the mode
	echo "$WORK $(printf '0x%x' $((0x100000000 + $1))) $(printf '0x%x' $((0x140000000 + $1)))"
}

step "1. claim A (label area 4 MiB) and B (128 KiB), namespaces, data"
# shellcheck disable=SC2046
vm boot1 $(dimms 4M 128K 0) --shared "$WORK" -- tests/vm/guest/resize.sh create $(guest 0)
slots=$(python3 -c 'import struct,sys; print(struct.unpack_from("<Q", open(sys.argv[1], "rb").read(64), 56)[0])' "$A")
echo "A's slots at 0x$(printf '%x' "$slots") (anchor)"
sum_b=$(sha256sum <"$B")

step "2. A grows by 3.875 MiB, B shrinks by 3.875 MiB"
# shellcheck disable=SC2046
vm boot2 $(dimms 128K 4M 0) --shared "$WORK" -- tests/vm/guest/resize.sh grow $(guest 0)
grep -q "past the end of the region" "$WORK/assemble-grow.err" ||
	fail "assemble does not say B's slots are past its end: $(cat "$WORK/assemble-grow.err")"
[ "$(sha256sum <"$B")" = "$sum_b" ] || fail "B's image changed while its slots were out of reach"
grep -q "no free extent" "$WORK/a5.err" || fail "a5: $(cat "$WORK/a5.err")"
where() { jq -r --arg n "$1" '.[] | select(.name == $n) | "\(.offset) \(.size)"' "$WORK/list-grow.json"; }
read -r o3 s3 <<<"$(where a3)"
read -r o4 s4 <<<"$(where a4)"
echo "a3 [0x$(printf '%x' "$o3"), +0x$(printf '%x' "$s3")), a4 [0x$(printf '%x' "$o4"), +0x$(printf '%x' "$s4"))"
[ $((o3 + s3)) -le "$slots" ] || fail "a3 does not end before the slots"
[ "$o4" -ge $((slots + 128 * 1024)) ] || fail "a4 is not past the slots (offset $o4, slots at $slots)"
python3 - "$A" "$slots" <<'PY' || fail "A's slots do not hold a valid 2.0 header at the anchor's offset"
import struct, sys
m = open(sys.argv[1], "rb").read()
s = int(sys.argv[2])
for k in (0, 1):
    h = m[s + k * 0x10000:s + k * 0x10000 + 100]
    assert h[:13] == b"DEVMEM_REGION" and struct.unpack_from("<I", h, 16)[0] == 2
    assert struct.unpack_from("<Q", h, 92)[0] == s
PY

step "3. both back to 128 KiB, moved by 4 KiB: everything back"
# shellcheck disable=SC2046
vm boot3 $(dimms 128K 128K 4096) --shared "$WORK" -- tests/vm/guest/resize.sh verify $(guest 4096)
echo PASS
