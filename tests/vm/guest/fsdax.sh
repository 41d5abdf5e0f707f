#!/bin/bash
# Guest side of test-fsdax.sh:
#   fsdax.sh create OUT BASE   claim the region at BASE, make ext4 and xfs on
#                              two fsdax namespaces, fill them, record in OUT
#   fsdax.sh verify OUT BASE   after the move: everything recorded is back
set -euo pipefail
trap 'echo "guest FAIL line $LINENO: $BASH_COMMAND" >&2' ERR
# shellcheck source=tests/vm/lib.sh
. tests/vm/lib.sh
phase=$1 out=$2
r=$(vm_region_at "$3")
E=/tmp/ext4 X=/tmp/xfs MB=1048576
mkdir -p "$E" "$X"

T=/sys/kernel/tracing
mountpoint -q "$T" || mount -t tracefs nodev "$T"

# pmd_run CMD...: run CMD with the fs_dax PMD fault tracepoint on; then
# $pmd_ok (PMD faults that mapped a PMD) and $pmd_fb (fell back to 4 KiB)
pmd_run() {
	echo 0 >"$T/tracing_on"
	: >"$T/trace"
	echo 1 >"$T/events/fs_dax/dax_pmd_fault_done/enable"
	echo 1 >"$T/tracing_on"
	"$@"
	echo 0 >"$T/tracing_on"
	pmd_ok=$(grep 'dax_pmd_fault_done' "$T/trace" | grep -vc FALLBACK || true)
	pmd_fb=$(grep 'dax_pmd_fault_done' "$T/trace" | grep -c FALLBACK || true)
	echo "PMD faults: $pmd_ok mapped, $pmd_fb fell back"
}

# tree DIR: every entry with its type, size and link target, then the
# sha256 of every regular file
tree() {
	(cd "$1" && find . -path ./lost+found -prune -o -printf '%p %y %s %l\n' |
		LC_ALL=C sort &&
		find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum)
}

ns() { jq -r ".[] | select(.name == \"$1\") | .$2" "$3"; }

if [ "$phase" = create ]; then
	devmemctl claim "$r"
	devmemctl create-namespace -r "$r" -m fsdax -M dev -a 2M -s 256M -n fsext4
	# xfs wants at least 300 MiB; not a 2 MiB multiple
	devmemctl create-namespace -r "$r" -m fsdax -M mem -a 4K -s $((320 * MB + 12288)) -n fsxfs
	devmemctl list -N >"$out/created.json"
	cat "$out/created.json"
	for n in fsext4 fsxfs; do
		[ "$(ns $n mode "$out/created.json")" = fsdax ]
		[ "$(ns $n chardev "$out/created.json")" = null ]
		b=/dev/$(ns $n blockdev "$out/created.json")
		test -b "$b"
		[ "$(blockdev --getsize64 "$b")" = "$(ns $n size "$out/created.json")" ]
	done
	[ "$(ns fsext4 align_effective "$out/created.json")" = 2097152 ]
	be=/dev/$(ns fsext4 blockdev "$out/created.json")
	bx=/dev/$(ns fsxfs blockdev "$out/created.json")

	echo "1. mkfs and mount -o dax"
	# stride: ext4 aligns large allocations to 2 MiB (PMD-sized extents)
	mkfs.ext4 -q -F -b 4096 -E stride=512,stripe_width=512 "$be"
	mkfs.xfs -q -f "$bx"
	mount -o dax "$be" "$E"
	mount -o dax "$bx" "$X"
	grep -E "^$be $E ext4 .*dax" /proc/mounts
	grep -E "^$bx $X xfs .*dax" /proc/mounts

	echo "2. files through write(), and through MAP_SYNC mappings"
	for d in "$E" "$X"; do
		mkdir -p "$d/d/sub"
		head -c $((24 * MB)) /dev/urandom >"$d/big"
		for i in $(seq 40); do
			head -c $((i * 1021)) /dev/urandom >"$d/d/sub/f$i"
		done
		ln -s d/sub/f7 "$d/link"
		truncate -s $((16 * MB)) "$d/sparse"
		printf middle | dd of="$d/sparse" bs=1 seek=$((8 * MB)) conv=notrunc status=none
		head -c $((8 * MB)) /dev/zero >"$d/mapped"
	done
	sync
	pmd_run tests/kmod/dax-fault write $((8 * MB)) 11 "$E/mapped"
	[ "$pmd_ok" -gt 0 ] || { echo "no PMD fault on a 2 MiB-aligned fsdax namespace" >&2; exit 1; }
	pmd_run tests/kmod/dax-fault write $((8 * MB)) 12 "$X/mapped"
	tree "$E" >"$out/ext4.tree"
	tree "$X" >"$out/xfs.tree"
	wc -l "$out/ext4.tree" "$out/xfs.tree"

	echo "3. destroy and release refused while mounted; nothing changes"
	for cmd in "destroy-namespace fsext4" "destroy-namespace -f fsext4" \
		"destroy-namespace -f fsxfs" "release -f $r"; do
		# shellcheck disable=SC2086
		if devmemctl $cmd 2>/tmp/err; then
			echo "devmemctl $cmd succeeded on a mounted fsdax namespace" >&2
			exit 1
		fi
		cat /tmp/err
	done
	grep -q "is in use (mounted, " /tmp/err
	devmemctl list -N >/tmp/now.json
	[ "$(jq -c '[.[] | .state]' /tmp/now.json)" = '["active","active"]' ]
	tree "$E" | cmp - "$out/ext4.tree"
	tree "$X" | cmp - "$out/xfs.tree"
	umount "$E" "$X"
	devmemctl check "$r"
	echo "fsdax create: ok"
	exit 0
fi

echo "1. assemble after the move"
devmemctl assemble
devmemctl list -N >/tmp/now.json
cat /tmp/now.json
for n in fsext4 fsxfs; do
	for f in uuid size mode map align offset blockdev; do
		[ "$(ns $n $f /tmp/now.json)" = "$(ns $n $f "$out/created.json")" ] ||
			{ echo "$n: $f differs" >&2; exit 1; }
	done
	[ "$(ns $n state /tmp/now.json)" = active ]
done
# moved by 4 KiB: the 2M namespace's data is no longer 2 MiB-aligned
[ "$(ns fsext4 align_effective /tmp/now.json)" = 4096 ]
be=/dev/$(ns fsext4 blockdev /tmp/now.json)
bx=/dev/$(ns fsxfs blockdev /tmp/now.json)

echo "2. the filesystems are consistent and every file is identical"
e2fsck -fn "$be"
xfs_repair -n "$bx"
mount -o dax "$be" "$E"
mount -o dax "$bx" "$X"
tree "$E" | cmp - "$out/ext4.tree"
tree "$X" | cmp - "$out/xfs.tree"
pmd_run tests/kmod/dax-fault check $((8 * MB)) 11 "$E/mapped"
if [ "$pmd_ok" -ne 0 ] || [ "$pmd_fb" -eq 0 ]; then
	echo "want only 4 KiB fallbacks on a namespace not 2 MiB-aligned" >&2
	exit 1
fi
tests/kmod/dax-fault check $((8 * MB)) 12 "$X/mapped"

echo "3. still writable; gone after umount and destroy"
for d in "$E" "$X"; do
	head -c $((3 * MB)) /dev/urandom >"$d/new"
	sha256sum "$d/new" >/tmp/new.sum
	umount "$d"
	mount -o dax "$([ "$d" = "$E" ] && echo "$be" || echo "$bx")" "$d"
	sha256sum -c /tmp/new.sum
	umount "$d"
done
devmemctl destroy-namespace -f fsext4 fsxfs
test ! -e "$be"
test ! -e "$bx"
devmemctl check "$r"
echo "fsdax verify: ok"
