#!/bin/bash
# Guest side of test-stress.sh step 2: assembles of fresh regions racing
# with each other and with a list. $1 = iterations. Two label-less regions
# (0x100000000, 0x180000000) are claimed with one namespace each; then per
# iteration every namespace is unmapped and every claim released with the
# raw ioctls (the module's state after a reboot, the layouts kept), and
# `devmemctl assemble` of each region and a `devmemctl list -N` run at
# once. assemble claims a fresh region under a temporary id and moves it
# to its recorded one; a scan of another process (without the update lock)
# that saw the temporary id must not fail when it is gone. Every command
# must succeed without a word on stderr, and both namespaces come back.
set -euo pipefail
trap 'echo "guest FAIL line $LINENO: $BASH_COMMAND" >&2' ERR
n=$1
# shellcheck source=tests/vm/lib.sh
. tests/vm/lib.sh
A=$(vm_region_at 0x100000000) B=$(vm_region_at 0x180000000)
devmemctl claim "$A" >/dev/null
devmemctl claim "$B" >/dev/null
devmemctl create-namespace -r "$A" -s 64M -n race-a >/dev/null
devmemctl create-namespace -r "$B" -s 64M -n race-b >/dev/null
want=$(devmemctl list -N | jq -c '[.[] | {name, uuid, chardev}] | sort_by(.name)')
t=/tmp/assemble-race
mkdir -p "$t"
bad=0
for ((i = 1; i <= n; i++)); do
	python3 - <<'PY'
import fcntl, os, struct
# the raw ioctls of include/uapi/linux/devmem.h (ABI 4): unmap namespace
# 0 of every region id, then release every id
NS_UNMAP = (1 << 30) | (128 << 16) | (0xDE << 8) | 0x07
REGION_RELEASE = (1 << 30) | (56 << 16) | (0xDE << 8) | 0x02
fd = os.open("/dev/devmem", os.O_RDWR)
for call, size in ((NS_UNMAP, 16), (REGION_RELEASE, 7)):
    for i in range(64):
        try:
            fcntl.ioctl(fd, call, struct.pack("%dQ" % size, 4, i, *([0] * (size - 2))))
        except OSError:
            pass
PY
	[ ! -e /dev/dax100.0 ] && [ ! -e /dev/dax101.0 ]
	pids=()
	devmemctl assemble "$A" >"$t/a.out" 2>"$t/a.err" & pids+=($!)
	devmemctl assemble "$B" >"$t/b.out" 2>"$t/b.err" & pids+=($!)
	devmemctl list -N >"$t/l.out" 2>"$t/l.err" & pids+=($!)
	for p in "${pids[@]}"; do wait "$p" || { echo "iteration $i: a command failed" >&2; bad=1; }; done
	if [ -s "$t/a.err" ] || [ -s "$t/b.err" ] || [ -s "$t/l.err" ]; then
		echo "iteration $i: stderr:" >&2
		cat "$t/a.err" "$t/b.err" "$t/l.err" >&2
		bad=1
	fi
	got=$(devmemctl list -N | jq -c '[.[] | {name, uuid, chardev}] | sort_by(.name)')
	[ "$got" = "$want" ] || { echo "iteration $i: namespaces $got, want $want" >&2; bad=1; }
done
echo "$n iterations of 2 assembles + 1 list at once: $([ "$bad" = 0 ] && echo all clean || echo FAILURES)"
exit "$bad"
