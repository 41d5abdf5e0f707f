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
vm_ns_make "$out" "$r0" "$r1" boot-a boot-b
