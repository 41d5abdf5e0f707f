#!/bin/bash
# Guest side of test-boot-assemble.sh, first boot, with the *installed*
# devmem only (make install PREFIX=/usr/local on the host): modprobe the
# module, claim both regions, create a namespace on each, fill it with
# random data through daxio, record name and sha256 in $1. $2 and $3 are
# the DIMMs' physical addresses.
set -euo pipefail
out=$1
trap 'echo "guest FAIL line $LINENO: $BASH_COMMAND" >&2' ERR
# the installed tools, not the checkout's (vm-run puts $TOP/cli first)
unset DEVMEM_KMOD LD_LIBRARY_PATH
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
[ "$(command -v devmemctl)" = /usr/local/bin/devmemctl ]
# shellcheck source=tests/vm/lib.sh
. tests/vm/lib.sh
r0=$(vm_region_at "$2") r1=$(vm_region_at "$3")

modprobe devmem
modinfo -n devmem
devmemctl claim "$r0"
devmemctl claim "$r1"
devmemctl create-namespace -r "$r0" -s 256M -a 2M -M dev -n boot-a
devmemctl create-namespace -r "$r1" -s 72M -a 4K -M mem -n boot-b
devmemctl list -N >"$out/created.json"

: >"$out/sums"
for name in boot-a boot-b; do
	dev=/dev/$(jq -r ".[] | select(.name == \"$name\") | .chardev" "$out/created.json")
	test -c "$dev"
	head -c 32M /dev/urandom >/tmp/data
	daxio -i /tmp/data -o "$dev" -l 32M
	echo "$name $(sha256sum </tmp/data | cut -d' ' -f1)" >>"$out/sums"
done
cat "$out/sums"
