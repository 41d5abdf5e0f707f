#!/bin/bash
# Guest side of test-resize.sh. $1 = create|grow|verify, $2 = the shared
# directory, $3 and $4 = the physical addresses of DIMM A and DIMM B.
#   create  claim A and B; a1 (64 MiB, map=dev, first in A), a2 (32 MiB,
#           map=mem, 2M) on A, b1 (16 MiB) on B; 4 MiB of random data into
#           each (or all of it, when smaller), sha256 -> sums
#   grow    A's region grew (smaller label area), B's shrank past its
#           slots: assemble must bring up A and refuse B, naming why; on A,
#           check clean, then a3 and a4 with no --size (the largest free
#           extent, twice) and a5 refused; data into a3, a4
#   verify  assemble: everything back, data identical, check clean
set -euo pipefail
trap 'echo "guest FAIL line $LINENO: $BASH_COMMAND" >&2' ERR
# shellcheck source=tests/vm/lib.sh
. tests/vm/lib.sh
mode=$1 out=$2
ra=$(vm_region_at "$3") rb=$(vm_region_at "$4")
dev_of() { jq -r --arg n "$1" '.[] | select(.name == $n) | .chardev' "$out/list-$mode.json"; }
len_of() { # NAME: 4 MiB, or the whole namespace when smaller
	jq -r --arg n "$1" '.[] | select(.name == $n) | [.size, 4194304] | min' "$out/list-$mode.json"
}
stamp() { # NAME: random data at the start of the namespace
	head -c "$(len_of "$1")" /dev/urandom >/tmp/data
	daxio -i /tmp/data -o "/dev/$(dev_of "$1")" -l "$(len_of "$1")" 2>/dev/null
	echo "$1 $(sha256sum </tmp/data | cut -d' ' -f1)" >>"$out/sums"
}
verify() { # NAME...
	local n got
	for n in "$@"; do
		rm -f /tmp/back # daxio writes into a file without truncating it
		daxio -i "/dev/$(dev_of "$n")" -o /tmp/back -l "$(len_of "$n")" 2>/dev/null
		got=$(sha256sum </tmp/back | cut -d' ' -f1)
		grep -qx "$n $got" "$out/sums" || { echo "$n: data differs" >&2; exit 1; }
		echo "$n: data identical"
	done
}

case $mode in
create)
	devmemctl claim "$ra" >/dev/null
	devmemctl claim "$rb" >/dev/null
	devmemctl create-namespace -r "$ra" -s 64M -a 4K -M dev -n a1 >/dev/null
	devmemctl create-namespace -r "$ra" -s 32M -a 2M -M mem -n a2 >/dev/null
	devmemctl create-namespace -r "$rb" -s 16M -a 4K -M mem -n b1 >/dev/null
	devmemctl list -N >"$out/list-$mode.json"
	: >"$out/sums"
	for n in a1 a2 b1; do stamp "$n"; done
	;;
grow)
	rc=0
	devmemctl assemble 2>"$out/assemble-grow.err" || rc=$?
	cat "$out/assemble-grow.err"
	echo "assemble exit $rc"
	devmemctl list -N >"$out/list-$mode.json"
	verify a1 a2
	! jq -e '.[] | select(.name == "b1")' "$out/list-$mode.json" >/dev/null
	devmemctl check "$ra" >"$out/check-grow.txt"
	cat "$out/check-grow.txt"
	devmemctl create-namespace -r "$ra" -a 4K -M mem -n a3 >/dev/null
	devmemctl create-namespace -r "$ra" -a 4K -M mem -n a4 >/dev/null
	if devmemctl create-namespace -r "$ra" -a 4K -M mem -n a5 2>"$out/a5.err"; then
		echo "a5 fit in a full region" >&2
		exit 1
	fi
	cat "$out/a5.err"
	devmemctl list -N >"$out/list-$mode.json"
	for n in a3 a4; do stamp "$n"; done
	devmemctl check "$ra"
	;;
verify)
	devmemctl assemble
	devmemctl list -N >"$out/list-$mode.json"
	verify a1 a2 a3 a4 b1
	devmemctl check
	devmemctl list -R >"$out/regions-$mode.json"
	;;
esac
echo "guest $mode: done"
