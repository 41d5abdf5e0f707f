#!/bin/bash
# Guest side of test-move.sh, later boots: assemble, then every namespace
# must be back with the same name, uuid, size and /dev/daxN.M, and read
# back through daxio to the sha256 recorded on the first boot. $2 names the
# boot.
set -euo pipefail
out=$1 boot=$2
trap 'echo "guest FAIL line $LINENO: $BASH_COMMAND" >&2' ERR

devmemctl assemble >"$out/$boot-assemble.json"
devmemctl list -N >"$out/$boot.json"
for name in alpha beta gamma delta; do
	q=".[] | select(.name == \"$name\")"
	# chardev: the same /dev/daxN.M whatever order the regions come in
	for f in uuid size map align offset chardev; do
		was=$(jq -r "$q | .$f" "$out/created.json")
		now=$(jq -r "$q | .$f" "$out/$boot.json")
		[ "$was" = "$now" ] || { echo "$name: $f was $was, now $now" >&2; exit 1; }
	done
	jq -e "$q | .state == \"active\"" "$out/$boot.json" >/dev/null
	dev=/dev/$(jq -r "$q | .chardev" "$out/$boot.json")
	daxio -i "$dev" -o /tmp/back -l 64M
	sum=$(sha256sum </tmp/back | cut -d' ' -f1)
	want=$(awk -v n="$name" '$1 == n { print $2 }' "$out/sums")
	[ "$sum" = "$want" ] || { echo "$name: sha256 $sum, want $want" >&2; exit 1; }
	echo "$name $(jq -r "$q | .chardev + \" align_effective=\" + (.align_effective|tostring)" "$out/$boot.json") sha256 ok"
done
