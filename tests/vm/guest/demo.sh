#!/bin/bash
# Guest side of tests/vm/demo. $1 = create|verify, $2 = shared dir, $3 and
# $4 = physical addresses of the DIMM for the stock ndctl path and of the
# DIMM for devmem (kernel region numbers do not follow DIMM order).
set -uo pipefail
phase=$1 shared=$2
# shellcheck source=tests/vm/lib.sh
. tests/vm/lib.sh
rs=$(vm_region_at "$3") rd=$(vm_region_at "$4")

run() { # show a command like a shell transcript, then run it
	printf '\n$ %s\n' "$*"
	"$@"
}

runjq() { # FILTER CMD...: run CMD, show its JSON output cut down by FILTER
	local filter=$1
	shift
	printf "\n\$ %s | jq -c '%s'\n" "$*" "$filter"
	"$@" | jq -c "$filter"
}

sum() { sha256sum "$1" | cut -c1-16; }

if [ "$phase" = create ]; then
	echo "--- stock: ndctl devdax namespace on $rs ($(cat /sys/bus/nd/devices/"$rs"/resource))"
	ndctl disable-region "$rs" >/dev/null 2>&1 && ndctl init-labels "$(ndctl list -D -r "$rs" | jq -r '.[0].dev')" >/dev/null 2>&1 &&
		ndctl enable-region "$rs" >/dev/null 2>&1
	runjq '{dev, mode, size, chardev: .daxregion.devices[0].chardev}' \
		ndctl create-namespace -r "$rs" -m devdax -a 2M -s 512M
	head -c 64M /dev/urandom >/tmp/stock
	run daxio -i /tmp/stock -o "/dev/dax${rs#region}.0" -l 64M
	echo "stock data sha256: $(sum /tmp/stock)" | tee "$shared/stock.sum"

	echo
	echo "--- devmem: namespace on $rd ($(cat /sys/bus/nd/devices/"$rd"/resource))"
	runjq '{dev, size, claimed, uuid}' devmemctl claim "$rd"
	runjq '{name, uuid, size, map, align, chardev}' \
		devmemctl create-namespace -r "$rd" -m devdax -a 2M -s 512M -n demo
	dev=/dev/$(devmemctl list -N | jq -r '.[] | select(.name == "demo") | .chardev')
	head -c 64M /dev/urandom >/tmp/devmem
	run daxio -i /tmp/devmem -o "$dev" -l 64M
	echo "devmem data sha256: $(sum /tmp/devmem)" | tee "$shared/devmem.sum"
	exit 0
fi

echo "--- stock: $rs now at $(cat /sys/bus/nd/devices/"$rs"/resource)"
printf '\n$ ndctl list -N -r %s\n' "$rs"
out=$(ndctl list -N -r "$rs")
echo "${out:-(nothing: no namespace came up)}"
dmesg | grep -E 'bad offset|nd_pmem: probe of' | sed 's/^\[[ 0-9.]*\] */kernel: /'
stock=lost
if [ -c "/dev/dax${rs#region}.0" ] && daxio -i "/dev/dax${rs#region}.0" -o /tmp/stock -l 64M 2>/dev/null &&
	[ "stock data sha256: $(sum /tmp/stock)" = "$(cat "$shared/stock.sum")" ]; then
	stock=kept
fi
echo "stock: /dev/dax${rs#region}.0 $( [ -c "/dev/dax${rs#region}.0" ] && echo present || echo missing); namespace data $stock"

echo
echo "--- devmem: $rd now at $(cat /sys/bus/nd/devices/"$rd"/resource)"
runjq '.[] | {name, uuid, chardev, align, align_effective}' devmemctl assemble
dev=/dev/$(devmemctl list -N | jq -r '.[] | select(.name == "demo") | .chardev')
run daxio -i "$dev" -o /tmp/devmem -l 64M
now="devmem data sha256: $(sum /tmp/devmem)"
echo "$now (before the move: $(cut -d: -f2 "$shared/devmem.sum" | tr -d ' '))"
if [ "$now" = "$(cat "$shared/devmem.sum")" ]; then
	echo "devmem: namespace and data kept"
	echo "$stock" >"$shared/result"
	exit 0
fi
echo "devmem: DATA MISMATCH"
exit 1
