#!/bin/bash
# Guest side of bench/boot: bring-up after a real reboot, module load
# included. $1 = output dir, $2 = stock DIMM address (labelled), $3 = devmem
# DIMM address, $4 = setup | measure, $5 = size MiB, $6 = map (dev|mem),
# $7 = repetition (measure), $8 = devmemctl to time (default: the build's
# cli/devmemctl), $9 = its side name in the results (default devmem).
# setup (boot 1): `ndctl create-namespace -m devdax -M MAP -a 2M -s SIZE` on
#   the stock DIMM, `devmemctl claim` + `create-namespace` of the same usable
#   bytes on the other; writes $1/ids (stock namespace, stock dax, devmem
#   dax).
# measure (boot 2, 3, ...): the guest booted with the nvdimm stack loaded
#   (nfit, nd_pmem, dax_pmem, device_dax: vm-run's initramfs) but not devmem.
#   devmem: (timed) `devmemctl assemble`, which loads the built devmem.ko
#   itself through libkmod ($DEVMEM_KMOD; as the installed udev rule does
#   at boot), disables the region's raw namespace, claims, reads the layout
#   and maps; until /dev/daxN.M exists.
#   stock: `modprobe -r dax_pmem` (its device goes), then (timed) `modprobe
#   dax_pmem` until /dev/daxN.M exists: the module load and the probe
#   that brings a devdax namespace up at boot. Second stock figure:
#   `ndctl disable-region`, then (timed) `ndctl enable-region` until the
#   node exists: the labels read again and the namespace probed again,
#   without a module load.
#   Which side goes first alternates with the repetition.
#   Both sides run without the harness's LD_LIBRARY_PATH (vm-run points it
#   at the checkout's libdevmem for every process; devmemctl links libdevmem
#   statically): at boot, udev starts modprobe and devmemctl without it,
#   and with it every library lookup of either side first probes that
#   directory and its glibc-hwcaps subdirectories over 9p.
set -Eeuo pipefail
trap 'echo "guest FAIL line $LINENO: $BASH_COMMAND" >&2' ERR
# shellcheck source=tests/vm/lib.sh
. tests/vm/lib.sh
out=$1 what=$4 size=$5 map=$6 rep=${7:-0} dm=${8:-devmemctl} side=${9:-devmem}
S=$(vm_region_at "$2")
D=$(vm_region_at "$3")
us() { echo "${EPOCHREALTIME/./}"; }
res=$out/results.tsv
rec() { printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$res"; }
c="${size}M.$map"
if [ "$what" = setup ]; then
	ndctl disable-region "$S" >/dev/null
	ndctl init-labels "$(ndctl list -D -r "$S" | jq -r '.[0].dev')" >/dev/null
	ndctl enable-region "$S" >/dev/null
	j=$(ndctl create-namespace -r "$S" -m devdax -M "$map" -a 2M -s "${size}M")
	ns=$(jq -r .dev <<<"$j")
	sdax=$(jq -r '.daxregion.devices[0].chardev' <<<"$j")
	use=$(cat "/sys/bus/dax/devices/$sdax/size")
	devmemctl claim "$D" >/dev/null
	devmemctl create-namespace -r "$D" -M "$map" -a 2M -s "$use" -n boot >/dev/null
	ddax=$(devmemctl list -n boot | jq -r '.[0].chardev')
	echo "$ns $sdax $ddax $use" >"$out/ids"
	echo "setup $c: stock $ns $sdax, devmem $ddax, $use bytes"
	exit 0
fi
read -r ns sdax ddax use <"$out/ids"
unset LD_LIBRARY_PATH
[ -e "/dev/$sdax" ] # the stock namespace came up at boot
[ ! -e /dev/devmem ] && [ ! -e "/dev/$ddax" ]
stock() {
	local t0 t1
	modprobe -r dax_pmem
	[ ! -e "/dev/$sdax" ]
	t0=$(us)
	modprobe dax_pmem
	until [ -e "/dev/$sdax" ]; do :; done
	t1=$(us)
	rec boot "$c" stock "$rep" reup_us $((t1 - t0))
	ndctl disable-region "$S" >/dev/null
	[ ! -e "/dev/$sdax" ]
	t0=$(us)
	ndctl enable-region "$S" >/dev/null
	until [ -e "/dev/$sdax" ]; do :; done
	t1=$(us)
	rec boot "$c" stock "$rep" enable_region_us $((t1 - t0))
}
devmem() {
	local t0 t1
	t0=$(us)
	"$dm" assemble >/dev/null
	until [ -e "/dev/$ddax" ]; do :; done
	t1=$(us)
	rec boot "$c" "$side" "$rep" reup_us $((t1 - t0))
}
if [ $((rep % 2)) = 1 ]; then
	stock
	devmem
else
	devmem
	stock
fi
[ "$(cat "/sys/bus/dax/devices/$ddax/size")" = "$use" ]
echo "boot $c rep $rep done"
