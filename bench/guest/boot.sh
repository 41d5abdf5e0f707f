#!/bin/bash
# Guest side of bench/boot: bring-up after a real reboot, module loads
# included. $1 = output dir, $2 = stock DIMM address (labelled), $3 = devmem
# DIMM address, $4 = setup | measure, $5 = size MiB, $6 = map (dev|mem),
# $7 = repetition (measure), $8 = devmemctl to time (default: the build's
# cli/devmemctl), $9 = its side name in the results (default devmem).
# setup (boot 1): `ndctl create-namespace -m devdax -M MAP -a 2M -s SIZE` on
#   the stock DIMM, `devmemctl claim` + `create-namespace` of the same usable
#   bytes on the other; writes $1/ids (stock namespace, stock dax, devmem
#   dax).
# measure (boot 2, 3, ...): booted as an installed system boots, except
#   that neither side's namespace is up yet: vm-run's initramfs loaded the
#   nvdimm stack (nfit, nd_pmem, device_dax) with the built devmem.ko
#   inserted just before nd_pmem (vm-run --early-module: what the installed
#   "softdep nd_pmem pre: devmem" does), so devmem's nd driver holds the
#   devmem DIMM's raw namespace (asserted), and without dax_pmem (vm-run
#   --skip-module), so the stock nd_dax device is there, unbound.
#   devmem, boot_us = insert_us + assemble_us: the insert of devmem.ko at
#   boot (from the initramfs's kernel log markers around it) plus (timed)
#   `devmemctl assemble` (unbinds the held namespace and the region,
#   claims, reads the layout, maps) until /dev/daxN.M exists.
#   stock, boot_us: (timed) `modprobe dax_pmem` until /dev/daxN.M exists:
#   the module load and the probe that brings a devdax namespace up at
#   boot (info block, memremap_pages, device_dax), the first map of that
#   range in the boot, as devmem's is. Then two more stock figures:
#   remap_us, `modprobe -r dax_pmem` and (timed) `modprobe dax_pmem`
#   again (a re-map: the kernel reuses the memmap pages it just freed; the
#   reference of the runs before 2026-11-24), and enable_region_us,
#   `ndctl disable-region` and (timed) `ndctl enable-region` (the labels
#   read again and the namespace probed again, no module load).
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
# the boot vm-run --early-module kmod/devmem.ko --skip-module dax_pmem made
[ -e /sys/module/devmem ] && [ ! -e /sys/module/dax_pmem ]
[ ! -e "/dev/$sdax" ] && [ ! -e "/dev/$ddax" ]
dns=$(basename "$(ls -d "/sys/bus/nd/devices/$D/namespace${D#region}".*)")
[ "$(basename "$(readlink "/sys/bus/nd/devices/$dns/driver")")" = devmem ]
[ ! -e "/sys/bus/nd/devices/$dns/block" ]
# the insert of devmem.ko, from the initramfs's markers in the kernel log
insert_us=$(dmesg | awk '/devmem-vm: early-module devmem insert (start|done)$/ {
	match($0, /[0-9]+\.[0-9]+/); t[$NF] = substr($0, RSTART, RLENGTH) } END { if (("start" in t) && ("done" in t)) printf "%.0f", (t["done"] - t["start"]) * 1e6 }')
[ -n "$insert_us" ]
stock() {
	local t0 t1
	t0=$(us)
	modprobe dax_pmem
	until [ -e "/dev/$sdax" ]; do :; done
	t1=$(us)
	rec boot "$c" stock "$rep" boot_us $((t1 - t0))
	modprobe -r dax_pmem
	[ ! -e "/dev/$sdax" ]
	t0=$(us)
	modprobe dax_pmem
	until [ -e "/dev/$sdax" ]; do :; done
	t1=$(us)
	rec boot "$c" stock "$rep" remap_us $((t1 - t0))
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
	rec boot "$c" "$side" "$rep" assemble_us $((t1 - t0))
	rec boot "$c" "$side" "$rep" insert_us "$insert_us"
	rec boot "$c" "$side" "$rep" boot_us $((t1 - t0 + insert_us))
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
