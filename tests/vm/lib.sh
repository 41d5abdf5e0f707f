# shellcheck shell=bash
# Small helpers for VM test scripts, host side and guest side. Source it:
#   . "$(dirname "$0")/lib.sh"         (from tests/vm/*.sh)
# It sets no shell options and no traps of its own.
#
# Host side:
#   VM_TOP, VM_RUN              the checkout and tests/vm/vm-run
#   vm_require_qemu             exit 77 (skip) if qemu-system-x86_64 is absent
#   vm_hexaddr N                N as 0x... (for --nvdimm ...,addr=)
#   vm_nvdimm FILE SIZE [ADDR [LABEL]]
#                               print one --nvdimm value
# Guest side (inside vm-run; DEVMEM_VM=1 there):
#   vm_in_guest                 true inside a vm-run guest
#   vm_region_at ADDR           name (regionN) of the nvdimm region whose
#                               physical start is ADDR; fails if none
#   vm_region_start REGION      physical start of REGION, as 0x...
#   vm_region_blockdev REGION   /dev/pmemN of REGION's first namespace that
#                               has a block device (raw / sector / fsdax)
#   vm_wait_for PATH [SECONDS]  wait until PATH exists (default 10 s)

VM_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export VM_RUN=$VM_TOP/tests/vm/vm-run

vm_require_qemu() {
	command -v qemu-system-x86_64 >/dev/null 2>&1 && return 0
	echo "SKIP: qemu-system-x86_64 is not installed (apt-get install qemu-system-x86)"
	exit 77
}

vm_hexaddr() { printf '0x%x\n' "$(($1))"; }

vm_nvdimm() {
	local spec="$1,size=$2"
	[ -z "${3:-}" ] || spec+=",addr=$(vm_hexaddr "$3")"
	[ -z "${4:-}" ] || spec+=",label-size=$4"
	printf '%s\n' "$spec"
}

vm_in_guest() { [ "${DEVMEM_VM:-}" = 1 ]; }

vm_region_start() {
	local r
	r=$(cat "/sys/bus/nd/devices/$1/resource") || return 1
	printf '0x%x\n' "$((r))"
}

vm_region_at() {
	local want r
	want=$(($1))
	for r in /sys/bus/nd/devices/region*; do
		[ -e "$r/resource" ] || continue
		if [ "$(($(cat "$r/resource")))" = "$want" ]; then
			echo "${r##*/}"
			return 0
		fi
	done
	echo "vm_region_at: no nvdimm region starts at $(vm_hexaddr "$want")" >&2
	return 1
}

vm_region_blockdev() {
	local b
	for b in /sys/bus/nd/devices/"$1"/namespace*/block/* \
		/sys/bus/nd/devices/"$1"/*/block/*; do
		[ -e "$b" ] && { echo "/dev/${b##*/}"; return 0; }
	done
	echo "vm_region_blockdev: $1 has no block device" >&2
	return 1
}

vm_wait_for() {
	local i n=$((${2:-10} * 10))
	for ((i = 0; i < n; i++)); do
		[ -e "$1" ] && return 0
		sleep 0.1
	done
	[ -e "$1" ]
}
