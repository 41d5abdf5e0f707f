#!/bin/bash
# Guest side of test-boot-assemble.sh, second boot (DIMMs moved): do only
# what a booting system does once the nvdimm drivers are up -- start udevd,
# replay the "add" events of the nd bus (cold plug, as
# systemd-udev-trigger.service does), wait for udev to settle -- and never
# run devmemctl assemble or modprobe devmem here. Then the installed udev
# rule must have brought the namespaces back: /dev/daxN.M present, same
# uuid/size, data with the sha256 of boot 1.
set -euo pipefail
out=$1
trap 'echo "guest FAIL line $LINENO: $BASH_COMMAND" >&2' ERR
unset DEVMEM_KMOD LD_LIBRARY_PATH
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

[ ! -e /sys/module/devmem ] || { echo "devmem is loaded before udev ran" >&2; exit 1; }
[ ! -e /run/systemd/system ] # no systemd here: the rule's RUN+= fallback runs

udevd=/lib/systemd/systemd-udevd
[ -x "$udevd" ] || udevd=$(command -v systemd-udevd)
"$udevd" --daemon
udevadm trigger --action=add --subsystem-match=nd
udevadm settle --timeout=180
echo "udev settled; devmem module: $(cat /sys/module/devmem/initstate 2>/dev/null || echo absent)"
ls /dev/dax* 2>/dev/null || true

devmemctl list -N >"$out/boot2.json"
cat "$out/boot2.json"
for name in boot-a boot-b; do
	q=".[] | select(.name == \"$name\")"
	for f in uuid size map align offset; do
		was=$(jq -r "$q | .$f" "$out/created.json")
		now=$(jq -r "$q | .$f" "$out/boot2.json")
		[ "$was" = "$now" ] || { echo "$name: $f was $was, now $now" >&2; exit 1; }
	done
	jq -e "$q | .state == \"active\"" "$out/boot2.json" >/dev/null
	dev=/dev/$(jq -r "$q | .chardev" "$out/boot2.json")
	test -c "$dev"
	daxio -i "$dev" -o /tmp/back -l 32M
	sum=$(sha256sum </tmp/back | cut -d' ' -f1)
	want=$(awk -v n="$name" '$1 == n { print $2 }' "$out/sums")
	[ "$sum" = "$want" ] || { echo "$name: sha256 $sum, want $want" >&2; exit 1; }
	echo "$name $dev sha256 ok (assembled by udev)"
done
