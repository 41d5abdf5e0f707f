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
#   vm_ns_make OUT RDEV RMEM NDEV NMEM
#                               the boot tests' namespaces: claim regions
#                               RDEV and RMEM, create NDEV (256 MiB, -a 2M,
#                               map=dev) on RDEV and NMEM (72 MiB, -a 4K,
#                               map=mem) on RMEM with the devmemctl first in
#                               PATH, `devmemctl list -N` into
#                               OUT/created.json, 32 MiB of random data into
#                               each through daxio, "NAME SHA256" lines in
#                               OUT/sums
#   vm_ns_same OUT NOW.json "FIELD..." NAME...
#                               each NAME is active in NOW.json (a later
#                               `devmemctl list -N`) with the FIELDs (e.g.
#                               "uuid size map align") of OUT/created.json,
#                               and its /dev/daxN.M reads back the sha256 of
#                               OUT/sums; says so per NAME, names what
#                               differs on stderr and fails otherwise

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

vm_ns_make() {
	local out=$1 rdev=$2 rmem=$3 ndev=$4 nmem=$5 name dev
	devmemctl claim "$rdev" && devmemctl claim "$rmem" &&
		devmemctl create-namespace -r "$rdev" -s 256M -a 2M -M dev -n "$ndev" &&
		devmemctl create-namespace -r "$rmem" -s 72M -a 4K -M mem -n "$nmem" &&
		devmemctl list -N >"$out/created.json" || return 1
	: >"$out/sums"
	for name in "$ndev" "$nmem"; do
		dev=/dev/$(jq -r --arg n "$name" '.[] | select(.name == $n) | .chardev' "$out/created.json")
		[ -c "$dev" ] || { echo "vm_ns_make: $name: no character device $dev" >&2; return 1; }
		head -c 32M /dev/urandom >/tmp/vm-ns-data &&
			daxio -i /tmp/vm-ns-data -o "$dev" -l 32M &&
			echo "$name $(sha256sum </tmp/vm-ns-data | cut -d' ' -f1)" >>"$out/sums" || return 1
	done
	rm -f /tmp/vm-ns-data
	cat "$out/sums"
}

vm_ns_same() {
	local out=$1 now=$2 fields=$3 name was is st dev sum want
	shift 3
	# one jq per list and name (each exec of jq costs ~0.4 s under TCG)
	# shellcheck disable=SC2016 # $n and $f are jq's
	local q='.[] | select(.name == $n) | [($f | split(" ")[]) as $k | .[$k] | tostring] | join(" ")'
	for name in "$@"; do
		was=$(jq -r --arg n "$name" --arg f "$fields" "$q" "$out/created.json") &&
			is=$(jq -r --arg n "$name" --arg f "$fields state chardev" "$q" "$now") || return 1
		[ -n "$was" ] || { echo "vm_ns_same: $name is not in $out/created.json" >&2; return 1; }
		[ -n "$is" ] || { echo "$name: not in the list now" >&2; return 1; }
		st=${is% *} dev=/dev/${is##* }
		st=${st##* }
		[ "$st" = active ] || { echo "$name: state $st, not active" >&2; return 1; }
		[ "$was" = "${is% * *}" ] || { echo "$name: $fields were '$was', now '${is% * *}'" >&2; return 1; }
		[ -c "$dev" ] || { echo "$name: no character device $dev" >&2; return 1; }
		daxio -i "$dev" -o /tmp/vm-ns-back -l 32M || return 1
		sum=$(sha256sum </tmp/vm-ns-back | cut -d' ' -f1)
		rm -f /tmp/vm-ns-back
		want=$(awk -v n="$name" '$1 == n { print $2 }' "$out/sums")
		[ -n "$want" ] && [ "$sum" = "$want" ] || { echo "$name: sha256 $sum, want ${want:-none}" >&2; return 1; }
		echo "$name $dev $fields: $was; sha256 ok"
	done
}
