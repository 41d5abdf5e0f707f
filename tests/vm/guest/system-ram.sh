#!/bin/bash
# Guest side of test-system-ram.sh. $1: a directory shared with the host
# (and with the other boot), $2: the boot (1 creates, 2 assembles after the
# DIMMs moved), $3, $4: the physical addresses of the two DIMMs.
#
# Every namespace makes one round trip through system RAM (round_trip):
# stamps in the head and tail remainders (the bytes kmem cannot online),
# `daxctl reconfigure-device --mode=system-ram`, the onlined memory blocks
# and MemTotal against what drivers/dax/kmem.c must online (the whole
# memory blocks inside the data range, computed here from the physical
# range), a process whose pages land in those blocks, `destroy-namespace`
# refused while the memory is online, `daxctl offline-memory` (the
# process's pages migrate out, its data intact), `daxctl
# reconfigure-device --mode=devdax`, and then the device is a working
# /dev/daxN.M again with its remainders intact. One line per round trip
# goes to $1/table.tsv. A namespace without a whole memory block is
# refused by kmem and comes back with `--mode=devdax` (too_small).
set -Eeuo pipefail
out=$1 boot=$2
trap 'echo "guest FAIL line $LINENO: $BASH_COMMAND" >&2' ERR
# shellcheck source=tests/vm/lib.sh
. tests/vm/lib.sh
r0=$(vm_region_at "$3") r1=$(vm_region_at "$4")
MiB=$((1 << 20))
mem=/sys/devices/system/memory
bs=$((16#$(cat $mem/block_size_bytes)))
echo "memory block size $((bs / MiB)) MiB, auto_online_blocks $(cat $mem/auto_online_blocks)"
# daxctl refuses system-ram when the kernel onlines new blocks by itself
[ "$(cat $mem/auto_online_blocks)" = offline ]

die() {
	echo "guest FAIL: $*" >&2
	exit 1
}
memtotal() { echo $(($(awk '/^MemTotal:/ { print $2 }' /proc/meminfo) * 1024)); }
driver() { basename "$(readlink -f "/sys/bus/dax/devices/$1/driver")"; }
hex() { printf '%#x' "$1"; }

# ns NAME: dax, map, start, end (exclusive) and size of NAME's data range
# (checked against its region's start + its offset on media), and lo, hi:
# the memory-block aligned range kmem hot-adds from it (drivers/dax/kmem.c,
# dax_kmem_range(): start rounded up, end rounded down to
# memory_block_size_bytes()); want = hi - lo (0: nothing to add).
ns() {
	local j off reg rstart
	j=$(devmemctl list -N | jq -r --arg n "$1" \
		'.[] | select(.name == $n) | "\(.chardev) \(.map) \(.offset) \(.size) \(.state) \(.region)"')
	[ -n "$j" ] || die "$1 is not in devmemctl list"
	read -r dax map off size state reg <<<"$j"
	[ "$state" = active ] || die "$1: state $state"
	rstart=$(($(vm_region_start "$reg")))
	start=$(($(cat "/sys/bus/dax/devices/$dax/resource")))
	[ "$start" -eq $((rstart + off)) ] ||
		die "$1: $dax starts at $(hex "$start"), $reg $(hex "$rstart") + offset $(hex "$off")"
	[ "$(cat "/sys/bus/dax/devices/$dax/size")" -eq "$size" ]
	end=$((start + size))
	lo=$(((start + bs - 1) / bs * bs)) hi=$((end / bs * bs))
	[ "$hi" -gt "$lo" ] || hi=$lo
	want=$((hi - lo))
}

# blocks START END: "INDEX STATE" of every memory block that intersects
# [START, END), "INDEX online ZONE" for an online one
blocks() {
	local b i st
	for b in "$mem"/memory[0-9]*; do
		i=${b##*memory}
		if [ $((i * bs)) -ge "$2" ] || [ $(((i + 1) * bs)) -le "$1" ]; then continue; fi
		st=$(cat "$b/state")
		[ "$st" != online ] || st+=" $(cat "$b/valid_zones")"
		echo "$i $st"
	done | sort -n
}

# expect_blocks STATE: the blocks over [start, end) are exactly the whole
# ones in [lo, hi), all in STATE (online: in ZONE_MOVABLE); STATE "none":
# there are none
expect_blocks() {
	local got wanted="" i
	got=$(blocks "$start" "$end")
	if [ "$1" != none ]; then
		for ((i = lo / bs; i < hi / bs; i++)); do
			wanted+="$i $1$([ "$1" != online ] || echo " Movable")"$'\n'
		done
	fi
	[ "$got" = "${wanted%$'\n'}" ] || die "$name: memory blocks over [$(hex "$start"), $(hex "$end")):
${got:-none}
want:
${wanted:-none}"
}

# stamp OFFSET LEN FILE: LEN random bytes at OFFSET of the device, kept in
# FILE; unstamp OFFSET LEN FILE: they read back
stamp() {
	head -c "$2" /dev/urandom >"$3"
	daxio -i "$3" -o "/dev/$dax" -s "$1" -l "$2" 2>/dev/null
}
unstamp() {
	rm -f /tmp/back
	daxio -i "/dev/$dax" -k "$1" -o /tmp/back -l "$2" 2>/dev/null
	cmp "$3" /tmp/back || die "$name: $2 bytes at offset $(hex "$1") changed"
}

round_trip() {
	local name=$1 before in touch_pid head_len tail_len j
	ns "$name"
	echo "-- $name ($dax, map=$map): data [$(hex "$start"), $(hex "$end")), $((size / MiB)) MiB;" \
		"whole blocks [$(hex "$lo"), $(hex "$hi")): $((want / MiB)) MiB;" \
		"remainder head $(hex $((lo - start))) tail $(hex $((end - hi)))"
	[ "$want" -gt 0 ] || die "$name: no whole memory block in the data range (test layout)"
	[ "$(driver "$dax")" = device_dax ]
	# random bytes in the remainders (up to 1 MiB each): kmem never sees them
	head_len=$((lo - start < MiB ? lo - start : MiB))
	tail_len=$((end - hi < MiB ? end - hi : MiB))
	[ "$head_len" -eq 0 ] || stamp 0 "$head_len" /tmp/head
	[ "$tail_len" -eq 0 ] || stamp $((size - tail_len)) "$tail_len" /tmp/tail

	echo "$name: to system RAM"
	before=$(memtotal)
	daxctl reconfigure-device --mode=system-ram "$dax" >/tmp/reconf.json
	jq -e '.[0].mode == "system-ram"' /tmp/reconf.json >/dev/null
	[ "$(driver "$dax")" = kmem ] || die "$dax bound to $(driver "$dax"), not kmem"
	# the node stays (the devt is the dax bus's) but has no device_dax behind it
	if (exec 3<"/dev/$dax") 2>/dev/null; then die "/dev/$dax opens with kmem bound"; fi
	expect_blocks online
	grep -q "^ *$(printf '%08x-%08x' "$lo" $((hi - 1))) : System RAM (kmem)$" /proc/iomem ||
		die "no 'System RAM (kmem)' [$(hex "$lo"), $(hex "$hi")) in /proc/iomem"
	[ $(($(memtotal) - before)) -eq "$want" ] ||
		die "MemTotal grew by $(($(memtotal) - before)), want $want"
	echo "$name: $((want / bs)) blocks, $want bytes online, MemTotal +$((($(memtotal) - before) / MiB)) MiB"

	# A process uses it. daxctl onlines the blocks into ZONE_MOVABLE of the
	# namespace's node (target_node 0 here, the only node), and the zone
	# list of a node tries its highest zone first, so the movable
	# (anonymous, GFP_HIGHUSER_MOVABLE) pages of any process come from the
	# new blocks while they have free pages: 64 MiB of 128+ MiB hot-added
	# land there (no need to exhaust other memory). ram-touch.py maps and
	# fills them, counts its frames in [lo, hi) through /proc/self/pagemap,
	# then waits for /tmp/go while we offline.
	rm -f /tmp/go /tmp/touch.out
	python3 tests/vm/guest/ram-touch.py 64 "$lo" "$hi" /tmp/go >/tmp/touch.out &
	touch_pid=$!
	for _ in $(seq 300); do
		grep -qs '^touched' /tmp/touch.out && break
		kill -0 "$touch_pid" 2>/dev/null || break
		sleep 0.1
	done
	cat /tmp/touch.out
	in=$(awk '/^touched/ { print $4 }' /tmp/touch.out)
	[ "${in:-0}" -gt 0 ] || die "$name: none of the process's pages is in the hot-added blocks"

	# destroying the namespace under the kernel's feet is refused
	for f in "" -f; do
		if devmemctl destroy-namespace $f "$name" 2>/tmp/destroy.err; then
			die "destroy-namespace $f $name succeeded while it is system RAM"
		fi
		cat /tmp/destroy.err
		grep -q "$name" /tmp/destroy.err
		grep -Eqi 'system[- ]ram|kmem' /tmp/destroy.err ||
			die "destroy-namespace $f: the message does not say the namespace is system RAM"
		[ "$(driver "$dax")" = kmem ]
		expect_blocks online
	done

	echo "$name: offline (the process's pages migrate) and back to devdax"
	daxctl offline-memory "$dax"
	expect_blocks offline
	touch /tmp/go
	wait "$touch_pid" || die "$name: the process's data changed while its pages migrated"
	cat /tmp/touch.out
	in=$(awk '/^verified/ { print $4 }' /tmp/touch.out)
	[ "$in" -eq 0 ] || die "$name: $in pages still in offline blocks"
	in=$(awk '/^touched/ { print $4 }' /tmp/touch.out)
	daxctl reconfigure-device --mode=devdax "$dax" >/tmp/reconf.json
	jq -e '.[0].mode == "devdax"' /tmp/reconf.json >/dev/null
	[ "$(driver "$dax")" = device_dax ] || die "$dax bound to $(driver "$dax"), not device_dax"
	expect_blocks none
	! grep -q 'System RAM (kmem)' /proc/iomem || die "kmem memory left in /proc/iomem"
	[ "$(memtotal)" -eq "$before" ] || die "MemTotal $(memtotal), was $before"
	vm_wait_for "/dev/$dax" 5 || die "/dev/$dax did not come back"
	test -c "/dev/$dax"

	echo "$name: the remainders kept their bytes, the device works"
	[ "$head_len" -eq 0 ] || unstamp 0 "$head_len" /tmp/head
	[ "$tail_len" -eq 0 ] || unstamp $((size - tail_len)) "$tail_len" /tmp/tail
	stamp 0 4M /tmp/d
	unstamp 0 4M /tmp/d
	printf '%s\t%s\t%s\t%#x\t%#x\t%s\t%s\t%s\t%#x\t%#x\t%s\n' "$boot" "$name" "$map" \
		"$start" "$end" $((size / MiB)) $((want / bs)) "$want" $((lo - start)) \
		$((end - hi)) "$in" >>"$out/table.tsv"
	trips=$((trips + 1))
}

# fill NAME: 32 MiB of random data at offset 0, sha256 into $out/sums
fill() {
	ns "$1"
	head -c 32M /dev/urandom >/tmp/data
	daxio -i /tmp/data -o "/dev/$dax" -l 32M 2>/dev/null
	echo "$1 $(sha256sum </tmp/data | cut -d' ' -f1)" >>"$out/sums"
}
# verify NAME: those 32 MiB read back
verify() {
	local sum want
	ns "$1"
	rm -f /tmp/back
	daxio -i "/dev/$dax" -o /tmp/back -l 32M 2>/dev/null
	sum=$(sha256sum </tmp/back | cut -d' ' -f1)
	want=$(awk -v n="$1" '$1 == n { print $2 }' "$out/sums")
	[ "$sum" = "$want" ] || die "$1: sha256 $sum, want $want"
	echo "$1: 32 MiB read back, sha256 ok"
}

# too_small NAME: NAME has no whole memory block: kmem refuses it (daxctl
# fails, the device is left without a driver), nothing is onlined,
# `--mode=devdax` brings it back with its bytes
too_small() {
	local name=$1 before
	ns "$name"
	echo "-- $name ($dax, map=$map): data [$(hex "$start"), $(hex "$end")), $((size / MiB)) MiB;" \
		"no whole memory block"
	[ "$want" -eq 0 ] || die "$name: has $want bytes of whole blocks (test layout)"
	stamp 0 4M /tmp/d
	before=$(memtotal)
	if daxctl reconfigure-device --mode=system-ram "$dax" 2>/tmp/reconf.err; then
		die "daxctl put $name, without a whole memory block, in system-ram mode"
	fi
	cat /tmp/reconf.err
	dmesg | grep "kmem $dax: rejecting DAX region without any memory after alignment"
	[ ! -e "/sys/bus/dax/devices/$dax/driver" ] || die "$dax bound to $(driver "$dax")"
	expect_blocks none
	[ "$(memtotal)" -eq "$before" ]
	daxctl reconfigure-device --mode=devdax "$dax" >/dev/null
	[ "$(driver "$dax")" = device_dax ]
	vm_wait_for "/dev/$dax" 5
	unstamp 0 4M /tmp/d
	printf '%s\t%s\t%s\t%#x\t%#x\t%s\t0\t0\trefused\t-\t-\n' "$boot" "$name" "$map" \
		"$start" "$end" $((size / MiB)) >>"$out/table.tsv"
	trips=$((trips + 1))
}

# check_clean: devmemctl check finds nothing, every namespace is active
check_clean() {
	devmemctl check | tee /tmp/check.txt
	grep -qx "$r0: clean" /tmp/check.txt
	grep -qx "$r1: clean" /tmp/check.txt
	devmemctl list -N | jq -e '[.[] | select(.state == "active") | .name] | sort ==
		["b1", "d1", "m1", "s1"]' >/dev/null
}

# a bash expansion error ends the command it is in without the ERR trap:
# count the round trips that got to their end
trips=0
case $boot in
1)
	# DIMM 0, 4 KiB off a block boundary: m1 (600 MiB, map=mem) has
	# remainders at both ends; d1 (288 MiB, map=dev: its struct pages in
	# the device through an altmap; 4 KiB aligned) ends 4 KiB short of a
	# block boundary, which the 4 KiB move of boot 2 crosses. DIMM 1: b1
	# (256 MiB, a multiple of the block size, map=mem) and s1 (128 MiB,
	# not block aligned: no whole block).
	devmemctl claim "$r0" >/dev/null
	devmemctl claim "$r1" >/dev/null
	devmemctl create-namespace -r "$r0" -s 600M -a 2M -M mem -n m1 >/dev/null
	devmemctl create-namespace -r "$r0" -s 288M -a 4K -M dev -n d1 >/dev/null
	devmemctl create-namespace -r "$r1" -s 256M -a 2M -M mem -n b1 >/dev/null
	devmemctl create-namespace -r "$r1" -s 128M -a 4K -M mem -n s1 >/dev/null
	: >"$out/sums"
	for name in m1 d1; do
		round_trip "$name"
		fill "$name"
		verify "$name"
	done
	round_trip b1
	too_small s1
	check_clean
	# system-ram mode is not recorded anywhere (stock daxctl): b1 goes
	# down with its memory online and comes back as devdax in boot 2
	name=b1
	ns b1
	daxctl reconfigure-device --mode=system-ram "$dax" >/dev/null
	[ "$(driver "$dax")" = kmem ]
	expect_blocks online
	echo "b1: powered off as system RAM"
	n=4
	;;
2)
	devmemctl assemble >/dev/null
	name=b1
	ns b1
	[ "$(driver "$dax")" = device_dax ] || die "b1: $dax bound to $(driver "$dax") after the reboot"
	daxctl list -d "$dax" | jq -e '.[0].mode == "devdax"' >/dev/null
	expect_blocks none
	stamp 0 4M /tmp/d
	unstamp 0 4M /tmp/d
	echo "b1: back as devdax ($dax) after the reboot"
	for name in m1 d1; do
		verify "$name"
		round_trip "$name"
	done
	check_clean
	n=2
	;;
*) die "boot $boot?" ;;
esac
[ "$trips" -eq "$n" ] || die "$trips of $n round trips completed"
echo "system-ram boot $boot ok"
