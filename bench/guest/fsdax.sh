#!/bin/bash
# Guest side of bench/fsdax: a stock fsdax namespace (ndctl, /dev/pmemN) and
# a devmem one (/dev/devmemN.M) of the same size side by side, interleaved.
# $1 = output dir, $2 = stock DIMM address (labelled), $3 = devmem DIMM
# address, $4 = reps. Writes $1/results.tsv: case side rep bw_kib iops.
# Cases: the block device itself (fio psync, O_DIRECT: the bio path), then
# ext4 mounted -o dax on each (fio psync: read/write through fs/dax; fio
# mmap: loads and stores through DAX mappings).
set -Eeuo pipefail
trap 'echo "guest FAIL line $LINENO: $BASH_COMMAND" >&2' ERR
# shellcheck source=tests/vm/lib.sh
. tests/vm/lib.sh
out=$1 reps=$4
S=$(vm_region_at "$2")
D=$(vm_region_at "$3")
res=$out/results.tsv
: >"$res"

ndctl disable-region "$S" >/dev/null
ndctl init-labels "$(ndctl list -D -r "$S" | jq -r '.[0].dev')" >/dev/null
ndctl enable-region "$S" >/dev/null
sj=$(ndctl create-namespace -r "$S" -m fsdax -M dev -a 2M -s 512M)
sdev=/dev/$(jq -r .blockdev <<<"$sj")
size=$(blockdev --getsize64 "$sdev")
devmemctl claim "$D" >/dev/null
dj=$(devmemctl create-namespace -r "$D" -m fsdax -M dev -a 2M -s "$size" -n f)
ddev=/dev/$(jq -r .blockdev <<<"$dj")
[ "$(blockdev --getsize64 "$ddev")" = "$size" ]
echo "stock $sdev, devmem $ddev: $size bytes each; devmem align_effective $(jq .align_effective <<<"$dj")"

# order REP: alternate which side goes first
order() { if [ $(($1 % 2)) = 1 ]; then echo stock devmem; else echo devmem stock; fi; }
# fio_one FILE ENGINE RW BS [ARGS...] -> "bw_KiB/s iops" (terse v3)
fio_one() {
	local f=$1 e=$2 rw=$3 bs=$4 l
	shift 4
	l=$(fio --name=b --filename="$f" --ioengine="$e" --rw="$rw" --bs="$bs" \
		--size=256M --runtime=3 --time_based --output-format=terse \
		--terse-version=3 "$@")
	case $rw in
	*read) awk -F';' '{ print $7, $8 }' <<<"$l" ;;
	*) awk -F';' '{ print $48, $49 }' <<<"$l" ;;
	esac
}
dev_of() { if [ "$1" = stock ]; then echo "$sdev"; else echo "$ddev"; fi; }

for rep in $(seq 1 "$reps"); do
	for w in randread:4k randwrite:4k read:128k write:128k; do
		for side in $(order "$rep"); do
			read -r bw iops < <(fio_one "$(dev_of "$side")" psync "${w%:*}" "${w#*:}" --direct=1)
			printf 'bdev.%s\t%s\t%s\t%s\t%s\n' "${w/:/.}" "$side" "$rep" "$bw" "$iops" >>"$res"
		done
	done
	echo "block rep $rep done"
done

for side in stock devmem; do
	mkfs.ext4 -q -F -b 4096 -E stride=512,stripe_width=512 "$(dev_of "$side")"
	mkdir -p "/tmp/$side"
	mount -o dax "$(dev_of "$side")" "/tmp/$side"
	fallocate -l 256M "/tmp/$side/f"
	dd if=/dev/zero of="/tmp/$side/f" bs=1M count=256 conv=notrunc status=none
done
grep dax /proc/mounts
for rep in $(seq 1 "$reps"); do
	for w in psync:randread:4k psync:randwrite:4k mmap:randread:4k \
		mmap:randwrite:4k mmap:read:2M mmap:write:2M; do
		IFS=: read -r e rw bs <<<"$w"
		for side in $(order "$rep"); do
			read -r bw iops < <(fio_one "/tmp/$side/f" "$e" "$rw" "$bs")
			printf 'ext4.%s.%s.%s\t%s\t%s\t%s\t%s\n' "$e" "$rw" "$bs" "$side" "$rep" "$bw" "$iops" >>"$res"
		done
	done
	echo "fs rep $rep done"
done
umount /tmp/stock /tmp/devmem
