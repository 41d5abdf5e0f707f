#!/bin/bash
# VM test: teardown under load and concurrent updates. While processes
# write through live mappings, destroy/release without -f and rmmod are
# refused naming what is busy and the writers' data stays byte-exact;
# with -f the mappings are revoked (SIGBUS), no oops, the rest intact, the
# regions keep working. WORKERS processes run ITERS random create/destroy/
# list/check each on two regions: check clean, the list is exactly what
# they did, untouched data identical, no capacity leak. Then the seeded
# ioctl fuzzer (tests/kmod/ioctl-fuzz) as root and as nobody. Step 2:
# assembles of fresh regions racing each other and a list
# (tests/vm/guest/assemble-race.sh).
#   DEVMEM_SEED=N replays a run; DEVMEM_STRESS_ITERS (25),
#   DEVMEM_STRESS_WORKERS (4), DEVMEM_FUZZ_CALLS (20000) scale it.
. "$(dirname "$0")/testlib.sh"
require_build
for b in tests/kmod/ioctl-fuzz tests/vm/guest/stress-writer; do
	[ -x "$TOP/$b" ] || fail "$b not built (make $b)"
done

seed=${DEVMEM_SEED:-$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')}
iters=${DEVMEM_STRESS_ITERS:-25}
workers=${DEVMEM_STRESS_WORKERS:-4}
calls=${DEVMEM_FUZZ_CALLS:-20000}
echo "seed $seed (replay: DEVMEM_SEED=$seed)"

step "1. teardown under load, $workers x $iters concurrent updates, $calls fuzz calls"
vm stress --cpus 2 --timeout 900 \
	--nvdimm "$WORK/nv0.img,size=1G,addr=0x100001000" \
	--nvdimm "$WORK/nv1.img,size=512M,addr=0x180000000" \
	--nvdimm "$WORK/nv2.img,size=64M,addr=0x1a0000000" \
	-- tests/vm/guest/stress.sh "$seed" "$iters" "$workers" "$calls"

step "2. assembles of fresh regions racing each other and a list, 15 times"
vm race --cpus 2 \
	--nvdimm "$WORK/race-a.img,size=512M,addr=0x100000000" \
	--nvdimm "$WORK/race-b.img,size=256M,addr=0x180000000" \
	-- tests/vm/guest/assemble-race.sh 15
echo PASS
