#!/bin/bash
# VM test: the devmem P2P kernel API (include/linux/devmem.h) through the
# sample driver kmod/samples/devmem-ivshmem.ko on QEMU's ivshmem-plain,
# whose BAR2 the guest firmware places. One boot; the guest
# (guest/p2p.sh) reports KEY=VALUE lines and the host checks them and the
# bytes in the ivshmem and NVDIMM backing files.
. "$(dirname "$0")/testlib.sh"
require_build
[ -x "$TOP/tests/kmod/p2p-user" ] && [ -f "$TOP/kmod/samples/devmem-ivshmem.ko" ] ||
	fail "build missing: run 'make all tests/kmod/p2p-user' first"

PG=4096
IV=$WORK/ivshmem.img # BAR2 of the ivshmem-plain device, 16 MiB
NV=$WORK/nv0.img     # a label-less NVDIMM: /dev/pmem0 for O_DIRECT
# (nv1.img, a second one, gets an fsdax namespace: another driver's pgmap)
OUT=$WORK/out.txt
# leak-loop tolerance over 1,000 cycles: 1 MiB of MemFree (256 B a cycle)
# and 256 KiB of slab (64 B a cycle); one leaked memmap sub-section alone
# would be 32 KiB a cycle (32 MiB).
MEMFREE_TOL_KB=1024
SLAB_TOL_KB=256

val() { sed -n "s/^$1=//p" "$OUT" | tail -n1; }
expect() { # KEY VALUE: the guest reported KEY=VALUE
	local got
	got=$(val "$1")
	[ "$got" = "$2" ] || fail "$1: expected '$2', got '$got'"
	echo "ok: $1=$got"
}
# at BYTE offset of FILE: the first LEN bytes
bytes_at() { dd if="$1" bs=1 skip="$2" count="$3" status=none; }

step "0. backing files: a marker in each ivshmem page, data on the NVDIMM"
for i in $(seq 0 63); do
	printf 'H%07x' "$i"
	head -c $((PG - 8)) /dev/zero
done >"$IV"
truncate -s 16M "$IV"
for i in $(seq 0 511); do printf 'host-nvdimm %06d .............\n' "$i"; done >"$NV"
truncate -s 64M "$NV"

step "1-6. one boot: probe checks, mmap/pin/O_DIRECT, errors, leak loop, teardown"
start=$(date +%s)
vm p2p --shared "$WORK" --nvdimm "$NV,size=64M" --nvdimm "$WORK/nv1.img,size=64M" \
	--object "memory-backend-file,id=ivm0,share=on,mem-path=$IV,size=16M" \
	--device ivshmem-plain,memdev=ivm0 \
	-- tests/vm/guest/p2p.sh | tee "$OUT"
echo "VM run: $(($(date +%s) - start)) s"

step "1. the sample bound, at a BAR the firmware placed, range not 2 MiB aligned"
bar=$(val info_bar_phys)
roff=$(val info_range_offset)
aoff=$(val info_alloc_offset)
echo "BAR2 at $bar (firmware's choice), range at BAR2+$roff = $(printf '%#x' $((bar + roff)))"
[ -n "$bar" ] && [ $(((bar + roff) % 0x200000)) -ne 0 ] || fail "range start is 2 MiB aligned"
[ $((aoff)) -ge $((roff)) ] && [ $((aoff)) -lt $((roff + $(val info_range_size))) ] ||
	fail "allocation at BAR2+$aoff is outside the registered range"
expect info_checks "$(val info_checks_all)" # round trip, slack, kmap, dma
expect iomem 1
pages=$(val info_pages)

step "1b. kmap_local_page read the host's marker and its writes reached the BAR"
expect info_first_read "$(printf 'H%07x' $((aoff / PG)))"
for i in 0 1 $(seq 8 $((pages - 1))); do
	want="devmem-ivshmem page $i bar+$(printf '%#x' $((aoff + i * PG)))"
	got=$(bytes_at "$IV" $((aoff + i * PG)) ${#want})
	[ "$got" = "$want" ] || fail "ivshmem file page $i: '$got', expected '$want'"
done
echo "ok: host reads the guest's kmap writes in $IV at BAR2 offsets"

step "1c. dma_map_sg gave the pages' bus addresses"
expect info_dma_first "$(printf '%#x' $(($(val info_bar_bus) + aoff)))"

step "2. the user mapping: pin_user_pages, O_DIRECT both ways"
expect io_user_read_page0 "devmem-ivshmem page 0 bar+$(printf '%#x' "$aoff")"
expect io_pinned "$pages"
expect io_matched "$pages"
expect io_free_while_pinned -EBUSY
expect io_odirect_read 16384
expect io_odirect_write 8192
cmp <(bytes_at "$NV" 0 16384) <(bytes_at "$IV" $((aoff + 2 * PG)) 16384) ||
	fail "O_DIRECT read of the NVDIMM did not land in the ivshmem pages 2-5"
cmp <(bytes_at "$NV" $((1 << 20)) 8192) <(bytes_at "$IV" $((aoff + 6 * PG)) 8192) ||
	fail "O_DIRECT write from the ivshmem pages 6-7 did not reach the NVDIMM"
bytes_at "$NV" $((1 << 20)) 18 | grep -qx 'user-odirect-write' ||
	fail "NVDIMM at 1 MiB lacks the user's data"
echo "ok: NVDIMM [0,16K) == ivshmem pages 2-5; ivshmem pages 6-7 == NVDIMM [1M,1M+8K)"

step "3. error cases"
expect ram_rc -EPERM
expect unaligned_rc -EINVAL
expect unaligned_size_rc -EINVAL
expect empty_rc -EINVAL
expect overlap_rc -EEXIST
expect subsection_rc -EEXIST
expect outside_bar_rc -ERANGE
expect foreign_pgmap_rc -EBUSY
expect keep_rc 0
expect keep_overlap_rc -EEXIST
expect drop_rc 0
expect refcnt_kept $(($(val refcnt_before) + 1)) # a range pins devmem.ko
expect refcnt_dropped "$(val refcnt_before)"
expect after_drop_rc 0
expect exhaust_rc 0
expect exhaust_allocated 7
expect exhaust_busy_rc -EBUSY

step "4. leak loop"
expect leak_loops 1000
expect leak_rc 0
mf=$(($(val leak_memfree_before) - $(val leak_memfree_after)))
sl=$(($(val leak_slab_after) - $(val leak_slab_before)))
su=$(($(val leak_sunreclaim_after) - $(val leak_sunreclaim_before)))
for k in memfree slab sunreclaim; do
	echo "$k: $(val leak_${k}_before) kB before, $(val leak_${k}_after) kB after"
done
echo "1000 cycles in $(val leak_seconds) s: MemFree fell by $mf kB (tolerance $MEMFREE_TOL_KB)," \
	"Slab grew by $sl kB, SUnreclaim grew by $su kB (tolerance $SLAB_TOL_KB each)"
[ "$mf" -le "$MEMFREE_TOL_KB" ] || fail "MemFree dropped by $mf kB over 1000 cycles"
[ "$sl" -le "$SLAB_TOL_KB" ] || fail "Slab grew by $sl kB over 1000 cycles"
[ "$su" -le "$SLAB_TOL_KB" ] || fail "SUnreclaim grew by $su kB over 1000 cycles"

step "5. unbind with pages allocated and mapped: refused rmmod, then revoke"
expect hold_mapped "$pages"
expect rmmod_sample_mapped refused
expect rmmod_devmem_in_use refused
expect hold_revoked SIGBUS
expect hold_rc 0
expect unbind_log 1
expect rmmod_sample_after ok

step "6. rmmod with pages allocated, then devmem (no range left behind)"
expect rebind 1
expect rmmod_sample_allocated ok
expect unbind_log2 2
expect rmmod_devmem ok
echo PASS
