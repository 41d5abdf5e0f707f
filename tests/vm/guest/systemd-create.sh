#!/bin/bash
# Guest side of test-systemd-boot.sh, boot 1 (vm-run's own guest-init, the
# checkout's build): claim the region of the labelled DIMM ($2 = its
# physical address) and of the label-less one ($3), create a map=dev
# namespace on the first and a map=mem one on the second, fill each with
# 32 MiB of random data through daxio, record `devmemctl list -N` and the
# sha256 of every namespace in $1.
set -euo pipefail
out=$1
trap 'echo "guest FAIL line $LINENO: $BASH_COMMAND" >&2' ERR
# shellcheck source=tests/vm/lib.sh
. tests/vm/lib.sh
rl=$(vm_region_at "$2") ru=$(vm_region_at "$3")

devmemctl claim "$rl"
devmemctl claim "$ru"
devmemctl create-namespace -r "$rl" -s 256M -a 2M -M dev -n sd-labelled
devmemctl create-namespace -r "$ru" -s 72M -a 4K -M mem -n sd-labelless
devmemctl list -N >"$out/created.json"

: >"$out/sums"
for name in sd-labelled sd-labelless; do
	dev=/dev/$(jq -r ".[] | select(.name == \"$name\") | .chardev" "$out/created.json")
	test -c "$dev"
	head -c 32M /dev/urandom >/tmp/data
	daxio -i /tmp/data -o "$dev" -l 32M
	echo "$name $(sha256sum </tmp/data | cut -d' ' -f1)" >>"$out/sums"
done
cat "$out/sums"
