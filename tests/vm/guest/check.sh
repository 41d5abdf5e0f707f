#!/bin/bash
# Guest side of test-check.sh. $1 = create|torn|repair|stale. Regions are found
# by physical address: kernel region numbers do not follow DIMM order.
set -euo pipefail
trap 'echo "guest FAIL line $LINENO: $BASH_COMMAND" >&2' ERR
# shellcheck source=tests/vm/lib.sh
. tests/vm/lib.sh
A=$(vm_region_at 0x100003000)
B=$(vm_region_at 0x140000000)
out=/tmp/out err=/tmp/err

# run STATUS CMD...: CMD exits STATUS; its stdout/stderr in $out/$err
run() {
	local want=$1 rc=0
	shift
	"$@" >"$out" 2>"$err" || rc=$?
	if [ "$rc" != "$want" ]; then
		echo "FAIL: '$*' exited $rc, not $want" >&2
		cat "$out" "$err" >&2
		exit 1
	fi
	echo "ok: $* -> exit $rc"
	sed 's/^/    /' "$out" "$err"
}
has() { # FILE TEXT
	grep -qF -- "$2" "$1" || { echo "FAIL: $1 lacks '$2'" >&2; exit 1; }
}
# the block device of region $1 once the stock stack has it back
blockdev() {
	local i
	for ((i = 0; i < 50; i++)); do
		vm_region_blockdev "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	vm_region_blockdev "$1"
}

case $1 in
create)
	devmemctl claim "$A" >/dev/null
	devmemctl claim "$B" >/dev/null
	devmemctl create-namespace -r "$A" -s 64M -M mem -n a1 >/dev/null
	devmemctl create-namespace -r "$B" -s 32M -M mem -n b1 >/dev/null
	devmemctl create-namespace -r "$B" -s 32M -M mem -n b2 >/dev/null
	run 0 devmemctl check
	has $out "$A: clean"
	has $out "$B: clean"
	run 0 devmemctl check -v "$A"
	has $out "$A: slot 0: valid, generation"
	has $out "$A: slot 1: valid, generation"
	run 0 devmemctl check --json
	jq -e 'type == "array" and all(.[]; .severity == "info")' $out >/dev/null
	;;
torn)
	devmemctl assemble >/dev/null
	devmemctl list | jq -e 'length == 3 and all(.[]; .state == "active")' >/dev/null
	run 1 devmemctl check "$A"
	has $out "$A: slot 1: checksum"
	has $out "repairable from slot 0"
	has $out "$A: 1 finding"
	run 1 devmemctl check
	has $out "$B: clean"
	run 1 devmemctl check --json "$A"
	jq -e '[.[] | select(.severity == "error")] | length == 1 and
		.[0].slot == 1 and .[0].code == "slot-checksum" and
		.[0].repairable' $out >/dev/null
	# list: -n by name and by UUID, -R -n, -u as ndctl prints sizes
	devmemctl list -n a1 | jq -e 'length == 1 and .[0].region == "'"$A"'"' >/dev/null
	uu=$(devmemctl list -n b2 | jq -r '.[0].uuid')
	devmemctl list -n "$uu" | jq -e 'length == 1 and .[0].name == "b2"' >/dev/null
	devmemctl list -n nosuch | jq -e 'length == 0' >/dev/null
	devmemctl list -R -N -n b1 | jq -e 'length == 1 and .[0].dev == "'"$B"'" and
		(.[0].namespace_list | length == 1)' >/dev/null
	devmemctl list -u -n a1 | jq -e '.[0].size == "64.00 MiB (67.11 MB)"' >/dev/null
	echo "ok: list -n, -R -n, -u"
	# release: refused while namespaces exist, naming them; then -f
	run 1 devmemctl release "$B"
	has $err "holds devmem namespace b1"
	has $err "holds devmem namespace b2"
	devmemctl list -r "$B" | jq -e 'length == 2 and all(.[]; .state == "active")' >/dev/null
	run 0 devmemctl release -f "$B"
	jq -e '.claimed == false' $out >/dev/null
	dev=$(blockdev "$B")
	echo "ok: $B is back as $dev"
	ndctl list -N -r "$B"
	ndctl list -N -r "$B" | jq -e '(if type == "array" then .[0] else . end) | .mode == "raw"' >/dev/null
	devmemctl list | jq -e 'length == 1 and .[0].name == "a1"' >/dev/null
	run 1 devmemctl release "$B"
	has $err "$B: not claimed by devmem"
	run 1 devmemctl check "$B"
	has $err "$B: holds no devmem metadata (the metadata area is blank)"
	blockdev "$B" >/dev/null # given back after the check's temporary claim
	;;
repair)
	devmemctl assemble >/dev/null
	devmemctl list -R | jq -e '[.[] | select(.claimed)] | length == 1 and .[0].dev == "'"$A"'"' >/dev/null
	dev=$(blockdev "$B")
	echo "ok: assemble left $B to the stock stack ($dev)"
	run 1 devmemctl check "$A"
	run 0 devmemctl check --repair "$A"
	has $out "$A: repaired: slot 1: checksum"
	has $out "$A: clean after repair"
	run 0 devmemctl check "$A"
	has $out "$A: clean"
	run 0 devmemctl check -v "$A"
	has $out "slot 1: valid, generation"
	devmemctl list -n a1 | jq -e '.[0].state == "active"' >/dev/null
	devmemctl create-namespace -r "$A" -s 16M -M mem -n a2 >/dev/null
	;;
stale)
	# B's layout fails its check: assemble says so and exits 1
	run 1 devmemctl assemble
	has $err "$B: the layout fails its check: namespace 1: name \"a1\""
	devmemctl list -r "$A" | jq -e 'length == 2 and all(.[]; .state == "active")' >/dev/null
	run 1 devmemctl check "$A"
	has $out "$A: slot 1: generation 2 is older than slot 0's generation 4"
	# unmap a2 (entry 1) with a raw DEVMEM_IOC_NS_UNMAP, not through devmemctl
	dax=$(devmemctl list -n a2 | jq -r '.[0].chardev')
	id=${dax#dax}
	id=$((${id%.*} - 100))
	abi=$(sed -n 's/^#define DEVMEM_ABI_VERSION \([0-9]*\)ULL.*/\1/p' include/uapi/linux/devmem.h)
	python3 - "$id" 1 "$abi" <<'PY'
import fcntl, os, struct, sys
fd = os.open("/dev/devmem", os.O_RDWR)
arg = struct.pack("16Q", int(sys.argv[3]), int(sys.argv[1]), int(sys.argv[2]),
                  *([0] * 13))
fcntl.ioctl(fd, (1 << 30) | (len(arg) << 16) | (0xDE << 8) | 0x07, arg)
PY
	run 1 devmemctl check --json "$A"
	jq -e '[.[] | select(.severity == "error") | [.code, .slot, .index]] ==
		[["slot-stale", 1, null], ["ns-inactive", null, 1]]' $out >/dev/null
	run 1 devmemctl check --repair "$A"
	has $out "$A: repaired: slot 1: generation 2 is older"
	has $out "both slots now hold generation 5"
	has $out "$A: namespace 1 (\"a2\"): in the layout but not mapped"
	has $out "$A: 1 finding"
	run 1 devmemctl assemble
	run 0 devmemctl check "$A"
	has $out "$A: clean"
	# B (written by the host) holds a layout whose entry 1 reuses the name
	# of entry 0: assemble refuses it, check says why
	devmemctl list -R | jq -e '[.[] | select(.claimed)] | length == 1' >/dev/null
	run 1 devmemctl check "$B"
	has $out "$B: layout: namespace 1: name \"a1\" is already used by namespace 0"
	has $out "$B: namespace 1 (\"a1\"): UUID $(devmemctl list -n a2 | jq -r '.[0].uuid') is also used by namespace 1 (\"a2\") of $A"
	run 1 devmemctl check --json -v "$B"
	# B is a copy of A's layout: besides its own defect, the region UUID
	# and both entries' names and UUIDs are also A's
	jq -e '[.[] | select(.severity == "error") | [.code, .index]] ==
		[["layout", 1], ["region-duplicate", null],
		 ["ns-duplicate", 0], ["ns-duplicate", 0],
		 ["ns-duplicate", 1], ["ns-duplicate", 1]]
		and any(.[]; .code == "not-claimed")' $out >/dev/null
	run 1 devmemctl check --repair "$B"
	dev=$(blockdev "$B")
	echo "ok: $B given back after the check ($dev)"
	devmemctl list -R | jq -e '[.[] | select(.claimed)] | length == 1' >/dev/null
	;;
*)
	echo "usage: $0 create|torn|repair|stale" >&2
	exit 2
	;;
esac
echo "guest $1: done"
