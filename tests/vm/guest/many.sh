#!/bin/bash
# Guest side of test-many.sh. $1 = output directory, $2 = phase:
#   create ADDR SEED  claim the region at ADDR; create 64 namespaces of
#                     random 4 KiB-multiple sizes and maps, stamp each;
#                     destroy 32 of them in random order and create 32
#                     more in the holes; check every stamp and dax size
#   verify            after assemble: all 64 back, stamps intact; then
#                     destroy all in random order: the free space is whole
#                     again, and create without -s takes all of it
# Each namespace carries its name in its first and last 4 KiB page
# (tests/kmod/dax-stamp).
set -Eeuo pipefail
trap 'echo "guest FAIL line $LINENO: $BASH_COMMAND" >&2' ERR
# shellcheck source=tests/vm/lib.sh
. tests/vm/lib.sh
out=$1 phase=$2

# name -> chardev and size, from one jq run per listing (jq is slow in TCG)
declare -A NODE SIZE
node() { echo "${NODE[$1]}"; }
nsize() { echo "${SIZE[$1]}"; }
# stamps write|check NAME...: the name in the first and last page of each, in one
# tests/kmod/dax-stamp run; check also wants each dax device at its size
stamps() {
	local op=$1 n args=()
	shift
	for n in "$@"; do
		[ "$op" = write ] ||
			test "$(cat "/sys/bus/dax/devices/$(node "$n")/size")" = "$(nsize "$n")"
		args+=("/dev/$(node "$n")" "$(nsize "$n")" "$n")
	done
	tests/kmod/dax-stamp "$op" "${args[@]}"
}
create() { # NAME: a random 4 KiB multiple up to 6 MiB, map dev or mem;
	# every fourth one -a 2M with a 2 MiB-multiple size
	local n=$1 pages=$((1 + RANDOM % 1536)) map=mem align=4K
	[ $((RANDOM % 2)) -eq 0 ] && map=dev
	if [ $((RANDOM % 4)) -eq 0 ]; then
		align=2M pages=$(((1 + RANDOM % 3) * 512))
	fi
	devmemctl create-namespace -r "$R" -s $((pages * 4096)) -M "$map" -a "$align" -n "$n" >/dev/null
}
refresh() {
	local n c z
	devmemctl list -N >"$out/list.json"
	NODE=() SIZE=()
	while read -r n c z; do
		NODE[$n]=$c SIZE[$n]=$z
	done < <(jq -r '.[] | "\(.name) \(.chardev) \(.size)"' "$out/list.json")
	printf '%s\n' "${!NODE[@]}" | sort -V >"$out/names"
}
names() { cat "$out/names"; }
shuffled() { # the names in an order drawn from RANDOM (the seed replays it)
	local n
	for n in $(names); do echo "$RANDOM $n"; done >/tmp/keyed
	sort -n /tmp/keyed | cut -d' ' -f2
}

if [ "$phase" = create ]; then
	R=$(vm_region_at "$3")
	RANDOM=$4
	echo "$4" >"$out/seed"
	echo "seed $4 (DEVMEM_SEED replays it)"
	devmemctl claim "$R" >/dev/null
	devmemctl list -R | jq -r ".[] | select(.dev == \"$R\") | .available_size" >"$out/avail0"
	for i in $(seq 0 63); do create "n$i"; done
	refresh
	mapfile -t all < <(names)
	stamps write "${all[@]}"
	# destroy half in random order, then fill the holes again
	shuffled | head -n 32 >"$out/gone"
	while read -r n; do devmemctl destroy-namespace -f "$n" >/dev/null; done <"$out/gone"
	for i in $(seq 64 95); do create "n$i"; done
	refresh
	test "$(names | wc -l)" = 64
	old=() new=()
	for n in $(names); do
		grep -qx "$n" "$out/gone" && { echo "$n is still listed" >&2; exit 1; }
		# new ones are stamped now and checked after the reboot
		if [ "${n#n}" -ge 64 ]; then new+=("$n"); else old+=("$n"); fi
	done
	stamps check "${old[@]}"
	stamps write "${new[@]}"
	echo "64 namespaces after 96 creates and 32 destroys, all stamps intact"
	exit 0
fi

R=$(vm_region_at "$(cat "$out/addr")")
RANDOM=$(($(cat "$out/seed") + 1))
devmemctl assemble >/dev/null
refresh
test "$(names | wc -l)" = 64
test "$(jq '[.[] | select(.state == "active")] | length' "$out/list.json")" = 64
mapfile -t all < <(names)
stamps check "${all[@]}"
echo "all 64 namespaces back after the move, stamps intact"
for n in $(shuffled); do devmemctl destroy-namespace -f "$n" >/dev/null; done
avail=$(devmemctl list -R | jq -r ".[] | select(.dev == \"$R\") | .available_size")
test "$avail" = "$(cat "$out/avail0")" || { echo "available $avail, was $(cat "$out/avail0")" >&2; exit 1; }
size=$(devmemctl create-namespace -r "$R" -a 4K -M mem -n whole | jq -r .size)
test "$size" = "$avail" || { echo "create without -s gave $size of $avail" >&2; exit 1; }
echo "all destroyed: $avail bytes free again, one namespace takes them all"
