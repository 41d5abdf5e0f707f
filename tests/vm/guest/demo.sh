#!/bin/bash
# Guest side of tests/vm/demo. $1 = create|verify, $2 = shared dir.
# region0 (first DIMM) is for the stock ndctl path, region1 for devmem.
set -uo pipefail
phase=$1 out=$2

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
	echo "--- stock: ndctl devdax namespace on region0 ($(cat /sys/bus/nd/devices/region0/resource))"
	ndctl disable-region region0 >/dev/null && ndctl init-labels nmem0 >/dev/null &&
		ndctl enable-region region0 >/dev/null
	runjq '{dev, mode, size, chardev: .daxregion.devices[0].chardev}' \
		ndctl create-namespace -r region0 -m devdax -a 2M -s 512M
	head -c 64M /dev/urandom >/tmp/stock
	run daxio -i /tmp/stock -o /dev/dax0.0 -l 64M
	echo "stock data sha256: $(sum /tmp/stock)" | tee "$out/stock.sum"

	echo
	echo "--- devmem: namespace on region1 ($(cat /sys/bus/nd/devices/region1/resource))"
	runjq '{dev, size, claimed, uuid}' devmemctl claim region1
	runjq '{name, uuid, size, map, align, chardev}' \
		devmemctl create-namespace -r region1 -m devdax -a 2M -s 512M -n demo
	dev=/dev/$(devmemctl list -N | jq -r '.[] | select(.name == "demo") | .chardev')
	head -c 64M /dev/urandom >/tmp/devmem
	run daxio -i /tmp/devmem -o "$dev" -l 64M
	echo "devmem data sha256: $(sum /tmp/devmem)" | tee "$out/devmem.sum"
	exit 0
fi

echo "--- stock: region0 now at $(cat /sys/bus/nd/devices/region0/resource)"
printf '\n$ ndctl list -N -r region0\n'
out=$(ndctl list -N -r region0)
echo "${out:-(nothing: no namespace came up)}"
dmesg | grep -E 'bad offset|nd_pmem: probe of' | sed 's/^\[[ 0-9.]*\] */kernel: /'
stock=lost
if [ -c /dev/dax0.0 ] && daxio -i /dev/dax0.0 -o /tmp/stock -l 64M 2>/dev/null &&
	[ "stock data sha256: $(sum /tmp/stock)" = "$(cat "$out/stock.sum")" ]; then
	stock=kept
fi
echo "stock: /dev/dax0.0 $( [ -c /dev/dax0.0 ] && echo present || echo missing); namespace data $stock"

echo
echo "--- devmem: region1 now at $(cat /sys/bus/nd/devices/region1/resource)"
runjq '.[] | {name, uuid, chardev, align, align_effective}' devmemctl assemble
dev=/dev/$(devmemctl list -N | jq -r '.[] | select(.name == "demo") | .chardev')
run daxio -i "$dev" -o /tmp/devmem -l 64M
now="devmem data sha256: $(sum /tmp/devmem)"
echo "$now (before the move: $(cut -d: -f2 "$out/devmem.sum" | tr -d ' '))"
if [ "$now" = "$(cat "$out/devmem.sum")" ]; then
	echo "devmem: namespace and data kept"
	echo "$stock" >"$out/result"
	exit 0
fi
echo "devmem: DATA MISMATCH"
exit 1
