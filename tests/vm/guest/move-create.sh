#!/bin/bash
# Guest side of test-move.sh, first boot: claim both regions, create
# namespaces of every map/align variant, fill each with random data
# through daxio and record name, uuid, size and sha256 in $1. $2 and $3 are
# the DIMMs' physical addresses.
set -euo pipefail
out=$1
trap 'echo "guest FAIL line $LINENO: $BASH_COMMAND" >&2' ERR
# shellcheck source=tests/vm/lib.sh
. tests/vm/lib.sh
r0=$(vm_region_at "$2") r1=$(vm_region_at "$3")

devmemctl claim "$r0"
devmemctl claim "$r1"
devmemctl create-namespace -r "$r0" -s 256M -a 2M -M dev -n alpha
devmemctl create-namespace -r "$r0" -s 134230016 -a 4K -M mem -n beta
devmemctl create-namespace -r "$r1" -s 64M -a 2M -M mem -n gamma
devmemctl create-namespace -r "$r1" -s 72M -a 4K -M dev -n delta
devmemctl list -N >"$out/created.json"

: >"$out/sums"
for name in alpha beta gamma delta; do
	dev=/dev/$(jq -r ".[] | select(.name == \"$name\") | .chardev" "$out/created.json")
	test -c "$dev"
	head -c 64M /dev/urandom >/tmp/data
	daxio -i /tmp/data -o "$dev" -l 64M
	echo "$name $(sha256sum </tmp/data | cut -d' ' -f1)" >>"$out/sums"
done
cat "$out/sums"
