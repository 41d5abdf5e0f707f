#!/bin/bash
# VM test: a devmem namespace becomes hot-plugged system RAM with the stock
# `daxctl reconfigure-device --mode=system-ram` (kmem), is used by a
# process, goes offline and back to devdax, and keeps working.
# Boot 1, two DIMMs 4 KiB off a memory-block boundary: a map=mem and a
# map=dev namespace with remainders at both ends and one whose size is a
# block multiple each go to system RAM: exactly the whole memory blocks
# inside the data range (computed from the physical range) are online in
# ZONE_MOVABLE and MemTotal grows by them, a process's pages land there
# (pagemap), destroy-namespace (also -f) is refused while it is online,
# offline migrates the process's pages out (its data intact), back to
# devdax the remainders kept their bytes, daxio round-trips, `check` is
# clean; a namespace without a whole block is refused by kmem and comes
# back; one goes down as system RAM. Boot 2 moves the DIMMs by 4 KiB:
# assemble, that one is devdax again (the mode is not persistent), the
# data written in boot 1 reads back, and the round trip again with the
# blocks recomputed for the new placement (one namespace gains a block).
# The numbers are in docs/system-ram.md.
. "$(dirname "$0")/testlib.sh"
require_build

G=$((1 << 30))
base0=$((4 * G + 4096)) base1=$((6 * G + 4096))
for boot in 1 2; do
	move=$(((boot - 1) * 4096))
	a0=$(printf '0x%x' $((base0 + move))) a1=$(printf '0x%x' $((base1 + move)))
	step "$boot. DIMMs at $a0 and $a1: namespaces to system RAM and back"
	vm "boot$boot" --nvdimm "$WORK/nv0.img,size=1G,addr=$a0" \
		--nvdimm "$WORK/nv1.img,size=512M,addr=$a1" --shared "$WORK" -- \
		tests/vm/guest/system-ram.sh "$WORK" "$boot" "$a0" "$a1"
done

step "measured"
{
	printf 'boot\tname\tmap\tstart\tend\tMiB\tblocks\tbytes online\thead\ttail\tpages in blocks\n'
	cat "$WORK/table.tsv"
} | column -t -s $'\t'
[ "$(wc -l <"$WORK/table.tsv")" -eq 6 ] || fail "expected 6 lines in $WORK/table.tsv"
echo PASS
